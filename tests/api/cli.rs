//! The operator's command line, run as the real binary.

use crate::helpers::{ACME, VERSION, row_count};
use serde_json::json;
use std::process::{Command, Output};

/// A command line for the binary: a `&str` of words split at white space, where `'…'` quotes
/// one argument with spaces (`--name '30 days'`); or a slice of arguments as they are.
pub(crate) trait CommandLine {
    fn words(&self) -> Vec<String>;
}

impl CommandLine for &str {
    fn words(&self) -> Vec<String> {
        self.split('\'')
            .enumerate()
            .flat_map(|(i, part)| {
                if i % 2 == 1 {
                    vec![part.to_owned()]
                } else {
                    part.split_whitespace().map(str::to_owned).collect()
                }
            })
            .collect()
    }
}

impl CommandLine for &String {
    fn words(&self) -> Vec<String> {
        self.as_str().words()
    }
}

impl CommandLine for &Vec<String> {
    fn words(&self) -> Vec<String> {
        self.to_vec()
    }
}

impl<const N: usize> CommandLine for &[&str; N] {
    fn words(&self) -> Vec<String> {
        self.iter().map(|word| (*word).to_owned()).collect()
    }
}

pub(crate) struct Cli {
    pub(crate) database_url: String,
    _database: Option<crate::helpers::FreshDatabase>,
}

impl Cli {
    pub(crate) async fn new() -> Self {
        let database = crate::helpers::fresh_database().await;
        Cli {
            database_url: database.url.clone(),
            _database: Some(database),
        }
    }

    /// The command line on a database a test holds already.
    pub(crate) fn for_url(url: &str) -> Self {
        Cli {
            database_url: url.to_owned(),
            _database: None,
        }
    }

    pub(crate) fn run(&self, line: impl CommandLine) -> Output {
        Command::new(env!("CARGO_BIN_EXE_invoices-api"))
            .args(line.words())
            .env("DATABASE_URL", &self.database_url)
            .env_remove("RUST_LOG")
            .output()
            .expect("binary runs")
    }

    /// Runs a command that must succeed and print exactly one line; returns it.
    #[track_caller]
    pub(crate) fn one_line(&self, line: impl CommandLine) -> String {
        let args = line.words();
        let out = self.run(&args);
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?} printed {stdout:?}");
        lines[0].to_owned()
    }

    /// Runs a command that must fail with a one-line message on stderr.
    #[track_caller]
    pub(crate) fn fails(&self, line: impl CommandLine) -> String {
        let args = line.words();
        let out = self.run(&args);
        assert!(!out.status.success(), "{args:?} should fail");
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(
            stderr.trim_end().lines().count(),
            1,
            "{args:?} stderr: {stderr:?}"
        );
        assert!(out.stdout.is_empty(), "{args:?} printed on stdout");
        stderr
    }

    pub(crate) fn seed(&self) {
        self.one_line(&format!("admin company add --slug {ACME} --name Acme"));
        self.one_line("admin user add --email ann@acme.test --name Ann");
        self.one_line("admin user add --email bob@acme.test --name Bob");
        self.one_line(&format!("admin member add --company {ACME} --user ann@acme.test --permission invoices.create --permission invoices.create_other"));
        self.one_line(&format!(
            "admin member add --company {ACME} --user bob@acme.test --permission invoices.create"
        ));
    }
}

/// Serves the API on `db` at a free port, in the background; returns its base URL.
pub(crate) async fn serve(db: sea_orm::DatabaseConnection) -> String {
    let app =
        invoices_api::startup::Application::with_database(db, "127.0.0.1:0", Default::default())
            .await
            .expect("binds");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    base
}

