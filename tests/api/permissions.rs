//! 403 `forbidden`: company membership and the PM/Account rule, in the contract's order.

use crate::helpers::{ACME, World};
use serde_json::json;

#[tokio::test]
async fn the_pm_and_the_account_may_create_with_invoices_create() {
    let w = World::new().await;
    assert_eq!(w.create_as(&w.pm, &w.minimal_body()).await.status, 201);
    assert_eq!(w.create_as(&w.account, &w.minimal_body()).await.status, 201);
}

#[tokio::test]
async fn a_member_with_only_invoices_create_may_not_create_on_someone_elses_project() {
    let w = World::new().await;
    w.create_as(&w.outsider, &w.minimal_body())
        .await
        .assert_forbidden_naming("invoices.create_other");
    assert_eq!(w.app.invoice_count().await, 0);
}

#[tokio::test]
async fn invoices_create_other_alone_allows_every_project_of_the_company() {
    let w = World::new().await;
    assert_eq!(w.create_as(&w.boss, &w.minimal_body()).await.status, 201);
}

#[tokio::test]
async fn invoices_create_other_also_covers_the_users_own_projects() {
    let w = World::new().await;
    let token = w
        .app
        .add_member(
            ACME,
            "lead@acme.test",
            &[invoices_api::domain::permission::Permission::InvoicesCreateOther],
        )
        .await;
    let own = w
        .app
        .add_project(ACME, "lead@acme.test", "pm@acme.test", Some("JO-9"), false)
        .await;
    let reply = w
        .create_as(&token, &w.body_with(json!({ "project_id": own })))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
}

#[tokio::test]
async fn a_member_with_neither_permission_is_refused_before_the_project_is_looked_up() {
    let w = World::new().await;
    w.create_as(&w.viewer, &w.minimal_body())
        .await
        .assert_forbidden_naming("invoices.create");
    // A missing project would be a 412 for a member who may create; not for this one.
    w.create_as(&w.viewer, &w.body_with(json!({ "project_id": 9999 })))
        .await
        .assert_error(403, "forbidden");
}

#[tokio::test]
async fn a_non_member_and_an_unknown_company_get_the_same_403() {
    let w = World::new().await;
    let not_member = w
        .app
        .create_invoice(&w.globex_member, ACME, &w.minimal_body())
        .await;
    let unknown = w
        .app
        .create_invoice(&w.pm, "no-such-company", &w.minimal_body())
        .await;
    let a = not_member.assert_error(403, "forbidden");
    let b = unknown.assert_error(403, "forbidden");
    assert_eq!(
        a, b,
        "an unknown slug must not be told apart from a foreign one"
    );
}

#[tokio::test]
async fn the_shape_of_the_request_is_checked_before_membership() {
    let w = World::new().await;
    let reply = w
        .app
        .create_invoice(&w.globex_member, ACME, &json!({ "value": "x" }))
        .await;
    assert_eq!(reply.failed_fields(), ["value", "issue_date", "project_id"]);
}

#[tokio::test]
async fn a_missing_project_is_a_412_before_the_pm_account_rule() {
    let w = World::new().await;
    w.create_as(&w.outsider, &w.body_with(json!({ "project_id": 9999 })))
        .await
        .assert_error(412, "precondition_failure");
}

#[tokio::test]
async fn the_pm_account_rule_comes_before_the_other_preconditions() {
    let w = World::new().await;
    let archived = w.project_with(Some("JO-2"), true).await;
    w.create_as(&w.outsider, &w.body_with(json!({ "project_id": archived })))
        .await
        .assert_error(403, "forbidden");
    w.create_as(&w.pm, &w.body_with(json!({ "project_id": archived })))
        .await
        .assert_error(412, "precondition_failure");
}

#[tokio::test]
async fn permissions_of_one_company_do_not_reach_another() {
    let w = World::new().await;
    // globex_member holds both create permissions, but in globex only.
    w.app
        .create_invoice(&w.globex_member, ACME, &w.minimal_body())
        .await
        .assert_error(403, "forbidden");
    assert_eq!(w.app.invoice_count().await, 0);
}
