//! `ETag` on every response with one invoice; `If-Match` on every write of one (412 when the
//! invoice changed since it was read); `If-None-Match` on `GET /api/invoices/{id}` (304).

use crate::helpers::{ACME, Reply, World};
use invoices_api::domain::permission::Permission;
use reqwest::Method;
use serde_json::{Value, json};

/// A member who may do everything to every invoice of `acme`.
async fn manager(w: &World) -> String {
    // Every permission but creating.
    let creating = [Permission::InvoicesCreate, Permission::InvoicesCreateOther];
    let permissions: Vec<Permission> = Permission::ALL
        .into_iter()
        .filter(|p| !creating.contains(p))
        .collect();
    w.member("manager", &permissions).await
}

async fn call(
    w: &World,
    token: &str,
    method: Method,
    path: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> Reply {
    w.app
        .call_with_headers(ACME, method, path, token, body, headers)
        .await
}

#[track_caller]
fn etag(reply: &Reply) -> String {
    let etag = reply
        .header("etag")
        .unwrap_or_else(|| panic!("no ETag on a {}: {}", reply.status, reply.text));
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() > 2,
        "a strong, quoted ETag: {etag}"
    );
    etag.to_owned()
}

#[track_caller]
fn assert_changed_since_read(reply: &Reply) {
    let body = reply.assert_error(412, "precondition_failure");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("changed since it was read"), "{message}");
}

#[tokio::test]
async fn every_response_with_one_invoice_carries_its_etag_and_it_changes_with_every_write() {
    let w = World::new().await;
    let token = manager(&w).await;
    let created = w.create_as(&w.pm, &w.minimal_body()).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json()["id"].as_i64().expect("id");
    let path = format!("/api/invoices/{id}");
    let mut seen = vec![etag(&created)];

    let read = call(&w, &token, Method::GET, &path, None, &[]).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(etag(&read), seen[0], "an unchanged invoice keeps its ETag");

    let writes = [
        (Method::PATCH, path.clone(), Some(json!({ "notes": "n" }))),
        (Method::POST, format!("{path}:send"), None),
        (Method::POST, format!("{path}:set-paid"), Some(json!({}))),
        (Method::POST, format!("{path}:set-unpaid"), None),
    ];
    for (method, write_path, body) in writes {
        let reply = call(&w, &token, method, &write_path, body.as_ref(), &[]).await;
        assert_eq!(reply.status, 200, "{write_path}: {}", reply.text);
        let new = etag(&reply);
        assert!(!seen.contains(&new), "{write_path}: a new ETag, got {new}");
        let read = call(&w, &token, Method::GET, &path, None, &[]).await;
        assert_eq!(etag(&read), new, "GET shows the ETag the write returned");
        seen.push(new);
    }
}

#[tokio::test]
async fn a_write_with_a_stale_if_match_is_a_412_and_changes_nothing() {
    let w = World::new().await;
    let token = manager(&w).await;
    let id = w.invoice(json!({ "notes": "first" })).await;
    let path = format!("/api/invoices/{id}");
    let stale = etag(&call(&w, &token, Method::GET, &path, None, &[]).await);
    let patched = call(
        &w,
        &token,
        Method::PATCH,
        &path,
        Some(&json!({ "notes": "second" })),
        &[("If-Match", &stale)],
    )
    .await;
    assert_eq!(
        patched.status, 200,
        "the current ETag matches: {}",
        patched.text
    );
    let before = w.app.stored_invoice(id).await;

    let stale_header = [("If-Match", stale.as_str())];
    let writes = [
        (
            Method::PATCH,
            path.clone(),
            Some(json!({ "notes": "third" })),
        ),
        (Method::POST, format!("{path}:send"), None),
        (Method::POST, format!("{path}:set-paid"), None),
        (Method::DELETE, path.clone(), None),
    ];
    for (method, write_path, body) in writes {
        let reply = call(
            &w,
            &token,
            method,
            &write_path,
            body.as_ref(),
            &stale_header,
        )
        .await;
        assert_changed_since_read(&reply);
    }
    // :set-unpaid needs a paid invoice to get past its own 412.
    let current = etag(&call(&w, &token, Method::GET, &path, None, &[]).await);
    let paid = call(
        &w,
        &token,
        Method::POST,
        &format!("{path}:set-paid"),
        None,
        &[("If-Match", &current)],
    )
    .await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    let unpaid = call(
        &w,
        &token,
        Method::POST,
        &format!("{path}:set-unpaid"),
        None,
        &[("If-Match", &current)],
    )
    .await;
    assert_changed_since_read(&unpaid);
    let after = w.app.stored_invoice(id).await;
    assert_eq!(after.notes, before.notes);
    assert_eq!(after.status, entity::invoice::InvoiceStatus::Paid);
}

