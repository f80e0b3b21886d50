//! `invoices-api admin import FILE`: create what is missing, update what differs, change
//! nothing the second time; a broken file writes nothing and names the place of each mistake.

use crate::cli::{Cli, CommandLine};
use serde_json::{Value, json};

/// The documented example: the demo company.
fn example() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/import.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("the example file")).expect("JSON")
}

impl Cli {
    /// Imports `file` (written to a temporary file); returns the command's output.
    fn import(&self, file: &Value) -> std::process::Output {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("import.json");
        std::fs::write(&path, file.to_string()).expect("written");
        let path = path.to_str().expect("a path");
        self.run(&format!("admin import {path}"))
    }

    #[track_caller]
    fn imports(&self, file: &Value) -> String {
        let out = self.import(file);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
    }

    #[track_caller]
    fn refuses(&self, file: &Value) -> String {
        let out = self.import(file);
        assert!(!out.status.success(), "the import should fail");
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&out.stderr).trim_end().to_owned();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        stderr
    }

    /// Everything an import can write, as the lists show it.
    fn everything(&self) -> Value {
        let list = |line: &str| {
            let mut args = line.words();
            args.push("--json".into());
            let out = self.run(&args);
            serde_json::from_slice::<Value>(&out.stdout).unwrap_or(Value::Null)
        };
        json!({
            "companies": list("admin company list"),
            "users": list("admin user list"),
            "members": list("admin member list --company demo"),
            "projects": list("admin project list --company demo"),
            "budgets": list("admin budget list --company demo"),
            "budget_areas": list("admin budget-area list --company demo"),
            "vat_rates": list("admin vat-rate list --company demo"),
            "payment_terms": list("admin payment-term list --company demo"),
            "contacts": list("admin invoice-contact list --company demo"),
        })
    }
}

#[tokio::test]
async fn importing_twice_changes_nothing_and_an_edited_file_applies_its_edits() {
    let cli = Cli::new().await;
    let file = example();
    assert_eq!(
        cli.imports(&file),
        "imported: 13 created, 0 updated, 0 unchanged"
    );
    let first = cli.everything();
    assert_eq!(first["projects"][0]["key"], "website");
    assert_eq!(first["vat_rates"][0]["rate"].to_string(), "22");
    assert_eq!(
        first["members"][1]["permissions"],
        json!(["invoices.create"])
    );

    assert_eq!(
        cli.imports(&file),
        "imported: no changes (13 records unchanged)"
    );
    assert_eq!(cli.everything(), first, "a second import changes nothing");

    let mut edited = file.clone();
    let company = &mut edited["companies"][0];
    company["projects"][0]["name"] = json!("Website relaunch");
    company["projects"][0]["budgets"][0]["budget_areas"][0]["enabled"] = json!(false);
    company["vat_rates"][0]["rate"] = json!(21.5);
    company["members"][1]["permissions"] = json!(["invoices.view"]);
    company["invoice_contacts"]
        .as_array_mut()
        .expect("contacts")
        .push(json!({ "email": "ap@client.example", "alias": "Accounts payable" }));
    assert_eq!(
        cli.imports(&edited),
        "imported: 1 created, 4 updated, 9 unchanged"
    );
    let after = cli.everything();
    assert_eq!(after["projects"][0]["name"], "Website relaunch");
    assert_eq!(after["projects"][0]["id"], first["projects"][0]["id"]);
    assert_eq!(after["projects"][1], first["projects"][1]);
    assert_eq!(after["budget_areas"][0]["enabled"], false);
    assert_eq!(after["budgets"], first["budgets"]);
    // The budget and its areas as the file gives them.
    assert_eq!(
        first["budgets"],
        json!([{ "id": 1, "project": first["projects"][0]["id"], "version": 1,
                 "status": "APPROVED", "baseline": true, "currency": "EUR",
                 "final_net_price": 12500, "total_price": 12500 }])
    );
    let areas: Vec<(Value, Value, Value)> = first["budget_areas"]
        .as_array()
        .expect("areas")
        .iter()
        .map(|a| (a["uid"].clone(), a["budget"].clone(), a["type"].clone()))
        .collect();
    assert_eq!(
        areas,
        [
            (json!("area-1"), json!(1), json!("DEFAULT")),
            (json!("area-2"), json!(1), json!("CONTINGENCY-DISCOUNT"))
        ]
    );
    assert_eq!(after["vat_rates"][0]["rate"].to_string(), "21.5");
    assert_eq!(after["members"][1]["permissions"], json!(["invoices.view"]));
    assert_eq!(after["members"][0], first["members"][0]);
    assert_eq!(after["contacts"].as_array().map(Vec::len), Some(2));
    assert_eq!(after["users"], first["users"]);
    assert_eq!(after["payment_terms"], first["payment_terms"]);
}

