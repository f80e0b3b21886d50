//! A storage that can't take writes for now (read-only, or no connection to be had in time) is
//! a 503 `unavailable` to retry, with `Retry-After`, never a 500: `/health` says degraded with
//! the reason while reads go on, and writes resume by themselves once the storage takes them.
//! (A full disk is `tests/process/faults.py`, on a small file system of its own.)

use crate::helpers::{Reply, World};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;
use std::sync::Arc;

/// `n` creates in `acme` as the PM, sent at once to the server at `address`.
async fn creates_at_once(w: &Arc<World>, address: &str, n: usize) -> Vec<Reply> {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (w, url) = (Arc::clone(w), format!("{address}/api/invoices"));
        tasks.spawn(async move {
            let request = w
                .app
                .client
                .post(url)
                .bearer_auth(&w.pm)
                .header("Wethod-Company", crate::helpers::ACME)
                .header("Wethod-Version", crate::helpers::VERSION)
                .json(&w.minimal_body());
            Reply::from(request.send().await.expect("sent")).await
        });
    }
    tasks.join_all().await
}

/// Asserts the answer to a write the storage refused; returns its message.
#[track_caller]
fn assert_refused_to_retry(reply: &Reply) -> String {
    let body = reply.assert_error(503, "unavailable");
    assert_eq!(reply.header("retry-after"), Some("10"), "{}", reply.text);
    let message = body["message"].as_str().unwrap_or_default().to_owned();
    let lower = message.to_lowercase();
    for internal in [
        "sqlite",
        "postgres",
        "pool",
        "query_only",
        "transaction",
        "code",
    ] {
        assert!(!lower.contains(internal), "{message:?} names {internal:?}");
    }
    message
}

/// What `/health` says: (`status`, `reason`).
async fn health(w: &World) -> (String, Option<String>) {
    let reply = w.app.get("/health").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = reply.json();
    let reason = body["reason"].as_str().map(str::to_owned);
    (
        body["status"].as_str().unwrap_or_default().to_owned(),
        reason,
    )
}

/// Makes the one connection of the app's pool read-only, or writable again, as a standby or a
/// read-only database would be: every write then fails in the database itself.
async fn set_read_only(w: &World, on: bool) {
    let sql = match (w.app.on_postgres(), on) {
        (true, true) => "SET default_transaction_read_only = on",
        (true, false) => "SET default_transaction_read_only = off",
        (false, true) => "PRAGMA query_only = ON",
        (false, false) => "PRAGMA query_only = OFF",
    };
    w.app.db.execute_unprepared(sql).await.expect("set");
}

#[tokio::test]
async fn a_read_only_database_refuses_writes_with_a_503_to_retry_while_reads_go_on() {
    let w = Arc::new(World::with_pool_size(1).await);
    let first = w.invoice(json!({})).await;
    assert_eq!(health(&w).await, ("ok".to_owned(), None));
    set_read_only(&w, true).await;
    // Several clients at once, and another kind of write: every refusal the same.
    let creates = creates_at_once(&w, &w.app.address, 6).await;
    for reply in &creates {
        let message = assert_refused_to_retry(reply);
        assert!(message.contains("read-only"), "{message}");
    }
    let patch = w
        .call(
            reqwest::Method::PATCH,
            &format!("/api/invoices/{first}"),
            &w.pm,
            Some(&json!({"notes": "changed"})),
        )
        .await;
    assert_refused_to_retry(&patch);
    let read = w.get(&format!("/api/invoices/{first}"), &w.pm).await;
    assert_eq!(read.status, 200, "reads go on: {}", read.text);
    assert_eq!(read.json()["notes"], serde_json::Value::Null);
    assert_eq!(
        health(&w).await,
        ("degraded".to_owned(), Some("storage_read_only".to_owned()))
    );
    set_read_only(&w, false).await;
    assert_eq!(
        w.app.invoice_count().await,
        1,
        "a refused write wrote nothing"
    );
    w.invoice(json!({})).await;
    assert_eq!(health(&w).await, ("ok".to_owned(), None));
}

/// No connection to be had within the pool's acquire timeout (5 s): every connection of the
/// node's pool held, and on PostgreSQL also a server that refuses new connections (`53300
/// too_many_connections`, here a role's connection limit).
#[tokio::test]
async fn no_connection_in_time_is_a_503_to_retry_and_creates_resume_by_themselves() {
    let w = Arc::new(World::with_pool_size(1).await);
    let held = w.app.db.begin().await.expect("the pool's only connection");
    let reply = w.create_as(&w.pm, &w.minimal_body()).await;
    let message = assert_refused_to_retry(&reply);
    assert!(message.contains("no more connections"), "{message}");
    held.rollback().await.expect("released");
    assert_eq!(
        health(&w).await,
        (
            "degraded".to_owned(),
            Some("storage_no_connections".to_owned())
        )
    );
    w.invoice(json!({})).await;
    assert_eq!(health(&w).await, ("ok".to_owned(), None));
    if w.app.on_postgres() {
        a_role_over_its_connection_limit_gets_503s_to_retry_and_nothing_half_written(&w).await;
    }
}

