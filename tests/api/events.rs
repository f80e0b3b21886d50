//! `GET /api/events`: every change of an invoice is one event, written with the change; the
//! cursor, the filters, the permissions and the company's walls.

use crate::helpers::{ACME, GLOBEX, World};
use crate::lifecycle::act;
use crate::update_invoice::patch;
use entity::user;
use invoices_api::domain::permission::Permission::*;
use reqwest::Method;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement, TransactionTrait,
};
use serde_json::{Value, json};

/// The events the caller sees with this query string, once every committed event is visible.
///
/// On PostgreSQL an event shows once every transaction that began before it has ended, in any
/// database of the cluster (other tests run beside this one): wait for that first.
pub async fn events(w: &World, token: &str, query: &str) -> Vec<Value> {
    all_committed_visible(&w.app.db).await;
    events_now(w, token, query).await
}

/// Waits until no committed event is behind the visibility horizon.
pub async fn all_committed_visible(db: &sea_orm::DatabaseConnection) {
    use invoices_api::store::events::horizon;
    use sea_orm::{ColumnTrait as _, QuerySelect};
    // Long: tests running alongside on the same PostgreSQL cluster (a copy's one transaction)
    // hold the horizon back while they run.
    for _ in 0..3000 {
        let last: Option<i64> = entity::invoice_event::Entity::find()
            .select_only()
            .column_as(entity::invoice_event::Column::Id.max(), "id")
            .into_tuple::<Option<i64>>()
            .one(db)
            .await
            .expect("query")
            .flatten();
        match (horizon(db).await.expect("horizon"), last) {
            (Some(below), Some(last)) if below <= last => {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            _ => return,
        }
    }
    panic!("committed events stayed behind the horizon for 30 s");
}

/// The events the caller sees right now.
async fn events_now(w: &World, token: &str, query: &str) -> Vec<Value> {
    let reply = w.get(&format!("/api/events{query}"), token).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json().as_array().cloned().expect("an array")
}

fn types(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or("?"))
        .collect()
}

async fn user_id(w: &World, name: &str) -> i64 {
    user::Entity::find()
        .filter(user::Column::Email.eq(format!("{name}@acme.test")))
        .one(&w.app.db)
        .await
        .expect("query")
        .expect("the user")
        .id
}

/// A member who may do everything to every invoice of `acme`.
pub async fn clerk(w: &World) -> String {
    w.member(
        "clerk",
        &[
            InvoicesViewOther,
            InvoicesEditOther,
            InvoicesEditSent,
            InvoicesDeleteOther,
        ],
    )
    .await
}

/// A `:set-paid` body.
fn paid_on_july_1st() -> Value {
    json!({ "payment_date": "2024-07-01" })
}

#[tokio::test]
async fn every_change_is_one_event_in_order_with_its_user_and_the_invoice_it_left() {
    let w = World::new().await;
    let clerk = clerk(&w).await;
    let created = w.create_as(&w.pm, &w.minimal_body()).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json()["id"].as_i64().expect("id");
    let mut replies = vec![created.json()];
    for reply in [
        patch(&w, &clerk, id, json!({ "notes": "Second milestone" })).await,
        act(&w, &clerk, id, "send", None).await,
        act(&w, &clerk, id, "set-paid", Some(paid_on_july_1st())).await,
        act(&w, &clerk, id, "set-unpaid", None).await,
    ] {
        assert_eq!(reply.status, 200, "{}", reply.text);
        replies.push(reply.json());
    }
    let before_delete = w.get(&format!("/api/invoices/{id}"), &clerk).await.json();
    let deleted = w
        .call(Method::DELETE, &format!("/api/invoices/{id}"), &clerk, None)
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);

    let seen = events(&w, &clerk, "").await;
    assert_eq!(
        types(&seen),
        [
            "invoice.created",
            "invoice.updated",
            "invoice.sent",
            "invoice.paid",
            "invoice.unpaid",
            "invoice.deleted"
        ]
    );
    let ids: Vec<i64> = seen.iter().map(|e| e["id"].as_i64().expect("id")).collect();
    assert!(ids.windows(2).all(|p| p[0] < p[1]), "increasing: {ids:?}");
    let (pm, clerk_id) = (user_id(&w, "pm").await, user_id(&w, "clerk").await);
    for (n, event) in seen.iter().enumerate() {
        assert_eq!(event["invoice_id"], json!(id));
        assert_eq!(event["user_id"], json!(if n == 0 { pm } else { clerk_id }));
        // The invoice as the change left it (as it was, for the delete), exactly as answered.
        let expected = replies.get(n).unwrap_or(&before_delete);
        assert_eq!(&event["data"], expected, "event {n}");
        if n < 5 {
            assert_eq!(event["created_at"], expected["updated_at"], "event {n}");
        }
    }
    assert!(seen[0].get("previous").is_none());
    assert!(seen[5].get("previous").is_none());
}