#[tokio::test]
async fn a_broken_file_writes_nothing_and_names_the_place_of_each_mistake() {
    let cli = Cli::new().await;
    let mut file = example();
    file["companies"][0]["projects"][1]["colour"] = json!("red");
    let err = cli.refuses(&file);
    assert!(
        err.contains("companies[0].projects[1].colour: unknown field"),
        "{err}"
    );

    let mut file = example();
    file["companies"][0]["slug"] = json!("Demo Co");
    file["companies"][0]["vat_rates"][0]["rate"] = json!(120);
    file["companies"][0]["payment_terms"]
        .as_array_mut()
        .expect("terms")
        .push(json!({ "key": "30-days", "name": "Again", "days": 1 }));
    file["companies"][0]["members"][0]["permissions"][0] = json!("invoices.fly");
    let err = cli.refuses(&file);
    for place in [
        "companies[0].slug:",
        "companies[0].vat_rates[0].rate:",
        "companies[0].payment_terms[1].key: \"30-days\" is given twice",
        "companies[0].members[0].permissions[0]:",
    ] {
        assert!(err.contains(place), "{place} in {err}");
    }

    // Found only against the database, inside the transaction: everything before it in the
    // file is rolled back too.
    let mut file = example();
    file["users"]
        .as_array_mut()
        .expect("users")
        .push(json!({ "email": "eve@other.test", "name": "Eve" }));
    file["companies"][0]["projects"][1]["pm"] = json!("eve@other.test");
    let err = cli.refuses(&file);
    assert!(
        err.contains("companies[0].projects[1].pm: eve@other.test is not a member of demo"),
        "{err}"
    );
    // Tokens are never imported.
    let mut file = example();
    file["tokens"] = json!([{ "user": "ann@demo.test", "name": "ci" }]);
    let err = cli.refuses(&file);
    assert!(
        err.contains("tokens: unknown field") || err.contains("unknown field `tokens`"),
        "{err}"
    );
    let err = cli.refuses(&json!("not an object"));
    assert!(err.contains("file:"), "{err}");

    let nothing = cli.everything();
    assert_eq!(nothing["companies"], json!([]), "nothing was written");
    assert_eq!(nothing["users"], json!([]), "nothing was written");
}

/// A company set up by hand with `add` is taken over by a first import, not duplicated: a
/// keyed record not found by its key takes the one record of its name without a key.
#[tokio::test]
async fn a_first_import_takes_over_records_made_by_hand() {
    let cli = Cli::new().await;
    cli.one_line("admin company add --slug demo --name 'Demo Company'");
    cli.one_line("admin user add --email ann@demo.test --name 'Ann Demo'");
    cli.one_line("admin user add --email bob@demo.test --name 'Bob Demo'");
    for user in ["ann@demo.test", "bob@demo.test"] {
        cli.one_line(&format!("admin member add --company demo --user {user}"));
    }
    let by_hand = cli.one_line("admin project add --company demo --name 'Website redesign' --pm ann@demo.test --account bob@demo.test");
    cli.one_line("admin vat-rate add --company demo --name Standard --rate 22");
    let said = cli.imports(&example());
    assert!(said.starts_with("imported: "), "{said}");
    let all = cli.everything();
    assert_eq!(all["projects"].as_array().map(Vec::len), Some(2));
    assert_eq!(all["projects"][0]["id"].to_string(), by_hand);
    assert_eq!(all["projects"][0]["key"], "website");
    assert_eq!(all["projects"][0]["job_order"], "JO-2026-001");
    assert_eq!(all["vat_rates"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        cli.imports(&example()),
        "imported: no changes (13 records unchanged)"
    );
}

/// `demo` is the example file imported, plus a token: each after the other changes nothing.
#[tokio::test]
async fn demo_and_the_example_file_are_the_same_company() {
    let cli = Cli::new().await;
    let out = cli.run("demo");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        cli.imports(&example()),
        "imported: no changes (13 records unchanged)"
    );
}
