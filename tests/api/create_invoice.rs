//! POST /api/invoices: the happy path and uniqueness of invoice numbers.

use crate::helpers::{ACME, GLOBEX, World};
use chrono::{DateTime, Utc};
use serde_json::json;

#[tokio::test]
async fn a_valid_request_creates_a_draft_and_answers_201_with_its_location() {
    let w = World::new().await;
    let reply = w.create_as(&w.pm, &w.minimal_body()).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let body = reply.json();
    let id = body["id"].as_i64().expect("id is an integer");
    assert!(id >= 1);
    assert_eq!(
        reply.header("location"),
        Some(format!("/api/invoices/{id}").as_str())
    );
    assert_eq!(body["status"], "draft");
    assert_eq!(body["payment_date"], serde_json::Value::Null);
    assert_eq!(body["project_id"], w.project);
    assert_eq!(w.app.invoice_count().await, 1);
    let stored = w.app.stored_invoice(id).await;
    assert_eq!(stored.status, entity::invoice::InvoiceStatus::Draft);
    assert_eq!(stored.project_id, w.project);
}

#[tokio::test]
async fn every_field_sent_comes_back_and_is_stored() {
    let w = World::new().await;
    let area = w.app.add_budget_area(w.project, "area-1", true).await;
    assert!(area >= 1);
    let vat = w.app.add_vat_rate(ACME, false).await;
    let term = w.app.add_payment_term(ACME, false).await;
    let sent = json!({
        "invoice_number": "INV-2024-001",
        "purchase_order": "PO-1",
        "value": 1000.5,
        "exchange_rate": 1.0842,
        "issue_date": "2024-06-15",
        "notes": "Première étape ✓",
        "project_id": w.project,
        "budget_area_uid": "area-1",
        "vat_rate_id": vat,
        "payment_term_id": term
    });
    let reply = w.create_as(&w.pm, &sent).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let body = reply.json();
    for (field, value) in sent.as_object().expect("object") {
        assert_eq!(&body[field], value, "field {field}");
    }
    let stored = w.app.stored_invoice(body["id"].as_i64().expect("id")).await;
    assert_eq!(stored.invoice_number.as_deref(), Some("INV-2024-001"));
    assert_eq!(stored.notes.as_deref(), Some("Première étape ✓"));
    assert_eq!(stored.budget_area_uid.as_deref(), Some("area-1"));
    assert_eq!(stored.vat_rate_id, Some(vat));
    assert_eq!(stored.payment_term_id, Some(term));
}

#[tokio::test]
async fn the_response_lists_every_field_of_the_seed_schema_with_null_for_absent_ones() {
    let w = World::new().await;
    let body = w.create_as(&w.pm, &w.minimal_body()).await.json();
    let fields: Vec<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(fields, crate::helpers::SEED_INVOICE_FIELDS);
    for absent in [
        "invoice_number",
        "purchase_order",
        "exchange_rate",
        "notes",
        "budget_area_uid",
        "vat_rate_id",
        "payment_term_id",
    ] {
        assert!(body[absent].is_null(), "{absent} should be null: {body}");
    }
}

#[tokio::test]
async fn optional_fields_sent_as_null_are_accepted_as_absent() {
    let w = World::new().await;
    let body = w.body_with(json!({
        "invoice_number": null, "purchase_order": null, "exchange_rate": null, "notes": null,
        "budget_area_uid": null, "vat_rate_id": null, "payment_term_id": null
    }));
    let reply = w.create_as(&w.pm, &body).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
}

#[tokio::test]
async fn timestamps_are_rfc3339_utc_with_milliseconds_and_equal_on_creation() {
    let w = World::new().await;
    let before = Utc::now();
    let body = w.create_as(&w.pm, &w.minimal_body()).await.json();
    for field in ["created_at", "updated_at"] {
        let text = body[field].as_str().expect("string");
        assert_eq!(text.len(), "2026-03-10T18:18:59.374Z".len(), "{text}");
        assert!(text.ends_with('Z') && text.as_bytes()[19] == b'.', "{text}");
        let at: DateTime<Utc> = text.parse().expect("RFC 3339");
        assert!(
            at >= before - chrono::Duration::seconds(1) && at <= Utc::now(),
            "{text}"
        );
    }
    assert_eq!(body["created_at"], body["updated_at"]);
}

#[tokio::test]
async fn a_duplicate_invoice_number_in_the_company_is_a_400_on_that_field_and_writes_nothing() {
    let w = World::new().await;
    let body = w.body_with(json!({ "invoice_number": "INV-1" }));
    assert_eq!(w.create_as(&w.pm, &body).await.status, 201);
    let reply = w.create_as(&w.account, &body).await;
    assert_eq!(reply.failed_fields(), ["invoice_number"]);
    assert_eq!(w.app.invoice_count().await, 1);
}

#[tokio::test]
async fn the_same_invoice_number_is_fine_in_another_company() {
    let w = World::new().await;
    let number = json!({ "invoice_number": "INV-1" });
    w.invoice(number.clone()).await;
    let mut globex_body = w.body_with(number);
    globex_body["project_id"] = json!(w.globex_project);
    let reply = w
        .app
        .create_invoice(&w.globex_member, GLOBEX, &globex_body)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
}

#[tokio::test]
async fn invoices_without_a_number_never_collide() {
    let w = World::new().await;
    for _ in 0..3 {
        assert_eq!(w.create_as(&w.pm, &w.minimal_body()).await.status, 201);
    }
    assert_eq!(w.app.invoice_count().await, 3);
}

#[tokio::test]
async fn the_duplicate_number_check_comes_after_the_preconditions() {
    let w = World::new().await;
    let number = json!({ "invoice_number": "INV-1" });
    w.invoice(number.clone()).await;
    let mut body = w.body_with(number);
    body["vat_rate_id"] = json!(9999);
    w.create_as(&w.pm, &body)
        .await
        .assert_error(412, "precondition_failure");
}

#[tokio::test]
async fn only_a_member_who_may_create_learns_that_a_number_is_taken() {
    let w = World::new().await;
    let body = w.body_with(json!({ "invoice_number": "INV-1" }));
    assert_eq!(w.create_as(&w.pm, &body).await.status, 201);
    w.create_as(&w.viewer, &body)
        .await
        .assert_error(403, "forbidden");
    w.app
        .create_invoice(&w.globex_member, ACME, &body)
        .await
        .assert_error(403, "forbidden");
}
