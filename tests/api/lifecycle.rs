//! DELETE, :send, :set-paid and :set-unpaid.

use crate::helpers::World;
use chrono::Utc;
use invoices_api::domain::permission::Permission::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

pub(crate) async fn act(
    w: &World,
    token: &str,
    id: i64,
    verb: &str,
    body: Option<Value>,
) -> crate::helpers::Reply {
    w.call(
        Method::POST,
        &format!("/api/invoices/{id}:{verb}"),
        token,
        body.as_ref(),
    )
    .await
}

#[tokio::test]
async fn an_invoice_goes_from_draft_to_sent_to_paid_and_back_to_sent() {
    let w = World::new().await;
    let id = w.invoice(json!({})).await;
    let clerk = w
        .member(
            "clerk",
            &[InvoicesEditOther, InvoicesEditSent, InvoicesViewOther],
        )
        .await;
    let created = w
        .call(Method::GET, &format!("/api/invoices/{id}"), &clerk, None)
        .await
        .json();

    let mut last_updated = created["updated_at"].clone();
    let steps: Vec<(&str, Option<Value>, &str, Value)> = vec![
        ("send", None, "sent", Value::Null),
        (
            "set-paid",
            Some(json!({ "payment_date": "2024-07-01" })),
            "paid",
            json!("2024-07-01"),
        ),
        ("set-unpaid", None, "sent", Value::Null),
        (
            "set-paid",
            None,
            "paid",
            json!(Utc::now().date_naive().to_string()),
        ),
    ];
    for (verb, body, status, payment_date) in steps {
        tokio::time::sleep(Duration::from_millis(5)).await;
        let reply = act(&w, &clerk, id, verb, body).await;
        assert_eq!(reply.status, 200, "{verb}: {}", reply.text);
        let invoice = reply.json();
        assert_eq!(invoice["status"], status, "{verb}");
        assert_eq!(invoice["payment_date"], payment_date, "{verb}");
        assert_eq!(
            invoice["created_at"], created["created_at"],
            "{verb} keeps created_at"
        );
        assert_ne!(
            invoice["updated_at"], last_updated,
            "{verb} moves updated_at"
        );
        last_updated = invoice["updated_at"].clone();
    }
}

#[tokio::test]
async fn transitions_the_status_does_not_allow_are_412s() {
    let w = World::new().await;
    let id = w.invoice(json!({})).await;
    let clerk = w
        .member("clerk", &[InvoicesEditOther, InvoicesEditSent])
        .await;
    act(&w, &clerk, id, "set-unpaid", None)
        .await
        .assert_error(412, "precondition_failure");
    assert_eq!(act(&w, &clerk, id, "send", None).await.status, 200);
    act(&w, &clerk, id, "send", None)
        .await
        .assert_error(412, "precondition_failure");
    assert_eq!(act(&w, &clerk, id, "set-paid", None).await.status, 200);
    act(&w, &clerk, id, "set-paid", None)
        .await
        .assert_error(412, "precondition_failure");
    act(&w, &clerk, id, "send", None)
        .await
        .assert_error(412, "precondition_failure");
}

#[tokio::test]
async fn paying_needs_edit_sent_and_the_edit_rule() {
    let w = World::new().await;
    let id = w.invoice(json!({})).await;
    // pm has invoices.edit on the project, but not edit_sent.
    act(&w, &w.pm, id, "set-paid", None)
        .await
        .assert_forbidden_naming("invoices.edit_sent");
    assert_eq!(
        act(&w, &w.pm, id, "send", None).await.status,
        200,
        "sending needs no edit_sent"
    );
    let sent_only = w.member("sent-only", &[InvoicesEditSent]).await;
    act(&w, &sent_only, id, "set-paid", None)
        .await
        .assert_error(403, "forbidden");
    let own_sent = w
        .member("own-sent", &[InvoicesEdit, InvoicesEditSent])
        .await;
    act(&w, &own_sent, id, "set-paid", None)
        .await
        .assert_error(403, "forbidden");
    let other_sent = w
        .member("other-sent", &[InvoicesEditOther, InvoicesEditSent])
        .await;
    assert_eq!(act(&w, &other_sent, id, "set-paid", None).await.status, 200);
    act(&w, &w.pm, id, "set-unpaid", None)
        .await
        .assert_error(403, "forbidden");
}

#[tokio::test]
async fn the_set_paid_body_is_optional_but_checked_when_sent() {
    let w = World::new().await;
    let clerk = w
        .member("clerk", &[InvoicesEditOther, InvoicesEditSent])
        .await;
    for body in [
        json!({ "payment_date": "2024-02-30" }),
        json!({ "paid": true }),
        json!({ "payment_date": 20240101 }),
    ] {
        let id = w.invoice(json!({})).await;
        let fields = act(&w, &clerk, id, "set-paid", Some(body.clone()))
            .await
            .failed_fields();
        assert_eq!(fields.len(), 1, "{body}");
    }
    let id = w.invoice(json!({})).await;
    assert_eq!(
        act(&w, &clerk, id, "set-paid", Some(json!({})))
            .await
            .status,
        200
    );
    let id = w.invoice(json!({})).await;
    assert_eq!(
        act(
            &w,
            &clerk,
            id,
            "set-paid",
            Some(json!({ "payment_date": null }))
        )
        .await
        .status,
        200
    );
}

