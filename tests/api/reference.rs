//! GET /api/projects, /api/budget-areas, /api/vat-rates, /api/payment-terms.

use crate::helpers::{ACME, GLOBEX, World, assert_get_one_is_company_scoped};
use invoices_api::domain::permission::Permission;
use reqwest::Method;
use serde_json::{Value, json};

/// The records of a list without their `created_at` and `updated_at`, once checked: RFC 3339
/// in UTC to the millisecond, and equal (nothing has changed them since).
fn without_times(list: Value) -> Value {
    let records = list.as_array().expect("a list").iter().map(|record| {
        let mut record = record.as_object().expect("an object").clone();
        let created = record.remove("created_at").expect("created_at");
        let updated = record.remove("updated_at").expect("updated_at");
        assert_eq!(created, updated, "{record:?}");
        let text = created.as_str().expect("a string");
        assert!(text.ends_with('Z') && text.len() == 24, "{text}");
        Value::Object(record)
    });
    Value::Array(records.collect())
}

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
    let projects = without_times(get("/api/projects").await.json());
    let pm_id = projects[0]["pm_id"].clone();
    assert_eq!(
        projects,
        json!([
            { "id": w.project, "name": "Project", "job_order": "JO-1", "pm_id": pm_id, "account_id": projects[0]["account_id"], "is_archived": false },
            { "id": archived, "name": "Project", "job_order": null, "pm_id": pm_id, "account_id": projects[0]["account_id"], "is_archived": true }
        ])
    );
    // Budget areas need a budget permission (tests/api/budgets.rs); with it, the same
    // discovery: this company's areas, of one project when asked.
    w.get("/api/budget-areas", &w.viewer)
        .await
        .assert_error(403, "forbidden");
    let reader = w.member("reader", &[Permission::BudgetViewOther]).await;
    let areas = w.get("/api/budget-areas", &reader).await.json();
    let areas: Vec<(Value, Value, Value)> = areas
        .as_array()
        .expect("a list")
        .iter()
        .map(|a| {
            (
                a["uid"].clone(),
                a["is_enabled"].clone(),
                a["project_id"].clone(),
            )
        })
        .collect();
    assert_eq!(
        areas,
        [
            (json!("area-1"), json!(true), json!(w.project)),
            (json!("area-2"), json!(false), json!(archived))
        ]
    );
    let one_project = w
        .get(&format!("/api/budget-areas?project_id={archived}"), &reader)
        .await
        .json();
    assert_eq!(one_project.as_array().map(Vec::len), Some(1));
    let vat_rates = without_times(get("/api/vat-rates").await.json());
    assert_eq!(
        vat_rates,
        json!([{ "id": vat, "name": "Reduced", "rate": 5.5, "is_archived": true }])
    );
    assert_eq!(vat_rates[0]["rate"].to_string(), "5.5");
    let terms = without_times(get("/api/payment-terms").await.json());
    assert_eq!(
        terms,
        json!([{ "id": term, "name": "30 days", "days": 30, "is_archived": false }])
    );

    let theirs = w
        .get_in(GLOBEX, "/api/projects", &w.globex_member)
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
        w.get_in(ACME, path, &w.globex_member)
            .await
            .assert_error(403, "forbidden");
        w.get_in(ACME, path, "wi_nope")
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

/// Every reference list filters on `updated_at` as the invoice list does, so a client can sync
/// reference data: each operator, and a malformed filter is a 400 naming the parameter.
#[tokio::test]
async fn every_reference_list_filters_on_updated_at() {
    let w = World::new().await;
    let pause = || tokio::time::sleep(std::time::Duration::from_millis(5));
    pause().await;
    let second = w.project_with(Some("JO-2"), false).await;
    w.app.add_budget_area(w.project, "area-1", true).await;
    pause().await;
    w.app.add_budget_area(second, "area-2", true).await;
    w.app.add_payment_term(ACME, false).await;
    pause().await;
    w.app.add_payment_term(ACME, false).await;
    for (name, rate) in [("A", 4), ("B", 10)] {
        invoices_api::store::admin::add_vat_rate(&w.app.db, ACME, name, rate.into(), false)
            .await
            .expect("vat");
        pause().await;
    }
    async fn count(w: &World, viewer: &str, path: &str, filter: String) -> usize {
        let reply = w.get(&format!("{path}?updated_at={filter}"), viewer).await;
        assert_eq!(
            reply.status, 200,
            "{path}?updated_at={filter}: {}",
            reply.text
        );
        reply.json().as_array().map(Vec::len).unwrap_or_default()
    }
    // The viewer may read every list; budget areas also need budget.view_other.
    let viewer = w
        .member("budget-viewer", &[Permission::BudgetViewOther])
        .await;
    for path in [
        "/api/projects",
        "/api/budget-areas",
        "/api/vat-rates",
        "/api/payment-terms",
    ] {
        let all = w.get(path, &viewer).await.json();
        let all = all.as_array().expect("a list").clone();
        assert_eq!(all.len(), 2, "{path}: {all:?}");
        let (first, last) = (&all[0]["updated_at"], &all[1]["updated_at"]);
        assert!(first.as_str() < last.as_str(), "{path}: {all:?}");
        let (first, last) = (
            first.as_str().unwrap_or_default(),
            last.as_str().unwrap_or_default(),
        );
        assert_eq!(
            count(&w, &viewer, path, format!("gt:{first}")).await,
            1,
            "{path}"
        );
        assert_eq!(
            count(&w, &viewer, path, format!("gte:{first}")).await,
            2,
            "{path}"
        );
        assert_eq!(
            count(&w, &viewer, path, format!("lt:{last}")).await,
            1,
            "{path}"
        );
        assert_eq!(
            count(&w, &viewer, path, first.to_owned()).await,
            1,
            "{path}"
        );
        assert_eq!(
            count(&w, &viewer, path, format!("bt:{first},{last}")).await,
            2,
            "{path}"
        );
        assert_eq!(
            count(&w, &viewer, path, format!("nin:{first}")).await,
            1,
            "{path}"
        );
        let reply = w
            .get(&format!("{path}?updated_at=yesterday"), &w.viewer)
            .await;
        assert_eq!(reply.failed_fields(), ["updated_at"], "{path}");
    }
}
