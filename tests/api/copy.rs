//! Moving a deployment to another database (`invoices-api copy --from --to`), either way.
//!
//! Each test copies between the run's database (PostgreSQL under `tests/with-postgres.sh`,
//! SQLite otherwise) and SQLite, in both directions, and within the run's database. The
//! deployment copied is a realistic one: two companies with members, tokens, projects, a
//! budget, reference data, 10,000 invoices in every status with their events, an
//! idempotency key, and webhook endpoints with delivered, failed and pending deliveries (the delivered ones
//! counted on their endpoint, the others as rows).

use crate::helpers::{
    ACME, FreshDatabase, GLOBEX, Reply, VERSION, World, create_with_key, fresh_database,
    fresh_sqlite, spawn_app_on,
};
use crate::read_only::read_only_node;
use crate::webhooks::{Receiver, admin};
use entity::{webhook_delivery, webhook_endpoint};
use invoices_api::config::Limits;
use invoices_api::domain::permission::Permission;
use invoices_api::store::copy::{NOT_COPIED, copied_table_names, tables};
use invoices_api::store::database;
use invoices_api::store::webhook_streams::not_yet_sent;
use reqwest::Method;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const INVOICES: usize = 10_000;

/// The source's webhook retry schedule: one retry, late enough that a delivery whose first
/// attempt failed is still pending when the source stops.
const SOURCE_RETRY: Duration = Duration::from_secs(5);

/// Runs `invoices-api copy --from … --to …` off the test's runtime thread.
async fn copy(from: &str, to: &str) -> Output {
    let (from, to) = (from.to_owned(), to.to_owned());
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_invoices-api"))
            .args(["copy", "--from", &from, "--to", &to])
            .env_remove("RUST_LOG")
            .output()
            .expect("binary runs")
    })
    .await
    .expect("joins")
}

/// The copy's report: rows and both checksums per table.
fn report(out: &Output) -> BTreeMap<String, (u64, String, String)> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "copy failed: {}{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            match fields[..] {
                [table, rows, source, target] => Some((
                    table.to_owned(),
                    (rows.parse().ok()?, source.to_owned(), target.to_owned()),
                )),
                _ => None,
            }
        })
        .collect()
}

/// A GET on `address` as `token` in `company`.
async fn get(address: &str, company: &str, path: &str, token: &str) -> Reply {
    let response = reqwest::Client::new()
        .get(format!("{address}{path}"))
        .bearer_auth(token)
        .header("Wethod-Company", company)
        .header("Wethod-Version", VERSION)
        .send()
        .await
        .expect("request sent");
    Reply::from(response).await
}

/// Creates `n` invoices of the world's project, 8 at a time; returns their ids.
async fn create_many(w: &World, n: usize) -> Vec<i64> {
    let mut tasks = tokio::task::JoinSet::new();
    let per_task = n.div_ceil(8);
    for task in 0..8 {
        let count = per_task.min(n.saturating_sub(task * per_task));
        let (client, url, token) = (
            w.app.client.clone(),
            w.app.url("/api/invoices"),
            w.pm.clone(),
        );
        let body = w.body_with(json!({ "notes": format!("batch {task}") }));
        tasks.spawn(async move {
            let mut ids = Vec::with_capacity(count);
            for _ in 0..count {
                let reply = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("Wethod-Company", ACME)
                    .header("Wethod-Version", VERSION)
                    .json(&body)
                    .send()
                    .await
                    .expect("request sent");
                assert_eq!(reply.status(), 201);
                let created: Value = reply.json().await.expect("JSON");
                ids.push(created["id"].as_i64().expect("id"));
            }
            ids
        });
    }
    let mut ids: Vec<i64> = tasks.join_all().await.into_iter().flatten().collect();
    ids.sort_unstable();
    ids
}

/// The event a receiver got.
fn event_of(received: &crate::webhooks::Received) -> i64 {
    received.json()["id"].as_i64().unwrap_or_default()
}

/// The webhook deliveries of the endpoint with this URL: event id → status.
async fn deliveries(db: &DatabaseConnection, url: &str) -> BTreeMap<i64, String> {
    let endpoint = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Url.eq(url))
        .one(db)
        .await
        .expect("query")
        .expect("the endpoint");
    webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint.id))
        .all(db)
        .await
        .expect("query")
        .into_iter()
        .map(|d| (d.event_id, d.status))
        .collect()
}

