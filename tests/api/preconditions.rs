//! 412 `precondition_failure`: what the company's data must allow, in the contract's order.

use crate::helpers::{ACME, World};
use serde_json::{Value, json};

#[track_caller]
fn assert_precondition(reply: &crate::helpers::Reply, mentions: &str) {
    let body = reply.assert_error(412, "precondition_failure");
    let message = body["message"].as_str().expect("message").to_lowercase();
    assert!(
        message.contains(mentions),
        "message {message:?} should mention {mentions:?}"
    );
}

#[tokio::test]
async fn a_project_that_does_not_exist_or_belongs_to_another_company_is_missing() {
    let w = World::new().await;
    for project in [json!(9999), json!(w.globex_project)] {
        let reply = w
            .create_as(&w.boss, &w.body_with(json!({ "project_id": project })))
            .await;
        assert_precondition(&reply, "project");
    }
    let missing = w
        .create_as(&w.boss, &w.body_with(json!({ "project_id": 9999 })))
        .await
        .json();
    let foreign = w
        .create_as(
            &w.boss,
            &w.body_with(json!({ "project_id": w.globex_project })),
        )
        .await
        .json();
    assert_eq!(
        missing, foreign,
        "another company's project must look missing"
    );
    assert_eq!(w.app.invoice_count().await, 0);
}

#[tokio::test]
async fn an_archived_project_is_refused() {
    let w = World::new().await;
    let archived = w.project_with(Some("JO-2"), true).await;
    assert_precondition(
        &w.create_as(&w.pm, &w.body_with(json!({ "project_id": archived })))
            .await,
        "archived",
    );
}

#[tokio::test]
async fn a_project_without_a_job_order_is_refused() {
    let w = World::new().await;
    for job_order in [None, Some("   ")] {
        let project = w.project_with(job_order, false).await;
        assert_precondition(
            &w.create_as(&w.pm, &w.body_with(json!({ "project_id": project })))
                .await,
            "job order",
        );
    }
    // Stored blank by something else than the admin command: any Unicode whitespace is blank
    // (tabs, newlines, no-break and ideographic spaces), not only ASCII spaces.
    for blank in ["", "   ", "\t\r\n", "\u{a0}\u{3000}\u{2028}"] {
        let project = w.project_with(Some("JO-1"), false).await;
        w.app.set_job_order_raw(project, blank).await;
        assert_precondition(
            &w.create_as(&w.pm, &w.body_with(json!({ "project_id": project })))
                .await,
            "job order",
        );
    }
    assert_eq!(w.app.invoice_count().await, 0);
}

#[tokio::test]
async fn archived_is_checked_before_the_job_order() {
    let w = World::new().await;
    let project = w.project_with(None, true).await;
    assert_precondition(
        &w.create_as(&w.pm, &w.body_with(json!({ "project_id": project })))
            .await,
        "archived",
    );
}

#[tokio::test]
async fn the_budget_area_must_be_an_enabled_area_of_that_project() {
    let w = World::new().await;
    w.app.add_budget_area(w.project, "ok-area", true).await;
    w.app
        .add_budget_area(w.project, "disabled-area", false)
        .await;
    let sibling = w.project_with(Some("JO-3"), false).await;
    w.app.add_budget_area(sibling, "sibling-area", true).await;
    w.app
        .add_budget_area(w.globex_project, "globex-area", true)
        .await;
    for uid in [
        "no-such-area",
        "disabled-area",
        "sibling-area",
        "globex-area",
    ] {
        let reply = w
            .create_as(&w.pm, &w.body_with(json!({ "budget_area_uid": uid })))
            .await;
        assert_precondition(&reply, "budget area");
    }
    let ok = w
        .create_as(&w.pm, &w.body_with(json!({ "budget_area_uid": "ok-area" })))
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    assert_eq!(w.app.invoice_count().await, 1);
}

#[tokio::test]
async fn the_vat_rate_must_exist_in_the_company_and_not_be_archived() {
    let w = World::new().await;
    let archived = w.app.add_vat_rate(ACME, true).await;
    let usable = w.app.add_vat_rate(ACME, false).await;
    for id in [9999, archived, w.globex_vat_rate] {
        let reply = w
            .create_as(&w.pm, &w.body_with(json!({ "vat_rate_id": id })))
            .await;
        assert_precondition(&reply, "vat rate");
    }
    let ok = w
        .create_as(&w.pm, &w.body_with(json!({ "vat_rate_id": usable })))
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text);
}

#[tokio::test]
async fn the_payment_term_must_exist_in_the_company_and_not_be_archived() {
    let w = World::new().await;
    let archived = w.app.add_payment_term(ACME, true).await;
    let usable = w.app.add_payment_term(ACME, false).await;
    for id in [9999, archived, w.globex_payment_term] {
        let reply = w
            .create_as(&w.pm, &w.body_with(json!({ "payment_term_id": id })))
            .await;
        assert_precondition(&reply, "payment term");
    }
    let ok = w
        .create_as(&w.pm, &w.body_with(json!({ "payment_term_id": usable })))
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text);
}

#[tokio::test]
async fn preconditions_are_checked_in_the_contract_order() {
    let w = World::new().await;
    let archived_vat = w.app.add_vat_rate(ACME, true).await;
    let everything_wrong = |project: Value| {
        w.body_with(json!({
            "project_id": project,
            "budget_area_uid": "nope",
            "vat_rate_id": archived_vat,
            "payment_term_id": 9999
        }))
    };
    let no_job_order = w.project_with(None, false).await;
    assert_precondition(
        &w.create_as(&w.pm, &everything_wrong(json!(9999))).await,
        "project",
    );
    assert_precondition(
        &w.create_as(&w.pm, &everything_wrong(json!(no_job_order)))
            .await,
        "job order",
    );
    assert_precondition(
        &w.create_as(&w.pm, &everything_wrong(json!(w.project)))
            .await,
        "budget area",
    );
    let mut body = everything_wrong(json!(w.project));
    body.as_object_mut()
        .expect("object")
        .remove("budget_area_uid");
    assert_precondition(&w.create_as(&w.pm, &body).await, "vat rate");
    body.as_object_mut().expect("object").remove("vat_rate_id");
    assert_precondition(&w.create_as(&w.pm, &body).await, "payment term");
    assert_eq!(w.app.invoice_count().await, 0);
}
