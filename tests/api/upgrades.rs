//! Nodes of two releases on one database: a node serves a schema newer than its release when
//! every migration it does not know is an expand step, refuses with the release it needs when
//! one is a contract step (or of no recorded kind), and never applies or records a migration
//! newer than itself. (Nodes of the release before and this one under load on one database:
//! tests/upgrade/run.sh, in CI.)

use crate::cli::Cli;
use crate::helpers::{World, spawn_app};
use invoices_api::store::{database, schema};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

const MADE_UP: &str = "m20991231_000001_made_up";

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect(sql)
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("a count")
}

async fn applied(db: &DatabaseConnection) -> i64 {
    count(db, "SELECT count(*) FROM seaql_migrations").await
}

/// What a newer release leaves: its migration applied and, unless `kind` is `None`, its kind
/// recorded by release 9.9.9.
async fn apply_made_up(db: &DatabaseConnection, kind: Option<&str>) {
    let mut sql = vec![format!(
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('{MADE_UP}', 0)"
    )];
    if let Some(kind) = kind {
        sql.push(format!(
            "INSERT INTO schema_migration_kinds (version, kind, release) \
             VALUES ('{MADE_UP}', '{kind}', '9.9.9')"
        ));
    }
    for sql in sql {
        db.execute_unprepared(&sql).await.expect(&sql);
    }
}

#[tokio::test]
async fn every_migration_this_release_knows_is_recorded_with_its_kind_and_release() {
    let app = spawn_app().await;
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT version, kind, release FROM schema_migration_kinds ORDER BY version",
        ))
        .await
        .expect("kinds");
    let recorded: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r.try_get_by_index(0).expect("version"),
                r.try_get_by_index(1).expect("kind"),
                r.try_get_by_index(2).expect("release"),
            )
        })
        .collect();
    let known = migration::kinds();
    // On a database this release migrated, it recorded them all; on one a later release
    // migrated first (CI's check of the next release runs this suite so), that release did.
    let newer = recorded
        .iter()
        .any(|(v, _, _)| known.iter().all(|(k, _)| k != v));
    for (version, kind) in &known {
        let row = recorded.iter().find(|(v, _, _)| v == version);
        let (_, recorded_kind, release) = row.expect("every known migration is recorded");
        assert_eq!(recorded_kind, kind.as_str(), "{version}");
        if !newer {
            assert_eq!(release, schema::RELEASE, "{version}");
        }
    }
    if !newer {
        assert_eq!(
            recorded.len(),
            known.len(),
            "nothing but what this release knows"
        );
    }
    assert_eq!(applied(&app.db).await, recorded.len() as i64);
}

#[tokio::test]
async fn a_database_newer_by_an_expand_step_is_served_as_it_is() {
    let w = World::new().await;
    apply_made_up(&w.app.db, Some("expand")).await;
    let before = applied(&w.app.db).await;
    // A node of this release starts on it: through the library, and the operator's migrate.
    let db = database::open(&w.app.database.url)
        .await
        .expect("an expand step is served");
    let cli = Cli::for_url(&w.app.database.url);
    assert_eq!(cli.one_line("migrate"), format!("schema at {MADE_UP}"));
    assert_eq!(applied(&db).await, before, "nothing applied or recorded");
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM schema_migration_kinds WHERE release = '9.9.9'"
        )
        .await,
        1
    );
    // It serves, and says which release runs on which schema.
    let base = crate::cli::serve(db).await;
    let health: serde_json::Value = w
        .app
        .client
        .get(format!("{base}/health"))
        .send()
        .await
        .expect("health")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        health,
        serde_json::json!({"status": "ok", "release": schema::RELEASE, "schema": MADE_UP})
    );
    let created = w
        .app
        .client
        .post(format!("{base}/api/invoices"))
        .bearer_auth(&w.pm)
        .header("Wethod-Company", crate::helpers::ACME)
        .header("Wethod-Version", crate::helpers::VERSION)
        .json(&w.minimal_body())
        .send()
        .await
        .expect("create");
    assert_eq!(created.status(), 201);
    // migrate --status names it, its kind and the release that recorded it.
    let status = cli.run("migrate --status --json");
    assert!(status.status.success());
    let lines: serde_json::Value = serde_json::from_slice(&status.stdout).expect("JSON");
    let made_up = lines
        .as_array()
        .expect("an array")
        .iter()
        .find(|line| line["version"] == MADE_UP)
        .expect("the made-up migration listed");
    assert_eq!(
        made_up,
        &serde_json::json!({"version": MADE_UP, "applied": true, "known": false,
                            "kind": "expand", "recorded_by": "9.9.9"})
    );
    // Newer by the made-up step (and by a later release's, where one migrated the database).
    let unknown = lines
        .as_array()
        .expect("an array")
        .iter()
        .filter(|line| line["known"] == false)
        .count();
    let table = String::from_utf8_lossy(&cli.run("migrate --status").stdout).to_string();
    assert!(
        table.ends_with(&format!(
            "release {}: newer by {unknown} expand step(s): this release serves it as it is\n",
            schema::RELEASE
        )),
        "{table}"
    );
}

#[tokio::test]
async fn a_database_newer_by_a_contract_step_or_a_step_of_no_kind_is_refused_naming_the_release() {
    for (kind, why, needs) in [
        (
            Some("contract"),
            "a contract step, which this release's code may break on",
            "release 9.9.9 or later",
        ),
        (
            None,
            "of a kind no release recorded",
            "the release that applied it",
        ),
    ] {
        let w = World::new().await;
        apply_made_up(&w.app.db, kind).await;
        let before = applied(&w.app.db).await;
        let message = format!(
            "the database has migration {MADE_UP} that release {} does not know, {why}: run {needs}",
            schema::RELEASE
        );
        let err = database::open(&w.app.database.url)
            .await
            .expect_err("refused");
        assert!(format!("{err:#}").ends_with(&message), "{err:#}");
        let cli = Cli::for_url(&w.app.database.url);
        let stderr = cli.fails("migrate");
        assert!(stderr.contains(&message), "{stderr}");
        assert!(cli.fails("serve --bind 127.0.0.1:0").contains(&message));
        assert_eq!(applied(&w.app.db).await, before, "nothing applied");
        let status = String::from_utf8_lossy(&cli.run("migrate --status").stdout).to_string();
        assert!(status.contains(&format!("refused: {message}")), "{status}");
    }
}

#[test]
fn the_changelog_lists_every_migration_with_its_kind() {
    let changelog = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/CHANGELOG.md"))
        .expect("CHANGELOG.md");
    for (version, kind) in migration::kinds() {
        let line = format!("- `{version}`: {}", kind.as_str());
        assert!(
            changelog.lines().any(|l| l.starts_with(&line)),
            "CHANGELOG.md has no line starting {line:?}"
        );
    }
}

#[test]
fn version_prints_the_release() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_invoices-api"))
        .arg("--version")
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("invoices-api {}\n", schema::RELEASE)
    );
    assert_eq!(schema::RELEASE, env!("CARGO_PKG_VERSION"));
}