/// The realistic deployment, stopped (as a source is during a cut-over).
struct Deployment {
    w: World,
    tokens: Vec<String>,
    /// A member who may see and change every invoice of `acme`.
    clerk: String,
    /// Members of `acme` and `globex` who may see every invoice and budget.
    auditors: (String, String),
    ok: (Receiver, String),
    failing: (Receiver, String),
    pending: (Receiver, String),
    /// The idempotency key, the body sent with it and the first answer.
    idempotent: (String, String, Reply),
}

impl Deployment {
    async fn on(fresh: FreshDatabase) -> Self {
        let webhooks = crate::helpers::webhook_settings(&[SOURCE_RETRY]);
        let app = spawn_app_on(fresh, Limits::default(), None, false, |app| {
            app.with_webhooks(webhooks)
        })
        .await;
        let w = World::on(app).await;
        let area = w.app.add_budget_area(w.project, "design", true).await;
        assert!(area > 0);
        let contact =
            invoices_api::store::admin::add_invoice_contact(&w.app.db, ACME, "a@b.test", "Billing")
                .await
                .expect("contact added");
        // 50 are deleted below: at least INVOICES remain.
        let ids = create_many(&w, INVOICES + 50).await;
        let clerk = crate::events::clerk(&w).await;
        let sees_all = [Permission::InvoicesViewOther, Permission::BudgetViewOther];
        let auditors = (
            w.app.add_member(ACME, "auditor@acme.test", &sees_all).await,
            w.app
                .add_member(GLOBEX, "auditor@globex.test", &sees_all)
                .await,
        );
        // Every status, and updates and deletes in the events.
        for (n, id) in ids.iter().take(300).enumerate() {
            let path = format!("/api/invoices/{id}");
            let reply = match n % 6 {
                0 => {
                    let body = json!({ "notes": "changed", "budget_area_uid": "design" });
                    w.call(Method::PATCH, &path, &clerk, Some(&body)).await
                }
                1 | 2 => {
                    let body = json!({ "invoice_contact_id": contact });
                    w.call(Method::POST, &format!("{path}:send"), &clerk, Some(&body))
                        .await
                }
                3 => w.call(Method::DELETE, &path, &clerk, None).await,
                _ => {
                    w.call(Method::POST, &format!("{path}:send"), &clerk, None)
                        .await
                }
            };
            assert!(reply.status < 300, "{}", reply.text);
        }
        for id in ids.iter().take(300).skip(1).step_by(6) {
            let body = json!({ "payment_date": "2024-07-01" });
            let path = format!("/api/invoices/{id}:set-paid");
            let reply = w.call(Method::POST, &path, &clerk, Some(&body)).await;
            assert_eq!(reply.status, 200, "{}", reply.text);
        }
        let globex = w.globex_member.clone();
        let body =
            json!({ "project_id": w.globex_project, "value": 5, "issue_date": "2024-01-02" });
        assert_eq!(
            w.app.create_invoice(&globex, GLOBEX, &body).await.status,
            201
        );
        let key_body = w.body_with(json!({ "value": 42.5 })).to_string();
        let first = create_with_key(&w, &w.pm, ACME, "copy-key-1", &key_body).await;
        assert_eq!(first.status, 201, "{}", first.text);

        // Delivered and failed deliveries.
        let ok = Receiver::default();
        let ok_url = ok.start().await;
        let failing = Receiver::failing_first(&[500; 100]);
        let failing_url = failing.start().await;
        for url in [&ok_url, &failing_url] {
            admin(
                &w,
                &format!("admin webhook add --company {ACME} --url {url}"),
            )
            .await;
        }
        for _ in 0..3 {
            w.invoice(json!({})).await;
        }
        ok.wait_for(3).await;
        for _ in 0..400 {
            let failed = deliveries(&w.app.db, &failing_url).await;
            if failed.values().filter(|s| *s == "failed").count() == 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Deliveries still pending when the source stops: their first attempt failed.
        let pending = Receiver::failing_first(&[500; 3]);
        let pending_url = pending.start().await;
        admin(
            &w,
            &format!("admin webhook add --company {ACME} --url {pending_url}"),
        )
        .await;
        for _ in 0..3 {
            w.invoice(json!({})).await;
        }
        pending.wait_for(3).await;
        // Stop once every attempt made is recorded: a delivery the stopped source still held
        // would wait on the target until its claim runs out (as after a node's crash), and an
        // event sent but not recorded would be sent again by the target.
        for _ in 0..400 {
            let claimed = webhook_delivery::Entity::find()
                .filter(webhook_delivery::Column::ClaimedUntil.is_not_null())
                .count(&w.app.db)
                .await
                .expect("count");
            let mut unsent = 0;
            for endpoint in webhook_endpoint::Entity::find()
                .all(&w.app.db)
                .await
                .expect("endpoints")
            {
                unsent += not_yet_sent(&w.app.db, &endpoint).await.expect("count");
            }
            if claimed == 0 && unsent == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        w.app.stop().await;
        let tokens = vec![
            w.pm.clone(),
            w.account.clone(),
            w.outsider.clone(),
            w.boss.clone(),
            w.viewer.clone(),
            w.globex_member.clone(),
            clerk.clone(),
            auditors.0.clone(),
            auditors.1.clone(),
        ];
        Deployment {
            w,
            tokens,
            clerk,
            auditors,
            ok: (ok, ok_url),
            failing: (failing, failing_url),
            pending: (pending, pending_url),
            idempotent: ("copy-key-1".into(), key_body, first),
        }
    }

    fn url(&self) -> &str {
        &self.w.app.database.url
    }
}

/// Every read a client makes, on `address`: every page of every list and each record.
async fn every_read(address: &str, d: &Deployment) -> Vec<(String, u16, String, Option<String>)> {
    let w = &d.w;
    let mut paths: Vec<(&str, String)> = Vec::new();
    for offset in (0..INVOICES + 20).step_by(100) {
        paths.push((ACME, format!("/api/invoices?limit=100&offset={offset}")));
    }
    for id in (1..=INVOICES as i64 + 20).step_by(37) {
        paths.push((ACME, format!("/api/invoices/{id}")));
    }
    for list in [
        "/api/projects",
        "/api/budgets",
        "/api/budget-areas",
        "/api/vat-rates",
        "/api/payment-terms",
        "/api/invoice-contacts",
        "/api/members",
    ] {
        paths.push((ACME, list.to_owned()));
        paths.push((GLOBEX, list.to_owned()));
    }
    paths.push((ACME, format!("/api/projects/{}", w.project)));
    let mut reads = Vec::new();
    for (company, path) in paths {
        let token = if company == ACME {
            &d.auditors.0
        } else {
            &d.auditors.1
        };
        let reply = get(address, company, &path, token).await;
        assert!(
            reply.status == 200 || path.starts_with("/api/invoices/"),
            "{path}: {}",
            reply.text
        );
        reads.push((
            path,
            reply.status,
            reply.text.clone(),
            reply.header("etag").map(str::to_owned),
        ));
    }
    let mut after = 0;
    loop {
        let path = format!("/api/events?after={after}&limit=100");
        let reply = get(address, ACME, &path, &d.clerk).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let events = reply.json().as_array().cloned().unwrap_or_default();
        reads.push((path, reply.status, reply.text.clone(), None));
        match events.last() {
            Some(last) => after = last["id"].as_i64().expect("an event id"),
            None => break,
        }
    }
    reads
}

/// The highest id of every table the copy writes.
async fn highest_ids(url: &str) -> BTreeMap<String, i64> {
    crate::helpers::per_table(url, copied_table_names(), "coalesce(max(id), 0)").await
}

async fn copies_a_whole_deployment(source: FreshDatabase, target: FreshDatabase) {
    let d = Deployment::on(source).await;
    let source_db = database::open(d.url()).await.expect("source opens");
    let ok_before = d.ok.0.got().len();
    let delivered_ok: BTreeSet<i64> = d.ok.0.got().iter().map(event_of).collect();
    assert!(!delivered_ok.is_empty());
    let owed_pending = deliveries(&source_db, &d.pending.1).await;
    assert!(
        owed_pending.values().all(|s| s == "pending") && owed_pending.len() == 3,
        "{owed_pending:?}"
    );
    let owed_failing: BTreeSet<i64> = deliveries(&source_db, &d.failing.1)
        .await
        .into_iter()
        .filter(|(_, s)| s == "pending")
        .map(|(id, _)| id)
        .collect();
    let failed_before = d.failing.0.got().len();
    // The cut-over: the source serves reads only while it is copied.
    let source = read_only_node(d.url()).await;

    let out = copy(d.url(), &target.url).await;
    let copied = report(&out);
    let expected: BTreeSet<String> = copied_table_names().into_iter().collect();
    assert_eq!(copied.keys().cloned().collect::<BTreeSet<_>>(), expected);
    for (table, (rows, from, to)) in &copied {
        assert_eq!(from, to, "{table}");
        if table != "webhook_deliveries" || *rows > 0 {
            assert!(
                *rows > 0,
                "{table} copied no row: the deployment should have some"
            );
        }
    }
    assert!(copied["invoices"].0 >= INVOICES as u64);
    assert!(copied["invoice_events"].0 > copied["invoices"].0);

    let highest_before = highest_ids(&target.url).await;
    let node = spawn_app_on(target, Limits::default(), None, false, |app| {
        app.with_webhooks(crate::helpers::webhook_settings(
            &crate::helpers::WEBHOOK_RETRIES,
        ))
    })
    .await;
    let target_address = node.address.clone();

    // The same requests answer the same, byte for byte, ETags included.
    let on_source = every_read(&source, &d).await;
    let on_target = every_read(&target_address, &d).await;
    assert_eq!(on_source.len(), on_target.len());
    for (theirs, ours) in on_source.iter().zip(&on_target) {
        assert_eq!(theirs, ours, "{} differs", theirs.0);
    }
    // Every token still authenticates, and as the same member.
    for token in &d.tokens {
        for company in [ACME, GLOBEX] {
            let before = get(&source, company, "/api/members", token).await;
            let after = get(&target_address, company, "/api/members", token).await;
            assert_ne!(after.status, 401, "a token no longer authenticates");
            assert_eq!((before.status, before.text), (after.status, after.text));
        }
    }
    // A replayed idempotency key answers what the first request did.
    let (key, body, first) = &d.idempotent;
    let replay = node
        .post_invoice_raw(
            &[
                ("Authorization", &format!("Bearer {}", d.w.pm)),
                ("Wethod-Company", ACME),
                ("Wethod-Version", VERSION),
                ("Content-Type", "application/json"),
                ("Idempotency-Key", key),
            ],
            body.clone(),
        )
        .await;
    assert_eq!((replay.status, &replay.text), (first.status, &first.text));
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));

