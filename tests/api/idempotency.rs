//! `Idempotency-Key`: a retry replays the first 201 and creates nothing.

use crate::helpers::{ACME, GLOBEX, Reply, World, create_with_key};
use chrono::{Duration, Utc};
use entity::idempotency_key;
use invoices_api::domain::permission::Permission;
use invoices_api::store::admin;
use sea_orm::sea_query::Expr;
use sea_orm::{EntityTrait, QueryFilter};
use serde_json::{Value, json};
use std::sync::Arc;

fn id_of(reply: &Reply) -> i64 {
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.json()["id"].as_i64().expect("id")
}

#[tokio::test]
async fn a_retry_with_the_same_key_and_body_replays_the_201_and_creates_nothing() {
    let w = World::new().await;
    let body = w
        .body_with(json!({ "invoice_number": "INV-7" }))
        .to_string();
    let first = create_with_key(&w, &w.pm, ACME, "key-1", &body).await;
    let again = create_with_key(&w, &w.pm, ACME, "key-1", &body).await;
    assert_eq!(id_of(&first), id_of(&again));
    assert_eq!(
        first.json(),
        again.json(),
        "the replay is the first response"
    );
    assert_eq!(first.header("location"), again.header("location"));
    assert_eq!(first.header("idempotent-replayed"), None);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(w.app.invoice_count().await, 1);
}

#[tokio::test]
async fn insignificant_whitespace_does_not_make_a_different_body() {
    let w = World::new().await;
    let body = w.minimal_body();
    let compact = body.to_string();
    let pretty = serde_json::to_string_pretty(&body).expect("json");
    let a = create_with_key(&w, &w.pm, ACME, "k", &compact).await;
    let b = create_with_key(&w, &w.pm, ACME, "k", &pretty).await;
    assert_eq!(id_of(&a), id_of(&b));
    assert_eq!(w.app.invoice_count().await, 1);
}

#[tokio::test]
async fn the_same_key_with_a_different_body_is_a_400_on_the_header() {
    let w = World::new().await;
    id_of(&create_with_key(&w, &w.pm, ACME, "k", &w.minimal_body().to_string()).await);
    let other = w.body_with(json!({ "value": 101 })).to_string();
    let reply = create_with_key(&w, &w.pm, ACME, "k", &other).await;
    assert_eq!(reply.failed_fields(), ["Idempotency-Key"]);
    assert_eq!(w.app.invoice_count().await, 1);
}

#[tokio::test]
async fn keys_belong_to_one_user_in_one_company() {
    let w = World::new().await;
    let body = w.minimal_body().to_string();
    let pm = id_of(&create_with_key(&w, &w.pm, ACME, "shared", &body).await);
    let account = id_of(&create_with_key(&w, &w.account, ACME, "shared", &body).await);
    assert_ne!(pm, account);

    // The pm joins globex too; the same key there is a new request.
    admin::add_member(
        &w.app.db,
        GLOBEX,
        "pm@acme.test",
        &[Permission::InvoicesCreateOther],
    )
    .await
    .expect("member");
    let globex_body =
        json!({ "project_id": w.globex_project, "value": 100, "issue_date": "2024-06-15" });
    let in_globex =
        id_of(&create_with_key(&w, &w.pm, GLOBEX, "shared", &globex_body.to_string()).await);
    assert!(in_globex != pm && in_globex != account);
    assert_eq!(w.app.invoice_count().await, 3);
}

#[tokio::test]
async fn a_failed_request_does_not_use_up_its_key() {
    let w = World::new().await;
    let missing_project = w.body_with(json!({ "project_id": 9999 })).to_string();
    create_with_key(&w, &w.pm, ACME, "k", &missing_project)
        .await
        .assert_error(412, "precondition_failure");
    id_of(&create_with_key(&w, &w.pm, ACME, "k", &w.minimal_body().to_string()).await);
}

#[tokio::test]
async fn keys_expire_after_24_hours() {
    let w = World::new().await;
    let first = id_of(&create_with_key(&w, &w.pm, ACME, "k", &w.minimal_body().to_string()).await);
    idempotency_key::Entity::update_many()
        .col_expr(
            idempotency_key::Column::CreatedAt,
            Expr::value(Utc::now() - Duration::hours(25)),
        )
        .filter(sea_orm::ColumnTrait::eq(&idempotency_key::Column::Key, "k"))
        .exec(&w.app.db)
        .await
        .expect("aged");
    let other = w.body_with(json!({ "value": 5 })).to_string();
    let second = id_of(&create_with_key(&w, &w.pm, ACME, "k", &other).await);
    assert_ne!(first, second);
    assert_eq!(w.app.invoice_count().await, 2);
}

#[tokio::test]
async fn a_malformed_key_is_a_400_on_the_header() {
    let w = World::new().await;
    let body = w.minimal_body().to_string();
    for key in ["has space", &"k".repeat(256)] {
        let reply = create_with_key(&w, &w.pm, ACME, key, &body).await;
        assert_eq!(reply.failed_fields(), ["Idempotency-Key"], "{key}");
    }
    assert_eq!(w.app.invoice_count().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_with_one_key_create_one_invoice() {
    let w = Arc::new(World::new().await);
    let body = w
        .body_with(json!({ "invoice_number": "RACE-1" }))
        .to_string();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..30 {
        let (w, body) = (Arc::clone(&w), body.clone());
        tasks.spawn(async move { create_with_key(&w, &w.pm, ACME, "race", &body).await });
    }
    let mut ids = Vec::new();
    while let Some(reply) = tasks.join_next().await {
        ids.push(id_of(&reply.expect("task")));
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every reply names the one invoice");
    assert_eq!(w.app.invoice_count().await, 1);
}

#[tokio::test]
async fn the_spec_documents_the_optional_header() {
    let w = World::new().await;
    let spec: Value = w.app.get("/openapi.json").await.json();
    let params = spec["paths"]["/api/invoices"]["post"]["parameters"]
        .as_array()
        .expect("params")
        .clone();
    let key = params
        .iter()
        .find(|p| p["name"] == "Idempotency-Key")
        .expect("documented");
    assert_eq!(key["in"], "header");
    assert_eq!(key["required"], false);
}
