//! Racing requests: every one gets a 201 or the documented 400, and every 201 is one invoice.

use crate::helpers::World;
use serde_json::json;
use std::sync::Arc;

async fn race(w: &Arc<World>, bodies: Vec<serde_json::Value>) -> Vec<crate::helpers::Reply> {
    let mut tasks = tokio::task::JoinSet::new();
    for body in bodies {
        let w = Arc::clone(w);
        tasks.spawn(async move { w.create_as(&w.pm, &body).await });
    }
    let mut replies = Vec::new();
    while let Some(reply) = tasks.join_next().await {
        replies.push(reply.expect("task finished"));
    }
    replies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_all_succeed_and_each_201_is_one_invoice() {
    let w = Arc::new(World::new().await);
    let bodies = (0..120).map(|_| w.minimal_body()).collect();
    let replies = race(&w, bodies).await;
    let mut ids: Vec<i64> = replies
        .iter()
        .map(|r| {
            assert_eq!(r.status, 201, "{}", r.text);
            r.json()["id"].as_i64().expect("id")
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 120, "every 201 has its own invoice");
    assert_eq!(w.app.invoice_count().await, 120);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_duplicate_numbers_give_exactly_one_201_per_number_and_400s_for_the_rest() {
    let w = Arc::new(World::new().await);
    let bodies = (0..90)
        .map(|i| w.body_with(json!({ "invoice_number": format!("INV-{}", i % 9) })))
        .collect();
    let replies = race(&w, bodies).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    for reply in replies.iter().filter(|r| r.status != 201) {
        assert_eq!(reply.failed_fields(), ["invoice_number"]);
    }
    assert_eq!(created, 9, "one 201 per distinct number");
    assert_eq!(w.app.invoice_count().await, 9);
}

/// With one pooled connection, no request may wait for a second one while it holds the first
/// (that would hang until the pool's timeout, then fail with a 503): every kind of request,
/// all at once, still gets its answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_operation_completes_on_a_pool_of_one_connection() {
    use reqwest::Method;
    let w = Arc::new(World::with_pool_size(1).await);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let w = Arc::clone(&w);
        tasks.spawn(async move {
            let id = w.invoice(json!({})).await;
            let id_path = format!("/api/invoices/{id}");
            let replies = [
                // The one-statement create, and the one-by-one path (a key; a refused create).
                w.create_as(&w.pm, &w.minimal_body()).await,
                crate::helpers::create_with_key(
                    &w,
                    &w.pm,
                    crate::helpers::ACME,
                    &format!("key-{i}"),
                    &w.minimal_body().to_string(),
                )
                .await,
                w.create_as(&w.pm, &w.body_with(json!({ "project_id": 999_999 })))
                    .await,
                w.call(Method::GET, "/api/invoices", &w.pm, None).await,
                w.call(Method::GET, &id_path, &w.pm, None).await,
                w.call(
                    Method::PATCH,
                    &id_path,
                    &w.pm,
                    Some(&json!({ "notes": format!("n{i}") })),
                )
                .await,
                w.call(Method::GET, "/api/projects", &w.pm, None).await,
                w.call(Method::DELETE, &id_path, &w.pm, None).await,
            ];
            replies.map(|r| r.status)
        });
    }
    while let Some(statuses) = tasks.join_next().await {
        assert_eq!(
            statuses.expect("task finished"),
            [201, 201, 412, 200, 200, 200, 200, 204]
        );
    }
}

/// Writes that read first (PATCH, DELETE, transitions run in a transaction) race each other
/// too: every one gets its answer, never a 500 or a 503.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_updates_deletes_and_transitions_all_succeed() {
    use reqwest::Method;
    let w = Arc::new(World::new().await);
    let mut ids = Vec::new();
    for _ in 0..60 {
        ids.push(w.invoice(json!({})).await);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (i, id) in ids.into_iter().enumerate() {
        let w = Arc::clone(&w);
        tasks.spawn(async move {
            let path = format!("/api/invoices/{id}");
            let reply = match i % 3 {
                0 => {
                    w.call(
                        Method::PATCH,
                        &path,
                        &w.pm,
                        Some(&json!({ "notes": format!("n{i}") })),
                    )
                    .await
                }
                1 => w.call(Method::DELETE, &path, &w.pm, None).await,
                _ => {
                    w.call(
                        Method::PATCH,
                        &path,
                        &w.pm,
                        Some(&json!({ "value": 10, "invoice_number": format!("N-{i}") })),
                    )
                    .await
                }
            };
            (i % 3, reply.status, reply.text)
        });
    }
    while let Some(done) = tasks.join_next().await {
        let (kind, status, text) = done.expect("task finished");
        let expected = if kind == 1 { 204 } else { 200 };
        assert_eq!(status, expected, "{text}");
    }
}

/// Writes that read first (the operator's commands check before they insert) queue behind
/// each other and behind the server's writes instead of failing with "database is locked".
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_admin_writes_queue_instead_of_failing() {
    let w = Arc::new(World::new().await);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..24 {
        let w = Arc::clone(&w);
        tasks.spawn(async move {
            // `add_member` panics on any error; creates race it.
            let token = w
                .app
                .add_member(
                    crate::helpers::ACME,
                    &format!("member{i}@acme.test"),
                    &[invoices_api::domain::permission::Permission::InvoicesCreateOther],
                )
                .await;
            w.create_as(&token, &w.minimal_body()).await.status
        });
    }
    while let Some(status) = tasks.join_next().await {
        assert_eq!(status.expect("task finished"), 201);
    }
}