    // A client following the events on the source goes on on the target: every later event
    // exactly once.
    let last_on_source = on_source
        .iter()
        .rev()
        .filter(|(path, ..)| path.starts_with("/api/events"))
        .find_map(|(_, _, text, _)| {
            let page: Value = serde_json::from_str(text).ok()?;
            page.as_array()?.last()?["id"].as_i64()
        })
        .expect("the source has events");
    let reply = node
        .create_invoice(&d.w.pm, ACME, &d.w.minimal_body())
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let new_invoice = reply.json()["id"].as_i64().expect("id");
    // The event is listed, and delivered, once no transaction before it may still commit.
    crate::events::all_committed_visible(&node.db).await;
    let later = get(
        &target_address,
        ACME,
        &format!("/api/events?after={last_on_source}"),
        &d.w.pm,
    )
    .await;
    let later: Vec<Value> = later.json().as_array().cloned().unwrap_or_default();
    assert_eq!(later.len(), 1, "{later:?}");
    assert_eq!(later[0]["type"], "invoice.created");
    assert_eq!(later[0]["invoice_id"], new_invoice);
    let new_event = later[0]["id"].as_i64().expect("an event id");

    // Pending deliveries are delivered by the target, with their webhook-ids; delivered ones
    // are not delivered again; the new event is delivered to every endpoint.
    let (pending, _) = &d.pending;
    let got = pending.wait_for(3 + 3 + 1).await;
    let resent: BTreeSet<String> = got[3..].iter().map(|r| r.id()).collect();
    let first_attempts: BTreeSet<String> = got[..3].iter().map(|r| r.id()).collect();
    assert!(
        first_attempts.is_subset(&resent),
        "{first_attempts:?} {resent:?}"
    );
    let (ok, _) = &d.ok;
    for _ in 0..400 {
        if ok.got()[ok_before..]
            .iter()
            .any(|r| event_of(r) == new_event)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let sent_by_target: Vec<i64> = ok.got()[ok_before..].iter().map(event_of).collect();
    assert!(sent_by_target.contains(&new_event), "{sent_by_target:?}");
    assert!(
        sent_by_target.iter().all(|id| !delivered_ok.contains(id)),
        "a delivered event was delivered again: {sent_by_target:?}"
    );
    let (failing, _) = &d.failing;
    failing.wait_for(failed_before + owed_failing.len()).await;
    // The new event's attempt at the failing endpoint failed: it becomes a delivery row, under
    // a fresh id (a success leaves none).
    for _ in 0..400 {
        if deliveries(&node.db, &d.failing.1)
            .await
            .contains_key(&new_event)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }

    // Every table takes new rows under fresh ids.
    let w = &d.w;
    let admin_db = &node.db;
    use invoices_api::store::admin as ops;
    ops::add_company(admin_db, "initech", "Initech")
        .await
        .expect("company");
    ops::add_user(admin_db, "new@initech.test", "New")
        .await
        .expect("user");
    ops::add_member(
        admin_db,
        "initech",
        "new@initech.test",
        &[Permission::InvoicesView],
    )
    .await
    .expect("member");
    ops::add_token(admin_db, "new@initech.test", "t", None)
        .await
        .expect("token");
    let project = node
        .add_project(
            "initech",
            "new@initech.test",
            "new@initech.test",
            None,
            false,
        )
        .await;
    // A project's first budget area comes with the project's budget.
    node.add_budget_area(project, "build", true).await;
    node.add_vat_rate(ACME, false).await;
    node.add_payment_term(ACME, false).await;
    ops::add_invoice_contact(admin_db, ACME, "c@d.test", "Other")
        .await
        .expect("contact");
    let keyed = create_with_key_on(&node, &w.pm, "copy-key-2", &w.minimal_body().to_string()).await;
    assert_eq!(keyed.status, 201, "{}", keyed.text);
    invoices_api::store::webhooks::add_endpoint(
        admin_db,
        ACME,
        "http://127.0.0.1:9/x",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        &[],
    )
    .await
    .expect("endpoint");
    let after = highest_ids(&node.database.url).await;
    for (table, before) in &highest_before {
        assert!(after[table] > *before, "{table}: no row after id {before}");
    }
    let _ = source_db.close().await;

    // A second copy into the target, now holding data (and stopped, so that nothing else
    // writes), is refused and changes nothing.
    node.stop().await;
    let held = row_counts(&node.database.url).await;
    let again = copy(d.url(), &node.database.url).await;
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("already holds data"), "{stderr}");
    assert_eq!(row_counts(&node.database.url).await, held);
}

