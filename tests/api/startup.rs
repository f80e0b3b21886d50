//! Several nodes starting together on one database all come up.

use crate::helpers::fresh_database;
use invoices_api::store::database;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_starting_together_migrate_one_after_another() {
    let fresh = fresh_database().await;
    let mut nodes = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let url = fresh.url.clone();
        nodes.spawn(async move { database::open(&url).await });
    }
    while let Some(node) = nodes.join_next().await {
        let opened = node.expect("task finished");
        assert!(opened.is_ok(), "a node failed to start: {:?}", opened.err());
    }
}
