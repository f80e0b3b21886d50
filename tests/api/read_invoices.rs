//! GET /api/invoices and GET /api/invoices/{id}: visibility, 404s, pagination and filters.

use crate::helpers::{ACME, GLOBEX, World, ids};
use crate::update_invoice::patch;
use invoices_api::domain::permission::Permission::*;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn an_invoice_reads_back_as_created() {
    let w = World::new().await;
    let created = w
        .create_as(
            &w.pm,
            &w.body_with(json!({ "invoice_number": "R-1", "value": 0.1 })),
        )
        .await
        .json();
    let id = created["id"].as_i64().expect("id");
    let read = w
        .call(Method::GET, &format!("/api/invoices/{id}"), &w.pm, None)
        .await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.json(), created);
}

#[tokio::test]
async fn an_unknown_id_or_another_companys_invoice_is_a_404() {
    let w = World::new().await;
    let body = json!({ "project_id": w.globex_project, "value": 1, "issue_date": "2024-01-01" });
    let theirs = w
        .app
        .create_invoice(&w.globex_member, GLOBEX, &body)
        .await
        .json()["id"]
        .as_i64()
        .expect("id");
    let reader = w
        .member(
            "reader",
            &[
                InvoicesViewOther,
                InvoicesEditOther,
                InvoicesDeleteOther,
                InvoicesEditSent,
            ],
        )
        .await;
    for id in [theirs, 9999] {
        let path = format!("/api/invoices/{id}");
        w.call(Method::GET, &path, &reader, None)
            .await
            .assert_error(404, "not_found");
        w.call(Method::PATCH, &path, &reader, Some(&json!({"notes": "x"})))
            .await
            .assert_error(404, "not_found");
        w.call(Method::DELETE, &path, &reader, None)
            .await
            .assert_error(404, "not_found");
        w.call(Method::POST, &format!("{path}:send"), &reader, None)
            .await
            .assert_error(404, "not_found");
    }
    assert_eq!(
        w.app.invoice_count().await,
        1,
        "globex's invoice is untouched"
    );
}

#[tokio::test]
async fn reading_needs_a_view_permission_and_view_other_for_other_projects() {
    let w = World::new().await;
    let id = w.invoice(json!({})).await;
    let path = format!("/api/invoices/{id}");
    // viewer holds invoices.view but is neither PM nor Account of the project.
    w.call(Method::GET, &path, &w.viewer, None)
        .await
        .assert_forbidden_naming("invoices.view_other");
    let other = w.member("auditor", &[InvoicesViewOther]).await;
    assert_eq!(w.call(Method::GET, &path, &other, None).await.status, 200);
    // No view permission at all: 403 before the id is even looked up.
    w.call(Method::GET, &path, &w.outsider, None)
        .await
        .assert_error(403, "forbidden");
    w.call(Method::GET, "/api/invoices/9999", &w.outsider, None)
        .await
        .assert_error(403, "forbidden");
}

