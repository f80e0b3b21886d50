//! `POST /api/invoices/{id}:send` with `{"invoice_contact_id": n}`: the contact is recorded
//! with the invoice; another company's or an unknown contact is a 412 after the status check;
//! a malformed body is a 400 naming the field; no body, an empty one, `{}` and `[]` send
//! without naming a contact.

use crate::helpers::{ACME, GLOBEX, Reply, World};
use invoices_api::domain::permission::Permission::*;
use invoices_api::store::admin;
use reqwest::Method;
use serde_json::{Value, json};

async fn contact(w: &World, company: &str, email: &str) -> i64 {
    admin::add_invoice_contact(&w.app.db, company, email, "Billing")
        .await
        .expect("contact added")
}

async fn send(w: &World, id: i64, body: Option<Value>) -> Reply {
    let path = format!("/api/invoices/{id}:send");
    w.call(Method::POST, &path, &w.pm, body.as_ref()).await
}

#[tokio::test]
async fn sending_to_a_contact_of_the_company_records_it() {
    let w = World::new().await;
    let ours = contact(&w, ACME, "billing@client.example").await;
    let id = w.invoice(json!({})).await;
    let reply = send(&w, id, Some(json!({ "invoice_contact_id": ours }))).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["status"], "sent");
    let stored = w.app.stored_invoice(id).await;
    assert_eq!(stored.invoice_contact_id, Some(ours));
    assert_eq!(stored.status, entity::invoice::InvoiceStatus::Sent);
}

#[tokio::test]
async fn no_body_an_empty_one_an_empty_object_array_or_null_send_without_a_contact() {
    let w = World::new().await;
    let bodies = [
        None,
        Some(json!({})),
        Some(json!([])),
        Some(json!({ "invoice_contact_id": null })),
    ];
    for body in bodies {
        let id = w.invoice(json!({})).await;
        let reply = send(&w, id, body.clone()).await;
        assert_eq!(reply.status, 200, "{body:?}: {}", reply.text);
        assert_eq!(w.app.stored_invoice(id).await.invoice_contact_id, None);
    }
    // An empty body with a JSON content type, as some clients send it.
    let id = w.invoice(json!({})).await;
    let reply = w
        .app
        .client
        .post(w.app.url(&format!("/api/invoices/{id}:send")))
        .bearer_auth(&w.pm)
        .header("Wethod-Company", ACME)
        .header("Wethod-Version", crate::helpers::VERSION)
        .header("Content-Type", "application/json")
        .send()
        .await
        .expect("sent");
    assert_eq!(reply.status(), 200);
}

#[tokio::test]
async fn another_companys_or_an_unknown_contact_is_a_412_and_changes_nothing() {
    let w = World::new().await;
    let theirs = contact(&w, GLOBEX, "ap@other.example").await;
    let id = w.invoice(json!({})).await;
    for contact_id in [theirs, 999_999] {
        let body = w
            .call(
                Method::POST,
                &format!("/api/invoices/{id}:send"),
                &w.pm,
                Some(&json!({ "invoice_contact_id": contact_id })),
            )
            .await
            .assert_error(412, "precondition_failure");
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.contains("invoice contact")),
            "{body}"
        );
        let stored = w.app.stored_invoice(id).await;
        assert_eq!(
            (stored.status, stored.version),
            (entity::invoice::InvoiceStatus::Draft, 1)
        );
        assert_eq!(stored.invoice_contact_id, None);
    }
}

#[tokio::test]
async fn a_malformed_contact_id_is_a_400_naming_the_field() {
    let w = World::new().await;
    let id = w.invoice(json!({})).await;
    for bad in [
        json!(0),
        json!(-1),
        json!("1"),
        json!(1.5),
        json!(true),
        json!([1]),
    ] {
        let reply = send(&w, id, Some(json!({ "invoice_contact_id": bad }))).await;
        assert_eq!(reply.failed_fields(), ["invoice_contact_id"], "{bad}");
    }
    let reply = send(&w, id, Some(json!({ "contact_id": 1 }))).await;
    assert_eq!(reply.failed_fields(), ["contact_id"]);
    let reply = send(&w, id, Some(json!([1]))).await;
    assert_eq!(reply.failed_fields(), ["body"]);
    assert_eq!(
        w.app.stored_invoice(id).await.status,
        entity::invoice::InvoiceStatus::Draft
    );
}

/// A 412 for something other than the contact.
#[track_caller]
fn assert_refused_not_for_the_contact(reply: &Reply) {
    let body = reply.assert_error(412, "precondition_failure");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(!message.contains("contact"), "{body}");
}

/// The contact is a precondition like the others: after the permissions, the version and the
/// status.
#[tokio::test]
async fn the_contact_is_checked_after_permissions_version_and_status() {
    let w = World::new().await;
    let theirs = contact(&w, GLOBEX, "ap@other.example").await;
    let foreign = json!({ "invoice_contact_id": theirs });
    let id = w.invoice(json!({})).await;
    let path = format!("/api/invoices/{id}:send");

    // No edit permission: 403 before anything about the contact.
    let reader = w.member("reader", &[InvoicesView]).await;
    w.call(Method::POST, &path, &reader, Some(&foreign))
        .await
        .assert_error(403, "forbidden");
    // A stale version: the version's 412.
    let stale = "\"not-the-version\"";
    let reply = w
        .app
        .call_with_headers(
            ACME,
            Method::POST,
            &path,
            &w.pm,
            Some(&foreign),
            &[("If-Match", stale)],
        )
        .await;
    assert_refused_not_for_the_contact(&reply);
    // Already sent: the status's 412, not the contact's.
    assert_eq!(send(&w, id, None).await.status, 200);
    assert_refused_not_for_the_contact(&send(&w, id, Some(foreign)).await);
}