#[tokio::test]
async fn each_add_prints_the_new_id_on_one_line() {
    let cli = Cli::new().await;
    // Each kind of record counts its ids from 1.
    for (id, command) in [
        (1, "admin company add --slug {ACME} --name Acme"),
        (1, "admin user add --email ann@acme.test --name Ann"),
        (2, "admin user add --email bob@acme.test --name Bob"),
        (
            1,
            "admin member add --company {ACME} --user ann@acme.test --permission invoices.create",
        ),
        (2, "admin member add --company {ACME} --user bob@acme.test"),
        (
            1,
            "admin project add --company {ACME} --name Site --job-order JO-1 --pm ann@acme.test --account bob@acme.test",
        ),
        (
            2,
            "admin project add --company {ACME} --name Old --pm ann@acme.test --account bob@acme.test --archived",
        ),
        (
            1,
            "admin budget-area add --project 1 --uid area-1 --name Design",
        ),
        (
            2,
            "admin budget-area add --project 1 --uid area-2 --name Build --disabled",
        ),
        // The areas went into project 1's baseline budget, made for them: budget 1.
        (
            2,
            "admin budget add --project 1 --version 2 --status SUBMITTED --currency USD --final-net-price 1200.5 --total-days 3.5",
        ),
        (
            3,
            "admin budget-area add --budget 2 --uid area-3 --name Travel --type TRAVEL-CORE-COST-EXPENSES --total-cost 99.99",
        ),
        (
            1,
            "admin vat-rate add --company {ACME} --name Standard --rate 22",
        ),
        (
            2,
            "admin vat-rate add --company {ACME} --name Old --rate 5.5 --archived",
        ),
        (
            1,
            "admin payment-term add --company {ACME} --name '30 days' --days 30",
        ),
        (
            2,
            "admin payment-term add --company {ACME} --name Old --days 60 --archived",
        ),
    ] {
        let command = command.replace("{ACME}", ACME);
        assert_eq!(cli.one_line(&command), id.to_string(), "{command}");
    }
    let token = cli.one_line("admin token add --user ann@acme.test --name ci --expires-in-days 30");
    assert!(token.starts_with("wi_") && token.len() > 40, "{token}");
}

#[tokio::test]
async fn budgets_are_added_to_projects_listed_and_refused_when_wrong() {
    let cli = Cli::new().await;
    cli.seed();
    let project = cli.one_line(&format!(
        "admin project add --company {ACME} --name Site --job-order JO-1 --pm ann@acme.test --account bob@acme.test"
    ));
    let add = format!(
        "admin budget add --project {project} --version 3 --status APPROVED --baseline --currency CHF --final-net-price 10.25 --total-price 10.25"
    );
    assert_eq!(cli.one_line(&add), "1");
    let area = "admin budget-area add --budget 1 --uid pm-area --name PM --type PM";
    assert_eq!(cli.one_line(area), "1");
    let out = cli.run(&format!("admin budget list --company {ACME} --json"));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        listed,
        json!([{ "id": 1, "project": project.parse::<i64>().expect("an id"), "version": 3,
                 "status": "APPROVED", "baseline": true, "currency": "CHF",
                 "final_net_price": 10.25, "total_price": 10.25 }])
    );
    let out = cli.run(&format!("admin budget-area list --company {ACME} --json"));
    let areas: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(areas[0]["budget"], 1);
    assert_eq!(areas[0]["type"], "PM");
    // Mistakes: one line each, nothing written.
    for (line, says) in [
        (add.clone(), "already"),
        (
            format!("admin budget add --project {project} --version 4 --currency eur"),
            "ISO 4217",
        ),
        (
            format!("admin budget add --project {project} --version 0"),
            "version must be 1 or more",
        ),
        (
            format!("admin budget add --project {project} --version 5 --total-cost 1.005"),
            "at most 14 digits before the point and 2 after",
        ),
        (
            "admin budget add --project 999 --version 1".to_owned(),
            "no project",
        ),
        (
            "admin budget-area add --budget 999 --uid x --name X".to_owned(),
            "no budget",
        ),
        (
            "admin budget-area add --uid x --name X".to_owned(),
            "--budget",
        ),
    ] {
        let stderr = cli.fails(&line);
        assert!(stderr.contains(says), "{line}: {stderr}");
    }
    let out = cli.run(&format!("admin budget list --company {ACME} --json"));
    let after: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(after, listed, "the mistakes wrote nothing");
}

