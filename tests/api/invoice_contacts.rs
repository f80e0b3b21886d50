//! GET /api/invoice-contacts and GET /api/invoice-contacts/{id}.

use crate::helpers::{ACME, GLOBEX, World, assert_get_one_is_company_scoped, ids};
use invoices_api::store::admin;
use reqwest::Method;
use serde_json::{Value, json};

async fn add(w: &World, company: &str, email: &str, alias: &str) -> i64 {
    admin::add_invoice_contact(&w.app.db, company, email, alias)
        .await
        .expect("contact added")
}

#[tokio::test]
async fn any_member_lists_and_reads_their_companys_contacts() {
    let w = World::new().await;
    let first = add(&w, ACME, "Billing@Client.example", "Client billing").await;
    let theirs = add(&w, GLOBEX, "ap@other.example", "Other").await;
    let second = add(&w, ACME, "ap@client.example", "Accounts payable").await;

    // viewer holds no permission that matters here: membership is enough.
    let list = w
        .call(Method::GET, "/api/invoice-contacts", &w.viewer, None)
        .await;
    assert_eq!(ids(&list), [first, second]);
    let contact = &list.json()[0];
    assert_eq!(contact["email"], "billing@client.example");
    assert_eq!(contact["alias"], "Client billing");
    assert_eq!(contact["created_at"], contact["updated_at"]);
    assert!(
        contact["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z') && t.len() == 24),
        "{contact}"
    );
    let page = w
        .call(
            Method::GET,
            "/api/invoice-contacts?limit=1&offset=1",
            &w.viewer,
            None,
        )
        .await;
    assert_eq!(ids(&page), [second]);

    assert_get_one_is_company_scoped(&w, "/api/invoice-contacts", contact, theirs).await;
}

#[tokio::test]
async fn contacts_filter_on_updated_at_to_sync() {
    let w = World::new().await;
    let first = add(&w, ACME, "a@client.example", "A").await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let second = add(&w, ACME, "b@client.example", "B").await;
    let listed = w
        .call(Method::GET, "/api/invoice-contacts", &w.viewer, None)
        .await
        .json();
    let at = |i: usize| {
        listed[i]["updated_at"]
            .as_str()
            .expect("updated_at")
            .to_owned()
    };
    let list = |query: String| {
        let w = &w;
        async move {
            ids(&w
                .call(
                    Method::GET,
                    &format!("/api/invoice-contacts?{query}"),
                    &w.viewer,
                    None,
                )
                .await)
        }
    };
    assert_eq!(list(format!("updated_at=gt:{}", at(0))).await, [second]);
    assert_eq!(list(format!("updated_at=lte:{}", at(0))).await, [first]);
    assert_eq!(list(format!("updated_at={}", at(1))).await, [second]);
    assert_eq!(
        list(format!("updated_at=bt:{},{}", at(0), at(1))).await,
        [first, second]
    );
    for (query, fields) in [
        ("updated_at=yesterday", vec!["updated_at"]),
        ("alias=A", vec!["alias"]),
        ("limit=0", vec!["limit"]),
    ] {
        let reply = w
            .call(
                Method::GET,
                &format!("/api/invoice-contacts?{query}"),
                &w.viewer,
                None,
            )
            .await;
        assert_eq!(reply.failed_fields(), fields, "{query}");
    }
    let empty: Vec<Value> = Vec::new();
    let globex = w
        .get_in(GLOBEX, "/api/invoice-contacts", &w.globex_member)
        .await;
    assert_eq!(globex.json(), json!(empty), "each company sees its own");
}