#[tokio::test]
async fn a_malformed_id_is_a_400_on_id() {
    let w = World::new().await;
    for path in ["/api/invoices/abc", "/api/invoices/0", "/api/invoices/-1"] {
        assert_eq!(
            w.call(Method::GET, path, &w.pm, None).await.failed_fields(),
            ["id"],
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_list_is_a_bare_array_in_id_order_limited_to_what_the_caller_may_see() {
    let w = World::new().await;
    let mine: Vec<i64> = vec![w.invoice(json!({})).await, w.invoice(json!({})).await];
    let other_project = w
        .app
        .add_project(
            ACME,
            "boss@acme.test",
            "boss@acme.test",
            Some("JO-B"),
            false,
        )
        .await;
    let theirs = w
        .create_as(
            &w.boss,
            &w.body_with(json!({ "project_id": other_project })),
        )
        .await
        .json()["id"]
        .as_i64()
        .expect("id");
    let globex = json!({ "project_id": w.globex_project, "value": 1, "issue_date": "2024-01-01" });
    w.app
        .create_invoice(&w.globex_member, GLOBEX, &globex)
        .await;

    assert_eq!(
        ids(&w.call(Method::GET, "/api/invoices", &w.pm, None).await),
        mine,
        "view: own projects only"
    );
    let auditor = w.member("auditor", &[InvoicesViewOther]).await;
    let mut all = mine.clone();
    all.push(theirs);
    assert_eq!(
        ids(&w.call(Method::GET, "/api/invoices", &auditor, None).await),
        all,
        "view_other: all of acme"
    );
    w.call(Method::GET, "/api/invoices", &w.outsider, None)
        .await
        .assert_error(403, "forbidden");
}

#[tokio::test]
async fn pagination_takes_limit_and_offset_within_bounds() {
    let w = World::new().await;
    let mut all = Vec::new();
    for _ in 0..5 {
        all.push(w.invoice(json!({})).await);
    }
    let page = |q: &str| format!("/api/invoices?{q}");
    assert_eq!(
        ids(&w.call(Method::GET, &page("limit=2"), &w.pm, None).await),
        all[..2]
    );
    assert_eq!(
        ids(&w
            .call(Method::GET, &page("limit=2&offset=3"), &w.pm, None)
            .await),
        all[3..]
    );
    assert_eq!(
        ids(&w.call(Method::GET, &page("offset=5"), &w.pm, None).await),
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(&w.call(Method::GET, &page("limit=100"), &w.pm, None).await),
        all
    );
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=x", "limit"),
        ("offset=-1", "offset"),
    ] {
        assert_eq!(
            w.call(Method::GET, &page(query), &w.pm, None)
                .await
                .failed_fields(),
            [field],
            "{query}"
        );
    }
}

#[tokio::test]
async fn every_filter_operator_works_on_every_filter() {
    let w = World::new().await;
    let second = w.project_with(Some("JO-2"), false).await;
    let a = w.invoice(json!({ "issue_date": "2024-01-10" })).await;
    let b = w
        .invoice(json!({ "issue_date": "2024-02-10", "project_id": second }))
        .await;
    let c = w.invoice(json!({ "issue_date": "2024-03-10" })).await;
    let p = w.project;
    let cases: Vec<(String, Vec<i64>)> = vec![
        (format!("project_id={p}"), vec![a, c]),
        (format!("project_id=eq:{p}"), vec![a, c]),
        (format!("project_id=neq:{p}"), vec![b]),
        (format!("project_id=gt:{p}"), vec![b]),
        (format!("project_id=gte:{second}"), vec![b]),
        (format!("project_id=lt:{second}"), vec![a, c]),
        (format!("project_id=lte:{p}"), vec![a, c]),
        ("issue_date=2024-02-10".into(), vec![b]),
        ("issue_date=gt:2024-02-10".into(), vec![c]),
        ("issue_date=gte:2024-02-10".into(), vec![b, c]),
        ("issue_date=lt:2024-02-10".into(), vec![a]),
        ("issue_date=lte:2024-02-10".into(), vec![a, b]),
        ("issue_date=neq:2024-02-10".into(), vec![a, c]),
        (
            "issue_date=gte:2024-01-15&issue_date=lt:2024-03-01".into(),
            vec![b],
        ),
        (format!("project_id=in:{p},{second}"), vec![a, b, c]),
        (format!("project_id=in:{second}"), vec![b]),
        (format!("project_id=nin:{second}"), vec![a, c]),
        (format!("project_id=bt:{p},{p}"), vec![a, c]),
        ("issue_date=in:2024-01-10,2024-03-10".into(), vec![a, c]),
        ("issue_date=nin:2024-01-10,2024-03-10".into(), vec![b]),
        ("issue_date=bt:2024-02-10,2024-03-10".into(), vec![b, c]),
        ("issue_date=bt:2024-03-10,2024-02-10".into(), vec![]),
        (
            format!("issue_date=bt:2024-01-01,2024-02-28&project_id=in:{p},{second}"),
            vec![a, b],
        ),
    ];
    for (query, expected) in cases {
        let reply = w
            .call(Method::GET, &format!("/api/invoices?{query}"), &w.pm, None)
            .await;
        assert_eq!(ids(&reply), expected, "{query}");
    }
}

#[tokio::test]
async fn payment_date_and_updated_at_filters_work() {
    let w = World::new().await;
    let a = w.invoice(json!({ "issue_date": "2024-01-01" })).await;
    let b = w.invoice(json!({ "issue_date": "2024-01-01" })).await;
    let paid = w
        .member(
            "payer",
            &[InvoicesEditOther, InvoicesEditSent, InvoicesViewOther],
        )
        .await;
    let pay = |id: i64, date: &str| {
        let body = json!({ "payment_date": date });
        let path = format!("/api/invoices/{id}:set-paid");
        (path, body)
    };
    let (path, body) = pay(a, "2024-05-01");
    assert_eq!(
        w.call(Method::POST, &path, &paid, Some(&body)).await.status,
        200
    );
    let (path, body) = pay(b, "2024-06-01");
    let b_updated = w.call(Method::POST, &path, &paid, Some(&body)).await.json()["updated_at"]
        .as_str()
        .expect("updated_at")
        .to_owned();
    let c = w.invoice(json!({})).await;
    let w = &w;
    let paid = &paid;
    let list = |q: String| async move {
        ids(&w
            .call(Method::GET, &format!("/api/invoices?{q}"), paid, None)
            .await)
    };
    assert_eq!(list("payment_date=2024-05-01".into()).await, [a]);
    assert_eq!(list("payment_date=gt:2024-05-01".into()).await, [b]);
    assert_eq!(
        list("payment_date=lte:2024-06-01".into()).await,
        [a, b],
        "unpaid invoices never match"
    );
    assert_eq!(list(format!("updated_at=gt:{b_updated}")).await, [c]);
    assert_eq!(list(format!("updated_at=gte:{b_updated}")).await, [b, c]);
    assert_eq!(list(format!("updated_at=eq:{b_updated}")).await, [b]);
    assert_eq!(list(format!("updated_at=lt:{b_updated}")).await, [a]);
    assert_eq!(
        list("payment_date=in:2024-05-01,2024-06-01".into()).await,
        [a, b]
    );
    assert_eq!(
        list("payment_date=nin:2024-05-01".into()).await,
        [b],
        "unpaid invoices never match"
    );
    assert_eq!(
        list("payment_date=bt:2024-05-02,2024-06-01".into()).await,
        [b]
    );
    assert_eq!(list(format!("updated_at=in:{b_updated}")).await, [b]);
    assert_eq!(list(format!("updated_at=nin:{b_updated}")).await, [a, c]);
    assert_eq!(
        list(format!("updated_at=bt:{b_updated},2999-01-01T00:00:00Z")).await,
        [b, c]
    );
}

#[tokio::test]
async fn bad_filters_and_unknown_parameters_are_400s_naming_them() {
    let w = World::new().await;
    let cases = [
        ("project_id=abc", vec!["project_id"]),
        ("project_id=between:1", vec!["project_id"]),
        ("issue_date=2024-13-01", vec!["issue_date"]),
        ("issue_date=gte:", vec!["issue_date"]),
        ("payment_date=yesterday", vec!["payment_date"]),
        ("updated_at=2024-01-01", vec!["updated_at"]),
        ("projectid=1", vec!["projectid"]),
        ("order_by=issue_date", vec!["order_by"]),
        ("project_id=in:", vec!["project_id"]),
        ("project_id=in:1,,2", vec!["project_id"]),
        ("issue_date=bt:2024-01-01", vec!["issue_date"]),
        (
            "issue_date=bt:2024-01-01,2024-01-02,2024-01-03",
            vec!["issue_date"],
        ),
        ("payment_date=nin:2024-02-30", vec!["payment_date"]),
        ("order_by=", vec!["order_by"]),
        (
            "limit=0&status=paid&issue_date=x",
            vec!["status", "limit", "issue_date"],
        ),
    ];
    for (query, fields) in cases {
        let reply = w
            .call(Method::GET, &format!("/api/invoices?{query}"), &w.pm, None)
            .await;
        assert_eq!(reply.failed_fields(), fields, "{query}");
    }
    // At most 100 values in a list; the message shows every accepted form.
    let ids = |n: usize| vec!["1"; n].join(",");
    let ok = w
        .call(
            Method::GET,
            &format!("/api/invoices?project_id=in:{}", ids(100)),
            &w.pm,
            None,
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let refused = w
        .call(
            Method::GET,
            &format!("/api/invoices?project_id=nin:{}", ids(101)),
            &w.pm,
            None,
        )
        .await;
    assert_eq!(refused.failed_fields(), ["project_id"]);
    assert!(
        refused.text.contains("in: or nin: before 1 to 100 values")
            && refused.text.contains("bt: before min,max"),
        "{}",
        refused.text
    );
}

#[tokio::test]
async fn the_list_of_each_company_is_its_own() {
    let w = World::new().await;
    w.invoice(json!({})).await;
    let reply = w.get_in(GLOBEX, "/api/invoices", &w.globex_member).await;
    assert_eq!(
        reply.status, 403,
        "globex_member has no view permission: {}",
        reply.text
    );
    let globex_viewer = w
        .app
        .add_member(GLOBEX, "gv@globex.test", &[InvoicesViewOther])
        .await;
    let reply = w.get_in(GLOBEX, "/api/invoices", &globex_viewer).await;
    assert_eq!(reply.json(), Value::Array(vec![]));
}

#[tokio::test]
async fn order_by_updated_at_lists_by_last_change_then_id() {
    let w = World::new().await;
    let [a, b, c] = [
        w.invoice(json!({})).await,
        w.invoice(json!({})).await,
        w.invoice(json!({})).await,
    ];
    let touched = patch(&w, &w.pm, a, json!({ "notes": "changed" })).await;
    assert_eq!(touched.status, 200, "{}", touched.text);
    let list = |q: &'static str| {
        let w = &w;
        async move {
            ids(&w
                .call(Method::GET, &format!("/api/invoices?{q}"), &w.pm, None)
                .await)
        }
    };
    assert_eq!(list("order_by=updated_at").await, [b, c, a]);
    assert_eq!(list("order_by=id").await, [a, b, c]);
    assert_eq!(list("").await, [a, b, c], "id order is the default");
}

/// The sync pattern of the list's description, followed as a client would: pages in
/// `updated_at` order from a cursor, skipping what was already received at the cursor's time.
#[tokio::test]
async fn the_documented_sync_pattern_sees_every_change_made_while_it_pages() {
    let w = World::new().await;
    let mut all = Vec::new();
    for _ in 0..7 {
        all.push(w.invoice(json!({})).await);
    }
    // id -> the updated_at last received
    let mut copy: std::collections::BTreeMap<i64, String> = Default::default();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let query = match &cursor {
            None => "order_by=updated_at&limit=2".to_owned(),
            Some(t) => format!("order_by=updated_at&limit=2&updated_at=gte:{t}"),
        };
        let reply = w
            .call(Method::GET, &format!("/api/invoices?{query}"), &w.pm, None)
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let page = reply.json().as_array().expect("array").clone();
        let mut fresh = 0;
        for invoice in &page {
            let id = invoice["id"].as_i64().expect("id");
            let updated = invoice["updated_at"]
                .as_str()
                .expect("updated_at")
                .to_owned();
            if copy.get(&id) != Some(&updated) {
                fresh += 1;
            }
            copy.insert(id, updated.clone());
            cursor = Some(updated);
        }
        pages += 1;
        // Meanwhile, changes to an invoice already received and to one not received yet.
        if pages == 2 {
            for id in [all[0], all[5]] {
                let reply = patch(&w, &w.pm, id, json!({ "notes": "meanwhile" })).await;
                assert_eq!(reply.status, 200, "{}", reply.text);
            }
        }
        if page.len() < 2 || fresh == 0 {
            break;
        }
        assert!(pages < 50, "the walk ends");
    }
    for id in &all {
        let current = w
            .call(Method::GET, &format!("/api/invoices/{id}"), &w.pm, None)
            .await
            .json();
        assert_eq!(
            copy.get(id).map(String::as_str),
            current["updated_at"].as_str(),
            "invoice {id} is received at its last change"
        );
    }
}
