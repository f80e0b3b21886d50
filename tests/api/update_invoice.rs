//! PATCH /api/invoices/{id}: the rules and preconditions of creation, field by field.

use crate::helpers::{ACME, World};
use invoices_api::domain::permission::Permission::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

pub(crate) async fn patch(w: &World, token: &str, id: i64, body: Value) -> crate::helpers::Reply {
    w.call(
        Method::PATCH,
        &format!("/api/invoices/{id}"),
        token,
        Some(&body),
    )
    .await
}

#[tokio::test]
async fn a_patch_changes_what_it_sends_keeps_the_rest_and_moves_updated_at_only() {
    let w = World::new().await;
    let created = w
        .create_as(
            &w.pm,
            &w.body_with(json!({ "notes": "first", "purchase_order": "PO-1" })),
        )
        .await
        .json();
    let id = created["id"].as_i64().expect("id");
    tokio::time::sleep(Duration::from_millis(5)).await;
    let reply = patch(
        &w,
        &w.pm,
        id,
        json!({ "value": 999999999999.99, "notes": null, "invoice_number": "N-1" }),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let updated = reply.json();
    assert_eq!(updated["value"].to_string(), "999999999999.99");
    assert_eq!(updated["notes"], Value::Null);
    assert_eq!(updated["invoice_number"], "N-1");
    assert_eq!(updated["purchase_order"], "PO-1", "absent fields are kept");
    assert_eq!(updated["created_at"], created["created_at"]);
    assert_ne!(updated["updated_at"], created["updated_at"]);
    let read = w
        .call(Method::GET, &format!("/api/invoices/{id}"), &w.pm, None)
        .await
        .json();
    assert_eq!(read, updated);
}

#[tokio::test]
async fn a_patch_is_validated_like_a_create_reporting_every_failure() {
    let w = World::new().await;
    let id = w.invoice(json!({})).await;
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!({ "value": null }), vec!["value"]),
        (json!({ "project_id": null }), vec!["project_id"]),
        (json!({ "issue_date": null }), vec!["issue_date"]),
        (json!({ "value": 1.005 }), vec!["value"]),
        (json!({ "invoice_number": "  " }), vec!["invoice_number"]),
        (json!({ "exchange_rate": 0 }), vec!["exchange_rate"]),
        (json!({ "status": "paid" }), vec!["status"]),
        (
            json!({ "value": "1", "issue_date": "2024-02-30", "id": 3 }),
            vec!["value", "issue_date", "id"],
        ),
    ];
    for (body, fields) in cases {
        assert_eq!(
            patch(&w, &w.pm, id, body.clone()).await.failed_fields(),
            fields,
            "{body}"
        );
    }
}

#[tokio::test]
async fn editing_needs_edit_on_own_projects_edit_other_elsewhere_and_edit_sent_once_sent() {
    let w = World::new().await;
    let id = w.invoice(json!({})).await;
    let change = json!({ "notes": "changed" });
    // outsider has only invoices.create: no edit permission at all.
    patch(&w, &w.outsider, id, change.clone())
        .await
        .assert_error(403, "forbidden");
    let editor = w.member("editor", &[InvoicesEdit]).await;
    patch(&w, &editor, id, change.clone())
        .await
        .assert_forbidden_naming("invoices.edit_other");
    let other = w.member("other-editor", &[InvoicesEditOther]).await;
    assert_eq!(patch(&w, &other, id, change.clone()).await.status, 200);

    let sender = w.member("sender", &[InvoicesEditOther]).await;
    assert_eq!(
        w.call(
            Method::POST,
            &format!("/api/invoices/{id}:send"),
            &sender,
            None
        )
        .await
        .status,
        200
    );
    patch(&w, &w.pm, id, change.clone())
        .await
        .assert_forbidden_naming("invoices.edit_sent");
    let senior = w
        .member("senior", &[InvoicesEditOther, InvoicesEditSent])
        .await;
    assert_eq!(patch(&w, &senior, id, change).await.status, 200);
}

#[tokio::test]
async fn a_patch_meets_the_preconditions_of_creation() {
    let w = World::new().await;
    let id = w.invoice(json!({})).await;
    let archived_vat = w.app.add_vat_rate(ACME, true).await;
    let cases = [
        json!({ "vat_rate_id": archived_vat }),
        json!({ "vat_rate_id": w.globex_vat_rate }),
        json!({ "payment_term_id": w.globex_payment_term }),
        json!({ "budget_area_uid": "nope" }),
        json!({ "project_id": 9999 }),
        json!({ "project_id": w.globex_project }),
    ];
    for body in cases {
        patch(&w, &w.pm, id, body.clone())
            .await
            .assert_error(412, "precondition_failure");
    }
    let archived = w.project_with(Some("JO-A"), true).await;
    patch(&w, &w.pm, id, json!({ "project_id": archived }))
        .await
        .assert_error(412, "precondition_failure");
    let cleared = patch(
        &w,
        &w.pm,
        id,
        json!({ "vat_rate_id": null, "budget_area_uid": null }),
    )
    .await;
    assert_eq!(
        cleared.status, 200,
        "clearing a reference needs no check: {}",
        cleared.text
    );
}

#[tokio::test]
async fn moving_an_invoice_needs_the_right_on_both_projects_and_a_budget_area_that_follows() {
    let w = World::new().await;
    w.app.add_budget_area(w.project, "here", true).await;
    let id = w.invoice(json!({ "budget_area_uid": "here" })).await;
    // A project where the pm has no role.
    let foreign = w
        .app
        .add_project(
            ACME,
            "boss@acme.test",
            "boss@acme.test",
            Some("JO-F"),
            false,
        )
        .await;
    patch(
        &w,
        &w.pm,
        id,
        json!({ "project_id": foreign, "budget_area_uid": null }),
    )
    .await
    .assert_forbidden_naming("invoices.edit_other");

    let own = w
        .app
        .add_project(ACME, "pm@acme.test", "pm@acme.test", Some("JO-O"), false)
        .await;
    // The kept budget area belongs to the old project.
    patch(&w, &w.pm, id, json!({ "project_id": own }))
        .await
        .assert_error(412, "precondition_failure");
    w.app.add_budget_area(own, "there", true).await;
    let moved = patch(
        &w,
        &w.pm,
        id,
        json!({ "project_id": own, "budget_area_uid": "there" }),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    assert_eq!(moved.json()["project_id"], own);
}

#[tokio::test]
async fn a_patch_keeps_invoice_numbers_unique_in_the_company() {
    let w = World::new().await;
    w.invoice(json!({ "invoice_number": "TAKEN" })).await;
    let id = w.invoice(json!({ "invoice_number": "MINE" })).await;
    assert_eq!(
        patch(&w, &w.pm, id, json!({ "invoice_number": "TAKEN" }))
            .await
            .failed_fields(),
        ["invoice_number"]
    );
    assert_eq!(
        patch(&w, &w.pm, id, json!({ "invoice_number": "MINE" }))
            .await
            .status,
        200,
        "its own number is fine"
    );
    let read = w
        .call(Method::GET, &format!("/api/invoices/{id}"), &w.pm, None)
        .await
        .json();
    assert_eq!(read["invoice_number"], "MINE");
}
