//! The operator's day with the real binary: listing every kind of record (a table, or JSON),
//! changing them within the contract's rules, and errors a person can act on.

use crate::cli::{Cli, CommandLine};
use crate::helpers::ACME;
use sea_orm::EntityTrait;
use serde_json::Value;
use std::time::Instant;

impl Cli {
    /// A `list … --json`, parsed.
    #[track_caller]
    fn json(&self, line: impl CommandLine) -> Value {
        let mut args = line.words();
        args.push("--json".into());
        let out = self.run(&args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON on stdout")
    }

    /// The stdout of a command that must succeed.
    #[track_caller]
    fn stdout(&self, line: impl CommandLine) -> String {
        let args = line.words();
        let out = self.run(&args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A company with a project, a budget area, a VAT rate, a payment term, an invoice contact
    /// and a token for Ann; returns (project id, budget area id, VAT rate id, payment term id,
    /// token).
    fn seed_all(&self) -> (String, String, String, String, String) {
        self.seed();
        let project = self.one_line(&format!("admin project add --company {ACME} --name Site --job-order JO-1 --pm ann@acme.test --account bob@acme.test"));
        let area = self.one_line(&format!(
            "admin budget-area add --project {project} --uid area-1 --name Design"
        ));
        let vat = self.one_line(&format!(
            "admin vat-rate add --company {ACME} --name Standard --rate 22"
        ));
        let term = self.one_line(&format!(
            "admin payment-term add --company {ACME} --name '30 days' --days 30"
        ));
        self.one_line(&format!("admin invoice-contact add --company {ACME} --email billing@client.example --alias Billing"));
        let token =
            self.one_line("admin token add --user ann@acme.test --name ci --expires-in-days 30");
        (project, area, vat, term, token)
    }
}

#[tokio::test]
async fn every_kind_of_record_is_listed_as_a_table_or_json() {
    let cli = Cli::new().await;
    let (project, area, vat, term, token) = cli.seed_all();

    let companies = cli.json("admin company list");
    assert_eq!(companies[0]["slug"], ACME);
    let users = cli.json("admin user list");
    assert_eq!(users.as_array().map(Vec::len), Some(2));
    let members = cli.json(&format!("admin member list --company {ACME}"));
    assert_eq!(members[0]["user"], "ann@acme.test");
    assert_eq!(
        members[0]["permissions"],
        serde_json::json!(["invoices.create", "invoices.create_other"])
    );
    let tokens = cli.json("admin token list --user ann@acme.test");
    assert_eq!(tokens[0]["name"], "ci");
    assert!(tokens[0]["expires_at"].is_string() && tokens[0]["revoked_at"].is_null());
    let projects = cli.json(&format!("admin project list --company {ACME}"));
    assert_eq!(projects[0]["id"].to_string(), project);
    assert_eq!(projects[0]["pm"], "ann@acme.test");
    let areas = cli.json(&format!("admin budget-area list --company {ACME}"));
    assert_eq!(areas[0]["id"].to_string(), area);
    assert_eq!(areas[0]["enabled"], true);
    let rates = cli.json(&format!("admin vat-rate list --company {ACME}"));
    assert_eq!(rates[0]["id"].to_string(), vat);
    assert_eq!(rates[0]["rate"].to_string(), "22");
    let terms = cli.json(&format!("admin payment-term list --company {ACME}"));
    assert_eq!(terms[0]["id"].to_string(), term);
    let contacts = cli.json(&format!("admin invoice-contact list --company {ACME}"));
    assert_eq!(contacts[0]["email"], "billing@client.example");

    // A table for people: a header, then one line per record.
    let table = cli.stdout("admin token list --user ann@acme.test");
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("NAME"), "{table}");
    assert_eq!(lines.len(), 2, "{table}");
    // The token's secret is shown once, by `add`, and never listed.
    assert!(!table.contains(&token) && !table.contains(&token[3..20]));
    let empty = cli.stdout(&format!(
        "admin invoice-contact list --company {ACME} --json"
    ));
    assert!(empty.starts_with('['));
}

#[tokio::test]
async fn reference_data_changes_apply_and_move_updated_at() {
    let cli = Cli::new().await;
    let (project, area, vat, term, _) = cli.seed_all();
    let db = invoices_api::store::database::open(&cli.database_url)
        .await
        .expect("db");
    let before = entity::project::Entity::find()
        .one(&db)
        .await
        .expect("reads")
        .expect("a project");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    let said = cli.one_line(&format!(
        "admin project rename --id {project} --name Portal"
    ));
    assert_eq!(said, format!("renamed project {project}"));
    cli.one_line(&format!("admin project archive --id {project}"));
    cli.one_line(&format!("admin project set --id {project} --pm bob@acme.test --account ann@acme.test --job-order JO-9"));
    let projects = cli.json(&format!("admin project list --company {ACME}"));
    assert_eq!(projects[0]["name"], "Portal");
    assert_eq!(projects[0]["archived"], true);
    assert_eq!(projects[0]["pm"], "bob@acme.test");
    assert_eq!(projects[0]["account"], "ann@acme.test");
    assert_eq!(projects[0]["job_order"], "JO-9");
    cli.one_line(&format!("admin project unarchive --id {project}"));
    cli.one_line(&format!("admin project set --id {project} --no-job-order"));
    let projects = cli.json(&format!("admin project list --company {ACME}"));
    assert_eq!(projects[0]["archived"], false);
    assert_eq!(projects[0]["job_order"], Value::Null);
    let after = entity::project::Entity::find()
        .one(&db)
        .await
        .expect("reads")
        .expect("a project");
    assert!(after.updated_at > before.updated_at);
    assert_eq!(after.created_at, before.created_at);

    cli.one_line(&format!("admin budget-area rename --id {area} --name UX"));
    cli.one_line(&format!("admin budget-area disable --id {area}"));
    let areas = cli.json(&format!("admin budget-area list --company {ACME}"));
    assert_eq!(
        (&areas[0]["name"], &areas[0]["enabled"]),
        (&"UX".into(), &false.into())
    );
    cli.one_line(&format!("admin budget-area enable --id {area}"));
    let areas = cli.json(&format!("admin budget-area list --company {ACME}"));
    assert_eq!(areas[0]["enabled"], true);

    for (kind, id) in [("vat-rate", &vat), ("payment-term", &term)] {
        cli.one_line(&format!("admin {kind} rename --id {id} --name Renamed"));
        cli.one_line(&format!("admin {kind} archive --id {id}"));
        let listed = cli.json(&format!("admin {kind} list --company {ACME}"));
        assert_eq!(listed[0]["name"], "Renamed", "{kind}");
        assert_eq!(listed[0]["archived"], true, "{kind}");
        cli.one_line(&format!("admin {kind} unarchive --id {id}"));
        let listed = cli.json(&format!("admin {kind} list --company {ACME}"));
        assert_eq!(listed[0]["archived"], false, "{kind}");
    }
    let rate = entity::vat_rate::Entity::find()
        .one(&db)
        .await
        .expect("reads")
        .expect("a rate");
    assert!(rate.updated_at > rate.created_at);

    cli.one_line(&format!(
        "admin company rename --slug {ACME} --name 'Acme Ltd'"
    ));
    cli.one_line("admin user rename --email bob@acme.test --name Robert");
    assert_eq!(cli.json("admin company list")[0]["name"], "Acme Ltd");
    assert_eq!(cli.json("admin user list")[1]["name"], "Robert");
}

#[tokio::test]
async fn members_gain_and_lose_permissions_and_leave() {
    let cli = Cli::new().await;
    cli.seed();
    let said = cli.one_line(&format!("admin member grant --company {ACME} --user bob@acme.test --permission invoices.view --permission invoices.create"));
    assert_eq!(said, "granted 1 permission(s) to bob@acme.test in acme");
    let bob = |cli: &Cli| cli.json(&format!("admin member list --company {ACME}"))[1].clone();
    assert_eq!(
        bob(&cli)["permissions"],
        serde_json::json!(["invoices.create", "invoices.view"])
    );
    cli.one_line(&format!(
        "admin member revoke --company {ACME} --user bob@acme.test --permission invoices.create"
    ));
    assert_eq!(
        bob(&cli)["permissions"],
        serde_json::json!(["invoices.view"])
    );
    cli.one_line(&format!(
        "admin member remove --company {ACME} --user bob@acme.test"
    ));
    let members = cli.json(&format!("admin member list --company {ACME}"));
    assert_eq!(members.as_array().map(Vec::len), Some(1));
    // Removed, Bob may join again.
    cli.one_line(&format!(
        "admin member add --company {ACME} --user bob@acme.test"
    ));
}

#[tokio::test]
async fn changes_that_break_the_rules_are_refused_and_change_nothing() {
    let cli = Cli::new().await;
    let (project, _, _, _, _) = cli.seed_all();
    cli.one_line("admin user add --email eve@other.test --name Eve");
    let listed = || cli.json(&format!("admin project list --company {ACME}"));
    let before = listed();

    let err = cli.fails(&format!(
        "admin project set --id {project} --pm eve@other.test"
    ));
    assert!(
        err.contains("PM eve@other.test is not a member of acme"),
        "{err}"
    );
    let err = cli.fails(&format!(
        "admin member remove --company {ACME} --user ann@acme.test"
    ));
    assert!(err.contains("is the PM or Account of project"), "{err}");
    let err = cli.fails("admin project archive --id 999");
    assert!(err.contains("no project with id 999"), "{err}");
    let err = cli.fails(&format!("admin project set --id {project}"));
    assert!(err.contains("nothing to change"), "{err}");
    let err = cli.fails(&format!("admin project rename --id {project} --name '  '"));
    assert!(err.contains("name must be 1 to 255 characters"), "{err}");
    let err = cli.fails(&format!(
        "admin member grant --company {ACME} --user eve@other.test --permission invoices.view"
    ));
    assert!(
        err.contains("eve@other.test is not a member of acme"),
        "{err}"
    );
    for kind in ["budget-area", "vat-rate", "payment-term"] {
        let err = cli.fails(&format!("admin {kind} rename --id 999 --name X"));
        assert!(err.contains("with id 999"), "{kind}: {err}");
    }
    assert_eq!(listed(), before);
    assert_eq!(
        cli.json(&format!("admin member list --company {ACME}"))
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn mistakes_on_the_command_line_say_what_to_do() {
    let cli = Cli::new().await;
    let err = cli.fails("admin company add --slug acme2");
    assert!(err.contains("--name"), "the missing flag is named: {err}");
    let err = cli.fails("admin");
    assert!(
        err.contains("company") && err.contains("invoice-contact"),
        "{err}"
    );
    let err = cli.fails("admin company");
    assert!(err.contains("add, list, rename"), "{err}");
    let err = cli.fails("admin compny list");
    assert!(
        err.contains("similar subcommand exists: 'company'"),
        "{err}"
    );
    let err = cli.fails(&format!(
        "admin member add --company {ACME} --user a@b.c --permission invoices.creat"
    ));
    assert!(
        err.contains("invoices.create_other") && err.contains("tip"),
        "{err}"
    );
    let err = cli.fails("admin token add --user a@b.c --name ci --expires-in-days 0");
    assert!(err.contains("--expires-in-days"), "{err}");
    let err = cli.fails(&format!(
        "admin vat-rate add --company {ACME} --name X --rate -5"
    ));
    assert!(
        err.contains("rate must be a percentage from 0 to 100"),
        "{err}"
    );
    // Every flag of every command has help text.
    let help = cli.stdout("admin project set --help");
    assert!(
        help.contains("--no-job-order") && help.contains("Remove the job order"),
        "{help}"
    );

    // `serve` is the default command, flags and all: a bad value of a serve flag is read as one.
    let err = cli.fails("--bind 127.0.0.1:0 --request-timeout-secs 0");
    assert!(err.contains("--request-timeout-secs"), "{err}");
    // A taken address names itself and the flag that changes it.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let address = taken.local_addr().expect("address").to_string();
    let out = cli.run(&format!("--bind {address}"));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&address) && stderr.contains("--bind"),
        "{stderr}"
    );
}

#[tokio::test]
async fn database_failures_say_why_at_once_without_the_password() {
    let cli = Cli::new().await;
    let started = Instant::now();
    let refused = cli.run("--database-url postgres://app:s3cret@127.0.0.1:1/invoices migrate");
    let waited = started.elapsed();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(stderr.contains("connection refused"), "{stderr}");
    assert!(
        stderr.contains("postgres://app:***@127.0.0.1:1/invoices"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret"), "{stderr}");
    // Not the pool's 5 s wait: a refused connection is known at once.
    assert!(waited.as_secs() < 4, "took {waited:?}");

    let missing = cli.run("--database-url sqlite:///no/such/folder/x.db migrate");
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("the folder /no/such/folder does not exist"),
        "{stderr}"
    );
}

#[tokio::test]
async fn demo_prints_a_curl_line_for_the_servers_address() {
    let cli = Cli::new().await;
    let out = cli.stdout("demo --bind 0.0.0.0:9123");
    assert!(
        out.contains("curl -i -X POST http://127.0.0.1:9123/api/invoices"),
        "{out}"
    );
}

/// A budget area's uid is unique within its company only: another company may use it.
#[tokio::test]
async fn budget_area_uids_are_unique_per_company() {
    let cli = Cli::new().await;
    let (project, _, _, _, _) = cli.seed_all();
    cli.one_line("admin company add --slug globex --name Globex");
    cli.one_line("admin member add --company globex --user ann@acme.test");
    let theirs = cli.one_line("admin project add --company globex --name Other --pm ann@acme.test --account ann@acme.test");
    // The README's own example works in a second company.
    cli.one_line(&format!(
        "admin budget-area add --project {theirs} --uid area-1 --name D"
    ));
    let second = cli.one_line(&format!("admin project add --company {ACME} --name Second --pm ann@acme.test --account bob@acme.test"));
    let err = cli.fails(&format!(
        "admin budget-area add --project {second} --uid area-1 --name D"
    ));
    assert!(err.contains("already exists in this company"), "{err}");
    let areas = cli.json(&format!("admin budget-area list --company {ACME}"));
    assert_eq!(areas.as_array().map(Vec::len), Some(1), "{areas}");
    assert_eq!(areas[0]["project"].to_string(), project);
}
