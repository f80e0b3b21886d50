//! Several nodes on one database and one token: on PostgreSQL the nodes share the token's
//! budget (never more than the limit in a minute, at most `nodes × (lease − 1)` fewer); on
//! SQLite, one node's database, each node keeps its own (documented: N nodes allow N × the
//! limit).

use crate::helpers::{ACME, VERSION, World, rate_limited, within_one_minute};
use invoices_api::api::rate_limit::lease_size;
use sea_orm::{ConnectionTrait, Statement};
use std::num::NonZeroU32;

/// Sends `per_node` list requests to each node at once, all with the PM's token; returns how
/// many were admitted, checking that every refusal is a 429 with its retry header.
async fn flood(w: &World, nodes: &[String], per_node: usize) -> u32 {
    let mut requests = tokio::task::JoinSet::new();
    for node in nodes {
        for _ in 0..per_node {
            let request = w
                .app
                .client
                .get(format!("{node}/api/invoices?limit=1"))
                .bearer_auth(&w.pm)
                .header("Wethod-Company", ACME)
                .header("Wethod-Version", VERSION);
            requests.spawn(request.send());
        }
    }
    let mut admitted = 0;
    while let Some(response) = requests.join_next().await {
        let response = response.expect("joined").expect("answered");
        match response.status().as_u16() {
            200 => admitted += 1,
            429 => {
                let wait: u64 = response.headers()["x-ratelimit-retry-after"]
                    .to_str()
                    .expect("text")
                    .parse()
                    .expect("whole seconds");
                assert!((1..=60).contains(&wait), "{wait}");
            }
            other => panic!("unexpected {other}"),
        }
    }
    admitted
}

async fn admitted_by_two_nodes(limit: u32, per_node: usize) -> (u32, bool) {
    let limits = rate_limited(limit);
    let w = World::with_limits(limits).await;
    let second = w.app.another_node(limits).await;
    within_one_minute().await;
    let nodes = [w.app.address.clone(), second];
    (flood(&w, &nodes, per_node).await, w.app.on_postgres())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_admit_a_tokens_limit_in_all_on_postgres_and_each_on_sqlite() {
    // A lease of one request: exact.
    let (admitted, shared) = admitted_by_two_nodes(6, 15).await;
    assert_eq!(admitted, if shared { 6 } else { 12 });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn leases_never_overshoot_and_lose_at_most_one_lease_per_node() {
    let limit = 60;
    let lease = lease_size(NonZeroU32::new(limit).expect("not zero"));
    assert_eq!(lease, 3);
    let (admitted, shared) = admitted_by_two_nodes(limit, 80).await;
    if shared {
        assert!(admitted <= limit, "{admitted}");
        assert!(admitted >= limit - 2 * (lease - 1), "{admitted}");
    } else {
        // Each node's own bucket, refilled by one request a second meanwhile.
        assert!(
            (2 * limit..=2 * limit + 4).contains(&admitted),
            "{admitted}"
        );
    }
}

/// Made-up tokens cost no write: the shared count only ever holds real tokens.
#[tokio::test]
async fn requests_with_unknown_tokens_are_401_and_write_no_count() {
    let limits = rate_limited(2);
    let w = World::with_limits(limits).await;
    for n in 0..5 {
        let token = format!("wi_made_up_{n}");
        w.get("/api/invoices", &token)
            .await
            .assert_error(401, "unauthorized");
    }
    let counts = w
        .app
        .db
        .query_one_raw(Statement::from_string(
            w.app.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM rate_limit_windows",
        ))
        .await
        .expect("counted")
        .expect("a row");
    assert_eq!(counts.try_get::<i64>("", "n").expect("n"), 0);
    // A real token's requests are counted on PostgreSQL (one row a minute).
    assert_eq!(w.get("/api/invoices", &w.pm).await.status, 200);
}