#[tokio::test]
async fn mistakes_exit_non_zero_with_one_line_and_change_nothing() {
    let cli = Cli::new().await;
    cli.seed();
    cli.fails(&format!("admin company add --slug {ACME} --name Again"));
    cli.fails("admin company add --slug 'Bad Slug' --name X");
    cli.fails("admin user add --email ann@acme.test --name Twin");
    cli.fails("admin user add --email not-an-email --name X");
    cli.fails("admin member add --company nope --user ann@acme.test");
    cli.fails(&format!(
        "admin member add --company {ACME} --user ann@acme.test"
    ));
    cli.fails(&format!(
        "admin member add --company {ACME} --user bob@acme.test --permission invoices.fly"
    ));
    cli.fails("admin token add --user nobody@acme.test --name x");
    cli.fails("admin token revoke --user ann@acme.test --name never-issued");
    cli.fails("admin budget-area add --project 99 --uid x --name X");
    cli.fails(&format!(
        "admin vat-rate add --company {ACME} --name X --rate abc"
    ));
    cli.fails("admin company add --slug x");
    cli.fails("admin company add --slug x --name X --bogus");
    cli.fails("frobnicate");
    // Nothing above was written.
    let db = invoices_api::store::database::open(&cli.database_url)
        .await
        .expect("db");
    assert_eq!(row_count::<entity::company::Entity>(&db).await, 1);
    assert_eq!(row_count::<entity::user::Entity>(&db).await, 2);
    assert_eq!(row_count::<entity::membership::Entity>(&db).await, 2);
    assert_eq!(
        row_count::<entity::membership_permission::Entity>(&db).await,
        3
    );
    assert_eq!(row_count::<entity::api_token::Entity>(&db).await, 0);
    assert_eq!(row_count::<entity::budget_area::Entity>(&db).await, 0);
    assert_eq!(row_count::<entity::vat_rate::Entity>(&db).await, 0);
}

/// Each mistake on the command line is named as the operator made it, on the command typed:
/// the argument at fault, clap's tip when there is one, that command's usage; never an
/// argument the operator did not get wrong (serve's flags may come without `serve`, so a line
/// without a command is read as `serve`'s, and only such a line).
#[tokio::test]
async fn a_mistaken_flag_is_named_with_the_command_it_was_given_to() {
    let cli = Cli::new().await;
    // (line, what the message must say, what it must not)
    let cases: [(&str, &[&str], &[&str]); 10] = [
        (
            "admin vat-rate add --company acme --label x --rate 22",
            &["'--label'", "usage: invoices-api admin vat-rate add"],
            &["'admin'"],
        ),
        (
            "admin company add --slug a --nme x",
            &[
                "'--nme'",
                "a similar argument exists: '--name'",
                "usage: invoices-api admin company add",
            ],
            &["'admin'"],
        ),
        (
            "admin company add --slug",
            &["a value is required for '--slug <SLUG>'"],
            &["'admin'"],
        ),
        (
            "admin company add --slug a --name x extra",
            &[
                "unexpected argument 'extra'",
                "usage: invoices-api admin company add",
            ],
            &["'admin'"],
        ),
        (
            "--database-url sqlite://elsewhere.db admin token add --user a@b.test --nam ci",
            &[
                "'--nam'",
                "a similar argument exists: '--name'",
                "usage: invoices-api admin token add",
            ],
            &["'admin'", "'--database-url"],
        ),
        (
            "--bnd 127.0.0.1:0",
            &[
                "'--bnd'",
                "a similar argument exists: '--bind'",
                "usage: invoices-api serve",
            ],
            &["'serve'"],
        ),
        (
            "--bind",
            &["a value is required for '--bind <BIND>'"],
            &["'serve'"],
        ),
        (
            "--bind 127.0.0.1:0 extra",
            &["unexpected argument 'extra'", "usage: invoices-api serve"],
            &["'--bind"],
        ),
        (
            "--max-body-bytes lots",
            &["invalid value 'lots' for '--max-body-bytes <MAX_BODY_BYTES>'"],
            &["'serve'"],
        ),
        (
            "serve --max-conections 5",
            &[
                "'--max-conections'",
                "a similar argument exists: '--max-connections'",
            ],
            &["'serve'"],
        ),
    ];
    for (line, says, never) in cases {
        let message = cli.fails(line);
        for part in says {
            assert!(message.contains(part), "{line}: {message:?} lacks {part:?}");
        }
        for part in never {
            assert!(
                !message.contains(part),
                "{line}: {message:?} names {part:?}"
            );
        }
    }
}

#[tokio::test]
async fn project_add_refuses_a_pm_or_account_who_is_not_a_member() {
    let cli = Cli::new().await;
    cli.seed();
    cli.one_line("admin user add --email stranger@x.test --name S");
    let message = cli.fails(&format!(
        "admin project add --company {ACME} --name P --pm stranger@x.test --account bob@acme.test"
    ));
    assert!(message.contains("not a member"), "{message}");
    cli.fails(&format!(
        "admin project add --company {ACME} --name P --pm ann@acme.test --account stranger@x.test"
    ));
    assert_eq!(
        cli.one_line(&format!("admin project add --company {ACME} --name P --job-order J --pm ann@acme.test --account bob@acme.test")),
        "1"
    );
}

