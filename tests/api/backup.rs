//! `invoices-api backup --to FILE`: a consistent, checked copy of the embedded database taken
//! while clients keep creating invoices.

use crate::helpers::World;
use serde_json::json;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

fn backup(database_url: &str, to: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_invoices-api"))
        .args(["backup", "--to", to.to_str().expect("a path")])
        .env("DATABASE_URL", database_url)
        .env_remove("RUST_LOG")
        .output()
        .expect("binary runs")
}

#[tokio::test]
async fn a_backup_under_load_holds_every_invoice_acknowledged_before_it_began() {
    let w = Arc::new(World::new().await);
    let dir = tempfile::tempdir().expect("temp dir");
    let to = dir.path().join("copy.db");
    if w.app.database.url.starts_with("postgres") {
        let out = backup(&w.app.database.url, &to);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("pg_dump"), "{stderr}");
        return;
    }

    let mut before = Vec::new();
    for _ in 0..20 {
        before.push(w.invoice(json!({})).await);
    }
    // Clients keep creating while the backup runs; every one of them must be answered.
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (w, stop) = (Arc::clone(&w), Arc::clone(&stop));
        clients.spawn(async move {
            let mut answered = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                answered.push(w.create_as(&w.pm, &w.minimal_body()).await.status);
            }
            answered
        });
    }
    let url = w.app.database.url.clone();
    let out = {
        let to = to.clone();
        tokio::task::spawn_blocking(move || backup(&url, &to))
            .await
            .expect("joins")
    };
    stop.store(true, Ordering::Relaxed);
    let mut during = Vec::new();
    while let Some(answered) = clients.join_next().await {
        during.extend(answered.expect("client ran"));
    }
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(std::path::Path::new(&printed), to.as_path());
    assert!(
        !during.is_empty() && during.iter().all(|s| *s == 201),
        "{during:?}"
    );

    let copy = sea_orm::Database::connect(format!("sqlite://{}?mode=ro", to.display()))
        .await
        .expect("the copy opens");
    use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
    let check = copy
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await
        .expect("checks")
        .and_then(|row| row.try_get_by_index::<String>(0).ok());
    assert_eq!(check.as_deref(), Some("ok"));
    use sea_orm::EntityTrait;
    let copied: Vec<i64> = entity::invoice::Entity::find()
        .all(&copy)
        .await
        .expect("reads")
        .into_iter()
        .map(|i| i.id)
        .collect();
    for id in &before {
        assert!(copied.contains(id), "invoice {id} is in the copy");
    }

    // A second backup to the same file is refused, and the first copy is kept.
    let again = backup(&w.app.database.url, &to);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert!(to.exists());
}