#[tokio::test]
async fn if_match_star_or_a_list_holding_the_current_etag_lets_the_write_through() {
    let w = World::new().await;
    let token = manager(&w).await;
    let id = w.invoice(json!({})).await;
    let path = format!("/api/invoices/{id}");
    let current = etag(&call(&w, &token, Method::GET, &path, None, &[]).await);
    let list = format!("\"0-0\", {current}");
    let patched = call(
        &w,
        &token,
        Method::PATCH,
        &path,
        Some(&json!({ "notes": "x" })),
        &[("If-Match", &list)],
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let weak = format!("W/{}", etag(&patched));
    let refused = call(
        &w,
        &token,
        Method::POST,
        &format!("{path}:send"),
        None,
        &[("If-Match", &weak)],
    )
    .await;
    assert_changed_since_read(&refused);
    let deleted = call(
        &w,
        &token,
        Method::DELETE,
        &path,
        None,
        &[("If-Match", "*")],
    )
    .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_eq!(w.app.invoice_count().await, 0);
}

#[tokio::test]
async fn get_answers_304_without_a_body_while_the_etag_sent_is_current() {
    let w = World::new().await;
    let token = manager(&w).await;
    let id = w.invoice(json!({})).await;
    let path = format!("/api/invoices/{id}");
    let current = etag(&call(&w, &token, Method::GET, &path, None, &[]).await);

    for sent in [current.clone(), format!("W/{current}"), "*".to_owned()] {
        let cached = call(
            &w,
            &token,
            Method::GET,
            &path,
            None,
            &[("If-None-Match", &sent)],
        )
        .await;
        assert_eq!(cached.status, 304, "If-None-Match: {sent}");
        assert_eq!(cached.text, "", "a 304 has no body");
        assert_eq!(etag(&cached), current);
    }

    call(
        &w,
        &token,
        Method::PATCH,
        &path,
        Some(&json!({ "notes": "new" })),
        &[],
    )
    .await;
    let fresh = call(
        &w,
        &token,
        Method::GET,
        &path,
        None,
        &[("If-None-Match", &current)],
    )
    .await;
    assert_eq!(fresh.status, 200, "{}", fresh.text);
    assert_eq!(fresh.json()["notes"], "new");
    assert_ne!(etag(&fresh), current);
}

#[tokio::test]
async fn permissions_and_existence_are_answered_before_if_match() {
    let w = World::new().await;
    let id = w.invoice(json!({})).await;
    let path = format!("/api/invoices/{id}");
    // The outsider may not edit this project's invoices: 403, whatever the ETag.
    let outsider = w
        .member(
            "clerk",
            &[Permission::InvoicesEdit, Permission::InvoicesView],
        )
        .await;
    let reply = call(
        &w,
        &outsider,
        Method::PATCH,
        &path,
        Some(&json!({ "notes": "x" })),
        &[("If-Match", "\"0-0\"")],
    )
    .await;
    reply.assert_error(403, "forbidden");
    let missing = call(
        &w,
        &w.pm,
        Method::DELETE,
        "/api/invoices/999999",
        None,
        &[("If-Match", "\"0-0\"")],
    )
    .await;
    missing.assert_error(404, "not_found");
}

#[tokio::test]
async fn an_if_match_that_names_no_etag_never_matches_and_an_overlong_one_is_a_400() {
    let w = World::new().await;
    let id = w.invoice(json!({})).await;
    let path = format!("/api/invoices/{id}");
    for odd in ["0", "1-1", "\"1-1", "W/"] {
        let reply = call(&w, &w.pm, Method::DELETE, &path, None, &[("If-Match", odd)]).await;
        assert_changed_since_read(&reply);
    }
    let long = format!("\"{}\"", "a".repeat(1024));
    let reply = call(
        &w,
        &w.pm,
        Method::DELETE,
        &path,
        None,
        &[("If-Match", &long)],
    )
    .await;
    assert_eq!(reply.failed_fields(), ["If-Match"]);
    assert_eq!(w.app.invoice_count().await, 1);
}

#[tokio::test]
async fn a_replayed_create_carries_the_etag_of_the_invoice_as_created() {
    let w = World::new().await;
    let body = w.minimal_body().to_string();
    let first = crate::helpers::create_with_key(&w, &w.pm, ACME, "k-1", &body).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let replay = crate::helpers::create_with_key(&w, &w.pm, ACME, "k-1", &body).await;
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(etag(&replay), etag(&first));
}