#[tokio::test]
async fn openapi_prints_the_committed_spec() {
    let out = Cli::new().await.run("openapi");
    assert!(out.status.success());
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml"))
        .expect("committed");
    assert_eq!(String::from_utf8_lossy(&out.stdout), committed);
}

#[tokio::test]
async fn migrate_applies_the_schema_and_can_run_twice() {
    let cli = Cli::new().await;
    for _ in 0..2 {
        let out = cli.run("migrate");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[tokio::test]
async fn a_token_issued_by_the_cli_works_against_the_api_and_revoking_it_stops_it() {
    let cli = Cli::new().await;
    cli.seed();
    let project = cli.one_line(&format!("admin project add --company {ACME} --name Site --job-order JO-1 --pm ann@acme.test --account bob@acme.test"));
    let token = cli.one_line("admin token add --user bob@acme.test --name ci");
    let db = invoices_api::store::database::open(&cli.database_url)
        .await
        .expect("db");
    let url = format!("{}/api/invoices", serve(db).await);
    let post = || {
        reqwest::Client::new()
            .post(&url)
            .bearer_auth(&token)
            .header("Wethod-Company", ACME)
            .header("Wethod-Version", VERSION)
            .json(&json!({ "project_id": project.parse::<i64>().expect("id"), "value": 10, "issue_date": "2024-01-31" }))
            .send()
    };
    assert_eq!(post().await.expect("sent").status().as_u16(), 201);
    cli.one_line("admin token revoke --user bob@acme.test --name ci");
    assert_eq!(post().await.expect("sent").status().as_u16(), 401);
}

#[tokio::test]
async fn demo_is_idempotent_and_its_curl_line_creates_an_invoice() {
    let cli = Cli::new().await;
    let first = cli.run("demo");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = cli.run("demo");
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let stdout = String::from_utf8_lossy(&second.stdout).to_string();
    let curl = stdout
        .lines()
        .find(|l| l.starts_with("curl "))
        .expect("a curl line");
    let token = curl
        .split("Bearer ")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("token in the curl line");
    let body = curl
        .split("-d '")
        .nth(1)
        .and_then(|rest| rest.strip_suffix('\''))
        .expect("body");

    let db = invoices_api::store::database::open(&cli.database_url)
        .await
        .expect("db");
    let companies = entity::company::Entity::find()
        .all(&db)
        .await
        .expect("companies");
    assert_eq!(companies.len(), 1, "demo twice must not duplicate data");
    let contacts = entity::invoice_contact::Entity::find()
        .all(&db)
        .await
        .expect("contacts");
    assert_eq!(contacts.len(), 1, "one invoice contact to list, made once");
    let url = format!("{}/api/invoices", serve(db).await);
    let response = reqwest::Client::new()
        .post(&url)
        .bearer_auth(token)
        .header("Wethod-Company", "demo")
        .header("Wethod-Version", VERSION)
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 201);
    assert!(curl.contains("Wethod-Company: demo") && curl.contains("Wethod-Version: 2024-06-15"));
}

use sea_orm::EntityTrait;

#[tokio::test]
async fn invoice_contacts_are_added_with_a_valid_email_and_alias() {
    let cli = Cli::new().await;
    cli.seed();
    let add = |email: &str, alias: &str| {
        [
            "admin",
            "invoice-contact",
            "add",
            "--company",
            ACME,
            "--email",
            email,
            "--alias",
            alias,
        ]
        .map(str::to_owned)
    };
    let args = add(" Billing@Client.example ", "Client billing");
    let id = cli.one_line(&args.each_ref().map(String::as_str));
    assert!(id.parse::<i64>().is_ok_and(|id| id >= 1), "{id}");
    let long = format!("{}@client.example", "a".repeat(40));
    for (email, alias, says) in [
        ("not-an-address", "Client", "not an email address"),
        (long.as_str(), "Client", "at most 50 characters"),
        ("billing@client.example", "  ", "alias must be 1 to 50"),
        (
            "billing@client.example",
            &"x".repeat(51),
            "alias must be 1 to 50",
        ),
    ] {
        let args = add(email, alias);
        let stderr = cli.fails(&args.each_ref().map(String::as_str));
        assert!(stderr.contains(says), "{email} {alias}: {stderr}");
    }
}
