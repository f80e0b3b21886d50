//! `serve --read-only`: every write operation of the spec answers 503 `unavailable` with
//! `Retry-After` (and the spec says so), reads and `/health` answer as usual, and the node
//! writes nothing itself: no token's last use, no webhook delivery, no migration.

use crate::helpers::{ACME, VERSION, World, spawn_app_on};
use crate::webhooks::Receiver;
use entity::{api_token, invoice, invoice_event, webhook_delivery};
use invoices_api::api::error::READ_ONLY_MESSAGE;
use invoices_api::config::{Limits, Settings};
use invoices_api::domain::permission::Permission::*;
use invoices_api::startup::Application;
use invoices_api::webhooks::WebhookSettings;
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use std::time::Duration;

/// Starts a node as `serve --read-only` does, on this database; returns its address.
pub async fn read_only_node(url: &str) -> String {
    let mut settings = Settings::new(Some(url.to_owned()), "127.0.0.1:0", Limits::default());
    settings.read_only = true;
    let app = Application::build(&settings)
        .await
        .expect("a read-only node starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    address
}

/// Every operation of the spec that is not a GET, with its path's `{id}` filled in.
fn write_operations(spec: &Value, id: i64) -> Vec<(Method, String, Value)> {
    let mut found = Vec::new();
    for (path, operations) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().expect("operations") {
            if method == "get" {
                continue;
            }
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
            found.push((
                method,
                path.replace("{id}", &id.to_string()),
                operation.clone(),
            ));
        }
    }
    found
}

#[tokio::test]
async fn every_write_answers_503_with_retry_after_and_reads_answer_as_usual() {
    let w = World::new().await;
    let id = w.invoice(json!({})).await;
    let node = read_only_node(&w.app.database.url).await;
    let spec: Value = w.app.get("/openapi.json").await.json();
    let writes = write_operations(&spec, id);
    assert!(writes.len() >= 6, "{writes:?}");
    let invoices_before = crate::helpers::row_count::<invoice::Entity>(&w.app.db).await;
    let events_before = crate::helpers::row_count::<invoice_event::Entity>(&w.app.db).await;
    for (method, path, operation) in &writes {
        let documented = &operation["responses"]["503"];
        assert!(
            documented["headers"]
                .as_object()
                .is_some_and(|h| h.keys().any(|k| k.eq_ignore_ascii_case("retry-after"))),
            "{method} {path}: the spec documents no 503 with Retry-After"
        );
        for token in [w.pm.as_str(), "not-a-token"] {
            let reply = w
                .app
                .client
                .request(method.clone(), format!("{node}{path}"))
                .bearer_auth(token)
                .header("Wethod-Company", ACME)
                .header("Wethod-Version", VERSION)
                .json(&w.minimal_body())
                .send()
                .await
                .expect("request sent");
            let reply = crate::helpers::Reply::from(reply).await;
            let body = reply.assert_error(503, "unavailable");
            assert_eq!(body["message"], READ_ONLY_MESSAGE, "{method} {path}");
            assert_eq!(reply.header("retry-after"), Some("60"), "{method} {path}");
        }
    }
    // Reads and the health check answer as the writable node does.
    let path = format!("/api/invoices/{id}");
    let ours = w.get(&path, &w.pm).await;
    let theirs = w
        .app
        .client
        .get(format!("{node}{path}"))
        .bearer_auth(&w.pm)
        .header("Wethod-Company", ACME)
        .header("Wethod-Version", VERSION)
        .send()
        .await
        .expect("request sent");
    let theirs = crate::helpers::Reply::from(theirs).await;
    assert_eq!(theirs.status, 200, "{}", theirs.text);
    assert_eq!(theirs.text, ours.text);
    assert_eq!(theirs.header("etag"), ours.header("etag"));
    let health = w.app.client.get(format!("{node}/health")).send().await;
    assert_eq!(health.expect("health answers").status(), 200);
    assert_eq!(
        crate::helpers::row_count::<invoice::Entity>(&w.app.db).await,
        invoices_before
    );
    assert_eq!(
        crate::helpers::row_count::<invoice_event::Entity>(&w.app.db).await,
        events_before
    );
}

#[tokio::test]
async fn a_read_only_node_records_no_token_use() {
    let w = World::new().await;
    let viewer = w.member("reader", &[InvoicesView]).await;
    let node = read_only_node(&w.app.database.url).await;
    let reply = w
        .app
        .client
        .get(format!("{node}/api/invoices"))
        .bearer_auth(&viewer)
        .header("Wethod-Company", ACME)
        .header("Wethod-Version", VERSION)
        .send()
        .await
        .expect("request sent");
    assert_eq!(reply.status(), 200);
    let hash = invoices_api::domain::token::hash(&viewer);
    let token = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash.as_str()))
        .one(&w.app.db)
        .await
        .expect("query")
        .expect("the token");
    assert_eq!(
        token.last_used_at, None,
        "the read-only node recorded a use"
    );
    // The same read on the writable node records it: the check above can fail.
    let reply = w.get("/api/invoices", &viewer).await;
    assert_eq!(reply.status, 200);
    let token = api_token::Entity::find_by_id(token.id)
        .one(&w.app.db)
        .await
        .expect("query")
        .expect("the token");
    assert!(token.last_used_at.is_some());
}

#[tokio::test]
async fn a_read_only_node_delivers_no_webhook_and_a_writable_one_then_does() {
    // A node whose deliverer looks once, at its start: the events below are owed, not sent.
    let fresh = crate::helpers::fresh_database().await;
    let idle = WebhookSettings {
        poll_interval: Duration::from_secs(3600),
        ..crate::helpers::webhook_settings(&crate::helpers::WEBHOOK_RETRIES)
    };
    let app = spawn_app_on(fresh, Limits::default(), None, false, |app| {
        app.with_webhooks(idle)
    })
    .await;
    let w = World::on(app).await;
    let receiver = Receiver::default();
    let url = receiver.start().await;
    crate::webhooks::admin(
        &w,
        &format!("admin webhook add --company {ACME} --url {url}"),
    )
    .await;
    w.invoice(json!({})).await;
    w.invoice(json!({})).await;
    let node = read_only_node(&w.app.database.url).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(receiver.got().is_empty(), "a node delivered");
    let health = w.app.client.get(format!("{node}/health")).send().await;
    assert_eq!(health.expect("health answers").status(), 200);
    assert_eq!(
        crate::helpers::row_count::<webhook_delivery::Entity>(&w.app.db).await,
        0
    );
    // A writable node delivers what was owed (on PostgreSQL once the events are final).
    crate::events::all_committed_visible(&w.app.db).await;
    w.app.another_node(Limits::default()).await;
    assert_eq!(receiver.wait_for(2).await.len(), 2);
}

#[tokio::test]
async fn a_read_only_node_migrates_nothing_and_says_what_to_run() {
    let (at_three, db) = crate::helpers::database_at_migration(3).await;
    let mut settings = Settings::new(Some(at_three.url.clone()), "127.0.0.1:0", Limits::default());
    settings.read_only = true;
    let refused = Application::build(&settings).await;
    let message = format!("{:#}", refused.err().expect("a read-only node refuses"));
    assert!(message.contains("invoices-api migrate"), "{message}");
    let version = invoices_api::store::schema::version(&db)
        .await
        .expect("reads");
    assert_eq!(version.as_deref(), Some("m20261130_000003_invoice_version"));
}
