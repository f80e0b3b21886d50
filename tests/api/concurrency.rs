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