#[tokio::test]
async fn an_event_names_exactly_the_fields_its_change_changed_with_their_previous_values() {
    let w = World::new().await;
    let clerk = clerk(&w).await;
    let id = w.invoice(json!({ "purchase_order": "PO-1" })).await;
    let steps = [
        patch(&w, &clerk, id, json!({ "notes": "n", "value": 250.5 })).await,
        // Sending the current values changes nothing but the version.
        patch(
            &w,
            &clerk,
            id,
            json!({ "notes": "n", "purchase_order": "PO-1" }),
        )
        .await,
        patch(&w, &clerk, id, json!({ "purchase_order": null })).await,
        act(&w, &clerk, id, "set-paid", Some(paid_on_july_1st())).await,
    ];
    for reply in &steps {
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    let seen = events(&w, &clerk, &format!("?invoice_id={id}")).await;
    let previous: Vec<&Value> = seen[1..].iter().map(|e| &e["previous"]).collect();
    assert_eq!(
        previous,
        [
            &json!({ "notes": null, "value": 100 }),
            &json!({}),
            &json!({ "purchase_order": "PO-1" }),
            &json!({ "status": "draft", "payment_date": null }),
        ]
    );
}

#[tokio::test]
async fn a_refused_request_writes_no_event() {
    let w = World::new().await;
    let clerk = clerk(&w).await;
    let id = w.invoice(json!({ "invoice_number": "A-1" })).await;
    let archived = w.project_with(Some("JO-2"), true).await;
    let refusals = [
        w.create_as(&w.pm, &w.body_with(json!({ "invoice_number": "A-1" })))
            .await,
        w.create_as(&w.pm, &w.body_with(json!({ "project_id": archived })))
            .await,
        w.create_as(&w.viewer, &w.minimal_body()).await,
        patch(&w, &clerk, id, json!({ "value": -1 })).await,
        patch(&w, &w.viewer, id, json!({ "notes": "x" })).await,
        w.app
            .call_with_headers(
                ACME,
                Method::PATCH,
                &format!("/api/invoices/{id}"),
                &clerk,
                Some(&json!({ "notes": "x" })),
                &[("If-Match", "\"999-1\"")],
            )
            .await,
        act(&w, &clerk, id, "set-unpaid", None).await,
        act(&w, &w.viewer, id, "send", None).await,
        w.call(
            Method::DELETE,
            &format!("/api/invoices/{id}"),
            &w.viewer,
            None,
        )
        .await,
    ];
    for reply in &refusals {
        assert!(reply.status >= 400, "{}: {}", reply.status, reply.text);
    }
    assert_eq!(types(&events(&w, &clerk, "").await), ["invoice.created"]);
}

#[tokio::test]
async fn a_client_follows_the_events_with_the_cursor_and_the_filters() {
    let w = World::new().await;
    let clerk = clerk(&w).await;
    let first = w.invoice(json!({})).await;
    let second = w.invoice(json!({})).await;
    assert_eq!(act(&w, &clerk, first, "send", None).await.status, 200);
    assert_eq!(
        patch(&w, &clerk, second, json!({ "notes": "x" }))
            .await
            .status,
        200
    );
    let all = events(&w, &clerk, "").await;
    assert_eq!(all.len(), 4);
    let id_at = |n: usize| all[n]["id"].as_i64().expect("id");

    // Pages of two, each after the last id read, until a page is short.
    let mut read = Vec::new();
    let mut after = 0;
    loop {
        let page = events(&w, &clerk, &format!("?after={after}&limit=2")).await;
        read.extend(page.iter().cloned());
        let Some(last) = page.last() else { break };
        after = last["id"].as_i64().expect("id");
        if page.len() < 2 {
            break;
        }
    }
    assert_eq!(read, all);
    assert!(
        events(&w, &clerk, &format!("?after={}", id_at(3)))
            .await
            .is_empty()
    );
    assert_eq!(
        events(&w, &clerk, &format!("?after={}", id_at(1))).await,
        all[2..]
    );

    let of_second = events(&w, &clerk, &format!("?invoice_id={second}")).await;
    assert_eq!(types(&of_second), ["invoice.created", "invoice.updated"]);
    let sent_or_updated = events(&w, &clerk, "?type=invoice.sent&type=invoice.updated").await;
    assert_eq!(types(&sent_or_updated), ["invoice.sent", "invoice.updated"]);
    let filtered = events(
        &w,
        &clerk,
        &format!("?type=invoice.created&invoice_id={first}"),
    )
    .await;
    assert_eq!(filtered, all[..1]);

    for (query, field) in [
        ("?after=-1", "after"),
        ("?after=x", "after"),
        ("?limit=0", "limit"),
        ("?limit=101", "limit"),
        ("?invoice_id=0", "invoice_id"),
        ("?type=invoice.moved", "type"),
        ("?since=1", "since"),
    ] {
        let reply = w.get(&format!("/api/events{query}"), &clerk).await;
        reply.assert_error(400, "invalid_data");
        assert_eq!(reply.failed_fields(), [field], "{query}");
    }
}

#[tokio::test]
async fn a_caller_sees_the_events_of_exactly_the_invoices_it_may_view() {
    let w = World::new().await;
    let clerk = clerk(&w).await;
    // A project the PM has no role in.
    let elsewhere = w
        .app
        .add_project(
            ACME,
            "outsider@acme.test",
            "outsider@acme.test",
            Some("JO-9"),
            false,
        )
        .await;
    let mine = w.invoice(json!({})).await;
    let moved = w.invoice(json!({})).await;
    let theirs = w
        .create_as(&w.boss, &w.body_with(json!({ "project_id": elsewhere })))
        .await;
    assert_eq!(theirs.status, 201, "{}", theirs.text);
    assert_eq!(
        patch(&w, &clerk, moved, json!({ "project_id": elsewhere }))
            .await
            .status,
        200
    );

    // view_other: everything; view as PM: the events whose invoice was in the PM's project at
    // the event (the move itself happened in the other project); view without a role: none.
    assert_eq!(events(&w, &clerk, "").await.len(), 4);
    let pm_sees: Vec<(i64, String)> = events(&w, &w.pm, "")
        .await
        .iter()
        .map(|e| (e["invoice_id"].as_i64().unwrap_or(0), e["type"].to_string()))
        .collect();
    assert_eq!(
        pm_sees,
        [
            (mine, "\"invoice.created\"".to_owned()),
            (moved, "\"invoice.created\"".to_owned())
        ]
    );
    assert!(events(&w, &w.viewer, "").await.is_empty());
    // Neither view permission: refused.
    w.get("/api/events", &w.boss)
        .await
        .assert_forbidden_naming("invoices.view");

    // Another company's events are never seen, nor its invoices' ids.
    let g = w
        .app
        .create_invoice(
            &w.globex_member,
            GLOBEX,
            &json!({ "project_id": w.globex_project, "value": 1, "issue_date": "2024-06-15" }),
        )
        .await;
    assert_eq!(g.status, 201, "{}", g.text);
    let g_id = g.json()["id"].as_i64().expect("id");
    assert!(
        events(&w, &clerk, &format!("?invoice_id={g_id}"))
            .await
            .is_empty()
    );
    assert_eq!(events(&w, &clerk, "").await.len(), 4);
    let globex_viewer = w
        .app
        .add_member(GLOBEX, "gv@globex.test", &[InvoicesViewOther])
        .await;
    let reply = w.get_in(GLOBEX, "/api/events", &globex_viewer).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let theirs: Vec<i64> = reply
        .json()
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["invoice_id"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(theirs, [g_id]);
}

/// On PostgreSQL transactions commit in any order: an event must not show while a transaction
/// that may still add an earlier one runs, or a client past it would never see that one.
#[tokio::test]
async fn no_event_shows_behind_a_change_still_in_flight() {
    let w = World::new().await;
    let clerk = clerk(&w).await;
    let id = w.invoice(json!({})).await;
    let db = &w.app.db;
    all_committed_visible(db).await;
    // A transaction that changes the invoice table (and so draws its event ids) first and
    // commits last: a create written straight into the database, held open.
    let txn = db.begin().await.expect("begin");
    let backend = db.get_database_backend();
    if w.app.on_postgres() {
        txn.execute_raw(Statement::from_string(
            backend,
            format!(
                "INSERT INTO invoices (company_id, project_id, status, value, issue_date, \
                 created_by_user_id, created_at, updated_at) SELECT company_id, project_id, \
                 'draft', 1, '2024-06-15', created_by_user_id, now(), now() FROM invoices \
                 WHERE id = {id}"
            ),
        ))
        .await
        .expect("insert in the open transaction");
        // A change through the API commits meanwhile.
        assert_eq!(
            patch(&w, &clerk, id, json!({ "notes": "x" })).await.status,
            200
        );
        assert_eq!(
            types(&events_now(&w, &clerk, "").await),
            ["invoice.created"],
            "the update waits for the transaction that began before it"
        );
        txn.commit().await.expect("commit");
        let all = events(&w, &clerk, "").await;
        assert_eq!(
            types(&all),
            ["invoice.created", "invoice.created", "invoice.updated"],
            "the held create comes before the update it began before"
        );
    } else {
        // SQLite: one writer at a time, so ids follow commits and nothing is held back.
        drop(txn);
        assert_eq!(
            patch(&w, &clerk, id, json!({ "notes": "x" })).await.status,
            200
        );
        assert_eq!(
            types(&events(&w, &clerk, "").await),
            ["invoice.created", "invoice.updated"]
        );
    }
}