#[tokio::test]
async fn copies_a_deployment_from_the_database_into_sqlite() {
    copies_a_whole_deployment(fresh_database().await, fresh_sqlite()).await;
}

#[tokio::test]
async fn copies_a_deployment_from_sqlite_into_the_database() {
    copies_a_whole_deployment(fresh_sqlite(), fresh_database().await).await;
}

#[tokio::test]
async fn copies_a_deployment_within_the_database() {
    copies_a_whole_deployment(fresh_database().await, fresh_database().await).await;
}

/// `POST /api/invoices` on `app` with an idempotency key.
async fn create_with_key_on(
    app: &crate::helpers::TestApp,
    token: &str,
    key: &str,
    body: &str,
) -> Reply {
    app.post_invoice_raw(
        &[
            ("Authorization", &format!("Bearer {token}")),
            ("Wethod-Company", ACME),
            ("Wethod-Version", VERSION),
            ("Content-Type", "application/json"),
            ("Idempotency-Key", key),
        ],
        body.to_owned(),
    )
    .await
}

#[tokio::test]
async fn every_table_of_the_schema_is_copied_or_left_out_on_purpose() {
    let fresh = fresh_database().await;
    let db = database::open(&fresh.url).await.expect("opens");
    let schema: BTreeSet<String> = tables(&db).await.expect("tables").into_iter().collect();
    let mut accounted: BTreeSet<String> = copied_table_names().into_iter().collect();
    // Some of those left out exist on one backend only.
    accounted.extend(
        NOT_COPIED
            .iter()
            .map(|(table, _)| (*table).to_owned())
            .filter(|table| schema.contains(table)),
    );
    assert_eq!(
        schema, accounted,
        "a table is neither copied nor left out with a reason"
    );
}