/// A node whose database role may hold five connections (start-up takes a few), with a pool of
/// eight, and twelve creates at once: the requests that wait for a connection the server
/// refuses are 503s to retry; every 201 is stored and nothing else; once the limit is lifted,
/// creates go through.
async fn a_role_over_its_connection_limit_gets_503s_to_retry_and_nothing_half_written(
    w: &Arc<World>,
) {
    let database = w
        .app
        .database
        .url
        .rsplit('/')
        .next()
        .expect("a database name");
    let role = format!("limited_{database}");
    for sql in [
        format!("CREATE ROLE {role} LOGIN CONNECTION LIMIT 5"),
        format!("GRANT USAGE, CREATE ON SCHEMA public TO {role}"),
        format!("GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}"),
        format!("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}"),
    ] {
        w.app.db.execute_unprepared(&sql).await.expect(&sql);
    }
    let url = w
        .app
        .database
        .url
        .replacen("postgres@", &format!("{role}@"), 1);
    let db = invoices_api::store::database::open_with_pool(&url, std::num::NonZeroU32::new(8))
        .await
        .expect("the limited role connects");
    let node =
        invoices_api::startup::Application::with_database(db, "127.0.0.1:0", Default::default())
            .await
            .expect("binds");
    let address = format!("http://127.0.0.1:{}", node.port());
    tokio::spawn(node.run_until_stopped());
    let before = w.app.invoice_count().await;
    let replies = creates_at_once(w, &address, 12).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let refused: Vec<&Reply> = replies.iter().filter(|r| r.status != 201).collect();
    assert!(
        !refused.is_empty(),
        "three connections served twelve creates at once in time"
    );
    for reply in refused {
        assert_refused_to_retry(reply);
    }
    assert_eq!(w.app.invoice_count().await, before + created as u64);
    w.app
        .db
        .execute_unprepared(&format!("ALTER ROLE {role} CONNECTION LIMIT -1"))
        .await
        .expect("limit lifted");
    let replies = creates_at_once(w, &address, 12).await;
    assert!(
        replies.iter().all(|r| r.status == 201),
        "after the limit is lifted"
    );
}

/// Makes writes fail as a full database fails: on SQLite, the one connection of the app's
/// pool may not grow the file past its size now (`max_page_count`, `SQLITE_FULL`); on
/// PostgreSQL, inserting an invoice raises `code` (`disk_full`, `out_of_memory`), as the
/// server itself would. `None` lifts it.
async fn fail_writes_with(w: &World, code: Option<&str>) {
    let db = &w.app.db;
    if !w.app.on_postgres() {
        let pages = match code {
            Some(_) => {
                let row = db
                    .query_one_raw(sea_orm::Statement::from_string(
                        db.get_database_backend(),
                        "PRAGMA page_count",
                    ))
                    .await
                    .expect("page count")
                    .expect("a row");
                row.try_get_by_index::<i64>(0).expect("a count")
            }
            None => 1_073_741_823,
        };
        let sql = format!("PRAGMA max_page_count = {pages}");
        db.execute_unprepared(&sql).await.expect(&sql);
        return;
    }
    let sql = match code {
        Some(code) => format!(
            "CREATE OR REPLACE FUNCTION refuse_insert() RETURNS trigger AS $$ BEGIN \
             RAISE EXCEPTION 'refused' USING ERRCODE = '{code}'; END $$ LANGUAGE plpgsql; \
             CREATE OR REPLACE TRIGGER refuse_insert BEFORE INSERT ON invoices \
             FOR EACH ROW EXECUTE FUNCTION refuse_insert()"
        ),
        None => "DROP TRIGGER refuse_insert ON invoices".to_owned(),
    };
    db.execute_unprepared(&sql).await.expect(&sql);
}

#[tokio::test]
async fn a_full_database_is_a_503_naming_it_and_creates_resume_once_there_is_room() {
    let w = Arc::new(World::with_pool_size(1).await);
    let mut conditions = vec![("disk_full", "full", "storage_full")];
    if w.app.on_postgres() {
        conditions.push(("out_of_memory", "out of memory", "storage_out_of_memory"));
    }
    for (code, says, reason) in conditions {
        let before = w.app.invoice_count().await;
        fail_writes_with(&w, Some(code)).await;
        // SQLite may still fit a few rows in the pages it has: until the first refusal.
        let mut created = 0;
        let refusal = loop {
            let reply = w.create_as(&w.pm, &w.minimal_body()).await;
            if reply.status != 201 {
                break reply;
            }
            created += 1;
            assert!(created < 1000, "the database never filled up");
        };
        let message = assert_refused_to_retry(&refusal);
        assert!(message.contains(says), "{message}");
        for reply in creates_at_once(&w, &w.app.address, 4).await {
            assert_refused_to_retry(&reply);
        }
        assert_eq!(
            health(&w).await,
            ("degraded".to_owned(), Some(reason.to_owned()))
        );
        fail_writes_with(&w, None).await;
        assert_eq!(
            w.app.invoice_count().await,
            before + created,
            "refusals wrote nothing"
        );
        w.invoice(json!({})).await;
        assert_eq!(health(&w).await, ("ok".to_owned(), None));
    }
}
