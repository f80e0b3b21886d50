//! 401 `unauthorized`: only a live personal access token gets in.

use crate::helpers::{ACME, VERSION, World, rate_limited};
use entity::api_token;
use invoices_api::config::Limits;
use invoices_api::store::admin;
use sea_orm::EntityTrait;
use serde_json::json;

async fn post_with_authorization(
    w: &World,
    authorization: Option<&str>,
    body: String,
) -> crate::helpers::Reply {
    let mut headers = vec![
        ("Wethod-Company", ACME),
        ("Wethod-Version", VERSION),
        ("Content-Type", "application/json"),
    ];
    if let Some(value) = authorization {
        headers.push(("Authorization", value));
    }
    w.app.post_invoice_raw(&headers, body).await
}

#[track_caller]
fn assert_unauthorized(reply: &crate::helpers::Reply) {
    reply.assert_error(401, "unauthorized");
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
}

#[tokio::test]
async fn a_missing_or_malformed_authorization_header_is_a_401() {
    let w = World::new().await;
    let body = w.minimal_body().to_string();
    let basic = format!("Basic {}", w.pm);
    let token_scheme = format!("Token {}", w.pm);
    for authorization in [
        None,
        Some("Bearer"),
        Some("Bearer "),
        Some(basic.as_str()),
        Some(token_scheme.as_str()),
        Some(w.pm.as_str()),
    ] {
        let reply = post_with_authorization(&w, authorization, body.clone()).await;
        assert_unauthorized(&reply);
    }
    assert_eq!(w.app.invoice_count().await, 0);
}

#[tokio::test]
async fn an_unknown_token_is_a_401() {
    let w = World::new().await;
    let forged = format!("Bearer wi_{}", "0".repeat(64));
    let reply = post_with_authorization(&w, Some(&forged), w.minimal_body().to_string()).await;
    assert_unauthorized(&reply);
}

#[tokio::test]
async fn a_revoked_token_is_a_401() {
    let w = World::new().await;
    assert_eq!(w.create_as(&w.pm, &w.minimal_body()).await.status, 201);
    admin::revoke_token(&w.app.db, "pm@acme.test", "test")
        .await
        .expect("revoked");
    assert_unauthorized(&w.create_as(&w.pm, &w.minimal_body()).await);
}

#[tokio::test]
async fn an_expired_token_is_a_401_and_an_unexpired_one_works() {
    let w = World::new().await;
    let expired = admin::add_token(&w.app.db, "pm@acme.test", "expired", Some(0))
        .await
        .expect("token");
    assert_unauthorized(&w.create_as(&expired, &w.minimal_body()).await);
    let fresh = admin::add_token(&w.app.db, "pm@acme.test", "fresh", Some(1))
        .await
        .expect("token");
    assert_eq!(w.create_as(&fresh, &w.minimal_body()).await.status, 201);
}

#[tokio::test]
async fn the_token_is_checked_before_the_shape_of_the_request() {
    let w = World::new().await;
    let reply = w
        .app
        .post_invoice_raw(&[("Content-Type", "text/plain")], "not json")
        .await;
    assert_unauthorized(&reply);
}

#[tokio::test]
async fn an_unknown_token_is_a_401_whatever_is_wrong_with_the_body() {
    let w = World::with_limits(Limits {
        max_body_bytes: 1000,
        ..Limits::default()
    })
    .await;
    let forged = format!("Bearer wi_{}", "0".repeat(64));
    let with = |content_type: &'static str| {
        [
            ("Authorization", forged.clone()),
            ("Wethod-Company", ACME.to_owned()),
            ("Wethod-Version", VERSION.to_owned()),
            ("Content-Type", content_type.to_owned()),
        ]
    };
    let too_large = w
        .body_with(json!({ "notes": "x".repeat(2000) }))
        .to_string();
    for (content_type, body) in [
        ("text/plain", "not json".to_owned()),
        ("application/json", "{ not json".to_owned()),
        (
            "application/json",
            json!({ "project_id": "one" }).to_string(),
        ),
        ("application/json", too_large),
    ] {
        let headers = with(content_type);
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        assert_unauthorized(&w.app.post_invoice_raw(&headers, body).await);
    }
    // The same bodies with a valid token get their own answers.
    let valid = format!("Bearer {}", w.pm);
    let mut headers = with("text/plain");
    headers[0].1 = valid;
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    w.app
        .post_invoice_raw(&headers, "not json")
        .await
        .assert_error(415, "unsupported_media_type");
    assert_eq!(w.app.invoice_count().await, 0);
}

#[tokio::test]
async fn an_unknown_token_over_the_rate_limit_is_still_a_401() {
    let w = World::with_limits(rate_limited(2)).await;
    let forged = format!("wi_{}", "0".repeat(64));
    for _ in 0..5 {
        assert_unauthorized(&w.create_as(&forged, &w.minimal_body()).await);
    }
}

#[tokio::test]
async fn tokens_are_stored_only_as_hashes_and_record_their_last_use() {
    let w = World::new().await;
    assert_eq!(w.create_as(&w.pm, &w.minimal_body()).await.status, 201);
    let tokens = api_token::Entity::find()
        .all(&w.app.db)
        .await
        .expect("tokens");
    assert!(
        tokens
            .iter()
            .all(|t| t.token_hash != w.pm && !t.token_hash.contains(&w.pm))
    );
    let pm_token = tokens
        .iter()
        .find(|t| t.token_hash == invoices_api::domain::token::hash(&w.pm))
        .expect("the pm's token is found by its hash");
    assert!(pm_token.last_used_at.is_some());
}