/// The rows of every table the copy writes, on `url`.
async fn row_counts(url: &str) -> BTreeMap<String, i64> {
    crate::helpers::per_table(url, copied_table_names(), "count(*)").await
}

/// Kills a copy of `w`'s database into `target` while it writes the invoices; the target must
/// hold nothing afterwards, and a new copy then succeeds.
async fn a_killed_copy_leaves_nothing(w: &World, target: FreshDatabase) {
    let (from, to) = (w.app.database.url.clone(), target.url.clone());
    let killed = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_invoices-api"))
            .args(["copy", "--from", &from, "--to", &to])
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("binary runs");
        let stderr = child.stderr.take().expect("stderr");
        // The tables before the invoices are copied: the invoices are being written now.
        let mut seen = Vec::new();
        for line in std::io::BufReader::new(stderr).lines() {
            let line = line.expect("a line");
            let at_invoices = line.starts_with("copy: invoice_contacts");
            seen.push(line);
            if at_invoices {
                break;
            }
        }
        child.kill().expect("SIGKILL");
        let status = child.wait().expect("waits");
        (status, seen)
    })
    .await
    .expect("joins");
    let (status, seen) = killed;
    assert!(
        !status.success(),
        "the copy finished before it was killed: {seen:?}"
    );
    let counts = row_counts(&target.url).await;
    assert!(
        counts.values().all(|n| *n == 0),
        "a killed copy left rows: {counts:?}"
    );
    let out = copy(&w.app.database.url, &target.url).await;
    let copied = report(&out);
    assert_eq!(copied["invoices"].0, INVOICES as u64);
}

