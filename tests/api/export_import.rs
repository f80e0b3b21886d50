//! A company's history between deployments: `admin export --company SLUG` writes the import
//! file format with every record's id, and `admin import` stores each record under the id it
//! carries. Export, import into an empty database, export again: the same file.

use crate::helpers::{ACME, World, fresh_database, spawn_app_on};
use invoices_api::config::Limits;
use reqwest::Method;
use serde_json::{Value, json};
use std::process::{Command, Output};

/// Runs `invoices-api LINE…` on `url`, off the test's runtime thread (a server of the test may
/// run on it).
async fn run(url: &str, args: Vec<String>) -> Output {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_invoices-api"))
            .args(args)
            .env("DATABASE_URL", url)
            .env_remove("RUST_LOG")
            .output()
            .expect("binary runs")
    })
    .await
    .expect("joins")
}

async fn export(url: &str, company: &str) -> String {
    let out = run(url, words(&format!("admin export --company {company}"))).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Imports `file`; returns the command's output.
async fn import(url: &str, file: &str) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("company.json");
    std::fs::write(&path, file).expect("written");
    run(
        url,
        vec!["admin".into(), "import".into(), path.display().to_string()],
    )
    .await
}

fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_owned).collect()
}

/// How many rows `table` holds.
async fn rows(url: &str, table: &str) -> i64 {
    crate::helpers::per_table(url, [table.to_owned()], "count(*)").await[table]
}

/// `acme` with reference data, a budget, and invoices in every status that name them.
async fn company_with_history() -> World {
    let w = World::new().await;
    let area = w.app.add_budget_area(w.project, "design", true).await;
    assert!(area > 0);
    let vat = w.app.add_vat_rate(ACME, false).await;
    let term = w.app.add_payment_term(ACME, false).await;
    let contact =
        invoices_api::store::admin::add_invoice_contact(&w.app.db, ACME, "a@b.test", "Billing")
            .await
            .expect("contact");
    let clerk = crate::events::clerk(&w).await;
    for n in 0..12 {
        let id = w
            .invoice(json!({
                "invoice_number": format!("INV-{n}"),
                "value": 100.5 + f64::from(n),
                "vat_rate_id": vat,
                "payment_term_id": term,
                "budget_area_uid": "design",
                "notes": "imported history",
            }))
            .await;
        let path = format!("/api/invoices/{id}");
        if n % 3 >= 1 {
            let body = json!({ "invoice_contact_id": contact });
            let reply = w
                .call(Method::POST, &format!("{path}:send"), &clerk, Some(&body))
                .await;
            assert_eq!(reply.status, 200, "{}", reply.text);
        }
        if n % 3 == 2 {
            let body = json!({ "payment_date": "2024-07-01" });
            let reply = w
                .call(
                    Method::POST,
                    &format!("{path}:set-paid"),
                    &clerk,
                    Some(&body),
                )
                .await;
            assert_eq!(reply.status, 200, "{}", reply.text);
        }
    }
    // An invoice without a number: found again by its id.
    w.invoice(json!({})).await;
    w
}

#[tokio::test]
async fn export_import_into_an_empty_database_and_export_again_gives_the_same_file() {
    let w = company_with_history().await;
    let file = export(&w.app.database.url, ACME).await;
    let parsed: Value = serde_json::from_str(&file).expect("JSON");
    let invoices = parsed["companies"][0]["invoices"]
        .as_array()
        .expect("invoices");
    assert_eq!(invoices.len(), 13);
    assert!(invoices.iter().all(|i| i["id"].as_i64().is_some()));

    let target = fresh_database().await;
    let out = import(&target.url, &file).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(export(&target.url, ACME).await, file);
    // A second import finds everything and changes nothing.
    let again = import(&target.url, &file).await;
    let said = String::from_utf8_lossy(&again.stdout);
    assert!(said.starts_with("imported: no changes"), "{said}");

    // Every invoice reads the same through the API, under its id, ETag included; each has
    // one event, its creation as imported.
    let node = spawn_app_on(target, Limits::default(), None, false, |app| app).await;
    let token = node
        .add_member(
            ACME,
            "reader@acme.test",
            &[invoices_api::domain::permission::Permission::InvoicesViewOther],
        )
        .await;
    let reader = w
        .member(
            "reader",
            &[invoices_api::domain::permission::Permission::InvoicesViewOther],
        )
        .await;
    for invoice in invoices {
        let path = format!("/api/invoices/{}", invoice["id"]);
        let theirs = w.get(&path, &reader).await;
        let ours = node
            .call_with_headers(ACME, Method::GET, &path, &token, None, &[])
            .await;
        assert_eq!(ours.status, 200, "{}", ours.text);
        assert_eq!(ours.text, theirs.text);
        assert_eq!(ours.header("etag"), theirs.header("etag"));
    }
    crate::events::all_committed_visible(&node.db).await;
    let events = node
        .call_with_headers(
            ACME,
            Method::GET,
            "/api/events?limit=100",
            &token,
            None,
            &[],
        )
        .await;
    let events = events.json().as_array().cloned().expect("events");
    assert_eq!(events.len(), 13);
    assert!(events.iter().all(|e| e["type"] == "invoice.created"));
    let paid = events
        .iter()
        .filter(|e| e["data"]["status"] == "paid")
        .count();
    assert_eq!(
        paid, 4,
        "an imported invoice's event carries it as imported"
    );
    assert_eq!(
        events[0]["created_at"], invoices[0]["created_at"],
        "the event is dated at the invoice's creation"
    );
}

