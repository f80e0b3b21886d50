//! GET /api/projects, /api/budget-areas, /api/vat-rates, /api/payment-terms.

use crate::helpers::{ACME, GLOBEX, World, assert_get_one_is_company_scoped};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn members_discover_the_ids_they_send_and_only_their_companys() {
    let w = World::new().await;
    let archived = w.project_with(None, true).await;
    w.app.add_budget_area(w.project, "area-1", true).await;
    w.app.add_budget_area(archived, "area-2", false).await;
    w.app
        .add_budget_area(w.globex_project, "globex-area", true)
        .await;
    let vat = invoices_api::store::admin::add_vat_rate(
        &w.app.db,
        ACME,
        "Reduced",
        rust_decimal::Decimal::new(55, 1),
        true,
    )
    .await
    .expect("vat");
    let term = w.app.add_payment_term(ACME, false).await;

    // viewer holds no permission that matters here: membership is enough.
    let get = |path: &'static str| w.call(Method::GET, path, &w.viewer, None);
    let projects = get("/api/projects").await.json();
    let pm_id = projects[0]["pm_id"].clone();
    assert_eq!(
        projects,
        json!([
            { "id": w.project, "name": "Project", "job_order": "JO-1", "pm_id": pm_id, "account_id": projects[0]["account_id"], "is_archived": false },
            { "id": archived, "name": "Project", "job_order": null, "pm_id": pm_id, "account_id": projects[0]["account_id"], "is_archived": true }
        ])
    );
    let areas = get("/api/budget-areas").await.json();
    assert_eq!(
        areas,
        json!([
            { "uid": "area-1", "name": "Area", "is_enabled": true, "project_id": w.project },
            { "uid": "area-2", "name": "Area", "is_enabled": false, "project_id": archived }
        ])
    );
    let one_project = w
        .call(
            Method::GET,
            &format!("/api/budget-areas?project_id={archived}"),
            &w.viewer,
            None,
        )
        .await
        .json();
    assert_eq!(one_project.as_array().map(Vec::len), Some(1));
    let vat_rates = get("/api/vat-rates").await.json();
    assert_eq!(
        vat_rates,
        json!([{ "id": vat, "name": "Reduced", "rate": 5.5, "is_archived": true }])
    );
    assert_eq!(vat_rates[0]["rate"].to_string(), "5.5");
    let terms = get("/api/payment-terms").await.json();
    assert_eq!(
        terms,
        json!([{ "id": term, "name": "30 days", "days": 30, "is_archived": false }])
    );

    let theirs = w
        .app
        .call_in(GLOBEX, Method::GET, "/api/projects", &w.globex_member, None)
        .await
        .json();
    assert_eq!(theirs.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn reference_lists_are_paginated_and_checked() {
    let w = World::new().await;
    for _ in 0..3 {
        w.app.add_payment_term(ACME, false).await;
    }
    let w = &w;
    let list = |q: &'static str| async move {
        let path = format!("/api/payment-terms?{q}");
        w.call(Method::GET, &path, &w.viewer, None).await
    };
    assert_eq!(
        list("limit=2").await.json().as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(
        list("limit=2&offset=2")
            .await
            .json()
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(list("limit=0").await.failed_fields(), ["limit"]);
    assert_eq!(list("colour=red").await.failed_fields(), ["colour"]);
    let bad = w
        .call(
            Method::GET,
            "/api/budget-areas?project_id=0",
            &w.viewer,
            None,
        )
        .await;
    assert_eq!(bad.failed_fields(), ["project_id"]);
    for path in [
        "/api/projects",
        "/api/budget-areas",
        "/api/vat-rates",
        "/api/payment-terms",
    ] {
        w.app
            .call_in(ACME, Method::GET, path, &w.globex_member, None)
            .await
            .assert_error(403, "forbidden");
        w.app
            .call_in(ACME, Method::GET, path, "wi_nope", None)
            .await
            .assert_error(401, "unauthorized");
    }
}

#[tokio::test]
async fn a_member_reads_one_project_of_their_company() {
    let w = World::new().await;
    let listed = w.get("/api/projects", &w.viewer).await.json();
    let listed = listed
        .as_array()
        .and_then(|all| all.iter().find(|p| p["id"] == w.project))
        .expect("the project is listed");
    assert_get_one_is_company_scoped(&w, "/api/projects", listed, w.globex_project).await;
}