/// Clients generated in PHP send an empty parameter array as the body `[]`.
#[tokio::test]
async fn the_transitions_take_an_empty_json_array_as_no_body() {
    let w = World::new().await;
    let clerk = w
        .member("clerk", &[InvoicesEditOther, InvoicesEditSent])
        .await;
    let id = w.invoice(json!({})).await;
    for verb in ["send", "set-paid", "set-unpaid"] {
        let reply = act(&w, &clerk, id, verb, Some(json!([]))).await;
        assert_eq!(reply.status, 200, "{verb}: {}", reply.text);
    }
    let fields = act(&w, &clerk, id, "set-paid", Some(json!([1])))
        .await
        .failed_fields();
    assert_eq!(fields, ["body"], "a non-empty array is still refused");
}

#[tokio::test]
async fn custom_methods_are_only_served_in_their_colon_form() {
    let w = World::new().await;
    let id = w.invoice(json!({})).await;
    for path in [
        format!("/api/invoices/{id}/send"),
        format!("/api/invoices/{id}/~send"),
        format!("/api/invoices/{id}/%7Esend"),
        format!("/api/invoices/{id}:fly"),
        "/api/invoices:send".to_owned(),
    ] {
        w.call(Method::POST, &path, &w.pm, None)
            .await
            .assert_error(404, "not_found");
    }
    w.call(
        Method::GET,
        &format!("/api/invoices/{id}:send"),
        &w.pm,
        None,
    )
    .await
    .assert_error(405, "method_not_allowed");
}

#[tokio::test]
async fn deleting_needs_delete_or_delete_other_and_edit_sent_once_sent() {
    let w = World::new().await;
    let path = |id: i64| format!("/api/invoices/{id}");
    let id = w.invoice(json!({})).await;
    w.call(Method::DELETE, &path(id), &w.outsider, None)
        .await
        .assert_error(403, "forbidden");
    let own = w.member("own-deleter", &[InvoicesDelete]).await;
    w.call(Method::DELETE, &path(id), &own, None)
        .await
        .assert_forbidden_naming("invoices.delete_other");
    let reply = w.call(Method::DELETE, &path(id), &w.pm, None).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert!(reply.text.is_empty());
    w.call(Method::GET, &path(id), &w.pm, None)
        .await
        .assert_error(404, "not_found");
    assert_eq!(w.app.invoice_count().await, 0);

    let sent = w.invoice(json!({})).await;
    assert_eq!(act(&w, &w.pm, sent, "send", None).await.status, 200);
    w.call(Method::DELETE, &path(sent), &w.pm, None)
        .await
        .assert_error(403, "forbidden");
    let senior = w
        .member("senior", &[InvoicesDeleteOther, InvoicesEditSent])
        .await;
    assert_eq!(
        w.call(Method::DELETE, &path(sent), &senior, None)
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn a_deleted_invoices_number_and_idempotency_key_are_free_again() {
    let w = World::new().await;
    let id = w.invoice(json!({ "invoice_number": "N-1" })).await;
    assert_eq!(
        w.call(Method::DELETE, &format!("/api/invoices/{id}"), &w.pm, None)
            .await
            .status,
        204
    );
    w.invoice(json!({ "invoice_number": "N-1" })).await;
}

#[tokio::test]
async fn invoice_dates_stay_between_1900_and_2999() {
    let w = World::new().await;
    let manager = w
        .member("manager", &[InvoicesEditOther, InvoicesEditSent])
        .await;
    let id = w.invoice(json!({ "issue_date": "1900-01-01" })).await;
    for date in ["0001-01-01", "1899-12-31", "3000-01-01", "9999-12-31"] {
        let reply = act(
            &w,
            &manager,
            id,
            "set-paid",
            Some(json!({ "payment_date": date })),
        )
        .await;
        assert_eq!(reply.failed_fields(), ["payment_date"], "{date}");
        let created = w
            .create_as(&w.pm, &w.body_with(json!({ "issue_date": date })))
            .await;
        assert_eq!(created.failed_fields(), ["issue_date"], "{date}");
    }
    let paid = act(
        &w,
        &manager,
        id,
        "set-paid",
        Some(json!({ "payment_date": "2999-12-31" })),
    )
    .await;
    assert_eq!(paid.status, 200, "{}", paid.text);
}

#[tokio::test]
async fn an_invoice_is_never_paid_before_it_was_issued() {
    let w = World::new().await;
    let manager = w
        .member("manager", &[InvoicesEditOther, InvoicesEditSent])
        .await;
    let id = w.invoice(json!({ "issue_date": "2024-06-15" })).await;
    let early = act(
        &w,
        &manager,
        id,
        "set-paid",
        Some(json!({ "payment_date": "2024-06-14" })),
    )
    .await;
    let body = early.assert_error(412, "precondition_failure");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("before"),
        "{body}"
    );
    assert_eq!(
        w.app.stored_invoice(id).await.status,
        entity::invoice::InvoiceStatus::Draft
    );

    let same_day = act(
        &w,
        &manager,
        id,
        "set-paid",
        Some(json!({ "payment_date": "2024-06-15" })),
    )
    .await;
    assert_eq!(same_day.status, 200, "{}", same_day.text);
    // Moving the issue date of a paid invoice past its payment date is refused the same way.
    let path = format!("/api/invoices/{id}");
    let moved = w
        .call(
            Method::PATCH,
            &path,
            &manager,
            Some(&json!({ "issue_date": "2024-06-16" })),
        )
        .await;
    moved.assert_error(412, "precondition_failure");
    let kept = w
        .call(
            Method::PATCH,
            &path,
            &manager,
            Some(&json!({ "issue_date": "2024-06-01" })),
        )
        .await;
    assert_eq!(kept.status, 200, "{}", kept.text);
}