#[tokio::test]
async fn ids_given_and_ids_generated_never_collide() {
    let w = World::new().await;
    let file = export(&w.app.database.url, ACME).await;
    let mut parsed: Value = serde_json::from_str(&file).expect("JSON");
    let company = &mut parsed["companies"][0];
    company["projects"][0]["id"] = json!(500);
    company["invoices"] = json!([{
        "id": 1000, "project": company["projects"][0]["key"], "status": "draft", "value": 5,
        "issue_date": "2024-01-02", "created_by": "pm@acme.test",
        "created_at": "2024-01-02T10:00:00.000Z", "updated_at": "2024-01-02T10:00:00.000Z"
    }]);
    let target = fresh_database().await;
    let out = import(&target.url, &parsed.to_string()).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let node = spawn_app_on(target, Limits::default(), None, false, |app| app).await;
    // Tokens are never imported: the member makes one on the new deployment.
    let token = invoices_api::store::admin::add_token(&node.db, "pm@acme.test", "t", None)
        .await
        .expect("token");
    let created = node
        .create_invoice(
            &token,
            ACME,
            &json!({ "project_id": 500, "value": 1, "issue_date": "2024-06-15" }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.json()["id"], 1001);
    let project = node
        .add_project(ACME, "pm@acme.test", "account@acme.test", None, false)
        .await;
    assert_eq!(project, 501);
}

#[tokio::test]
async fn an_id_of_another_company_s_record_is_named_and_nothing_is_written() {
    let w = World::new().await;
    let file = export(&w.app.database.url, ACME).await;
    let mut parsed: Value = serde_json::from_str(&file).expect("JSON");
    // The file's project takes globex's project id.
    parsed["companies"][0]["projects"][0]["id"] = json!(w.globex_project);
    let before = rows(&w.app.database.url, "projects").await;
    let out = import(&w.app.database.url, &parsed.to_string()).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("companies[0].projects[0].id") && stderr.contains("another company"),
        "{stderr}"
    );
    assert_eq!(rows(&w.app.database.url, "projects").await, before);
}

#[tokio::test]
async fn a_mistake_in_the_last_record_leaves_nothing_written() {
    let w = company_with_history().await;
    let file = export(&w.app.database.url, ACME).await;
    let mut parsed: Value = serde_json::from_str(&file).expect("JSON");
    let invoices = parsed["companies"][0]["invoices"]
        .as_array_mut()
        .expect("invoices");
    let last = invoices.len() - 1;
    // Only the database can tell: no such project key.
    invoices[last]["project"] = json!("no-such-project");
    let target = fresh_database().await;
    let out = import(&target.url, &parsed.to_string()).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("companies[0].invoices[{last}].project")),
        "{stderr}"
    );
    for table in [
        "companies",
        "users",
        "projects",
        "invoices",
        "invoice_events",
    ] {
        assert_eq!(rows(&target.url, table).await, 0, "{table}");
    }
}

#[tokio::test]
async fn an_import_never_changes_a_stored_invoice() {
    let w = company_with_history().await;
    let file = export(&w.app.database.url, ACME).await;
    let mut parsed: Value = serde_json::from_str(&file).expect("JSON");
    parsed["companies"][0]["invoices"][0]["value"] = json!(1);
    let out = import(&w.app.database.url, &parsed.to_string()).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("an import does not change invoices"),
        "{stderr}"
    );
    // An invoice needs an id or a number, so that importing the file again finds it.
    let mut parsed: Value = serde_json::from_str(&file).expect("JSON");
    let invoice = &mut parsed["companies"][0]["invoices"][12];
    invoice.as_object_mut().expect("an object").remove("id");
    let out = import(&w.app.database.url, &parsed.to_string()).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("companies[0].invoices[12].id"), "{stderr}");
}