#[tokio::test]
async fn a_copy_into_sqlite_killed_half_way_leaves_the_target_empty() {
    let w = World::new().await;
    create_many(&w, INVOICES).await;
    a_killed_copy_leaves_nothing(&w, fresh_sqlite()).await;
}

#[tokio::test]
async fn a_copy_into_the_database_killed_half_way_leaves_the_target_empty() {
    let app = spawn_app_on(fresh_sqlite(), Limits::default(), None, false, |app| app).await;
    let w = World::on(app).await;
    create_many(&w, INVOICES).await;
    a_killed_copy_leaves_nothing(&w, fresh_database().await).await;
}

#[tokio::test]
async fn new_events_on_the_target_come_after_every_copied_one() {
    // A source whose newest event has an id far above what the target would give next.
    let source = fresh_sqlite();
    let app = spawn_app_on(source, Limits::default(), None, false, |app| app).await;
    let w = World::on(app).await;
    w.invoice(json!({})).await;
    let high: i64 = 1 << 45;
    w.app
        .db
        .execute_unprepared(&format!("UPDATE invoice_events SET id = {high}"))
        .await
        .expect("update");
    w.app.stop().await;
    let target = fresh_database().await;
    // On PostgreSQL the target's next ids come from its transaction counter, far below: the
    // copy raises the target's offset. SQLite continues after the highest id.
    report(&copy(&w.app.database.url, &target.url).await);
    let node = spawn_app_on(target, Limits::default(), None, false, |app| app).await;
    let reply = node.create_invoice(&w.pm, ACME, &w.minimal_body()).await;
    assert_eq!(reply.status, 201);
    crate::events::all_committed_visible(&node.db).await;
    let all = get(&node.address, ACME, "/api/events?after=0", &w.pm).await;
    let ids: Vec<i64> = all
        .json()
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["id"].as_i64())
        .collect();
    assert_eq!(ids.len(), 2, "{}", all.text);
    assert_eq!(ids[0], high);
    assert!(ids[1] > high, "{ids:?}");
    let later = get(
        &node.address,
        ACME,
        &format!("/api/events?after={high}"),
        &w.pm,
    )
    .await;
    assert_eq!(
        later.json().as_array().map(Vec::len),
        Some(1),
        "{}",
        later.text
    );
}

#[tokio::test]
async fn a_source_with_a_table_or_column_the_copy_does_not_know_is_refused_by_name() {
    for (change, named) in [
        (
            "CREATE TABLE later_notes (id integer PRIMARY KEY, note text)",
            "later_notes",
        ),
        (
            "ALTER TABLE invoices ADD COLUMN later_column text",
            "later_column",
        ),
    ] {
        let w = World::new().await;
        w.invoice(json!({})).await;
        w.app
            .db
            .execute_unprepared(change)
            .await
            .expect("the schema changes");
        let target = fresh_sqlite();
        let out = copy(&w.app.database.url, &target.url).await;
        assert!(!out.status.success(), "{change}: copied");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(named) && stderr.contains("this release"),
            "{stderr}"
        );
        let counts = row_counts(&target.url).await;
        assert!(counts.values().all(|n| *n == 0), "{counts:?}");
    }
}
