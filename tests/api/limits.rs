//! Abuse: oversized bodies, slow requests and floods get the contract's JSON errors.

use crate::helpers::{ACME, VERSION, World, rate_limited, within_one_minute};
use invoices_api::config::Limits;
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn a_token_over_its_rate_limit_gets_429_with_a_retry_delay() {
    let w = World::with_limits(rate_limited(3)).await;
    within_one_minute().await;
    for _ in 0..3 {
        assert_eq!(w.create_as(&w.pm, &w.minimal_body()).await.status, 201);
    }
    let limited = w.create_as(&w.pm, &w.minimal_body()).await;
    limited.assert_error(429, "too_many_requests");
    let wait: u64 = limited
        .header("x-ratelimit-retry-after")
        .expect("x-ratelimit-retry-after")
        .parse()
        .expect("whole seconds");
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(
        w.app.invoice_count().await,
        3,
        "a limited request writes nothing"
    );
    // Budgets are per token.
    assert_eq!(w.create_as(&w.account, &w.minimal_body()).await.status, 201);
}

#[tokio::test]
async fn there_is_no_rate_limit_by_default() {
    let w = World::new().await;
    for _ in 0..30 {
        assert_eq!(w.create_as(&w.pm, &w.minimal_body()).await.status, 201);
    }
}

#[tokio::test]
async fn the_body_limit_is_configurable_and_named_in_the_413() {
    let w = World::with_limits(Limits {
        max_body_bytes: 1000,
        ..Limits::default()
    })
    .await;
    let body = w.body_with(json!({ "notes": "x".repeat(2000) }));
    let error = w
        .create_as(&w.pm, &body)
        .await
        .assert_error(413, "payload_too_large");
    assert!(
        error["message"].as_str().expect("message").contains("1000"),
        "{error}"
    );
    let small = w.body_with(json!({ "notes": "x".repeat(500) }));
    assert_eq!(w.create_as(&w.pm, &small).await.status, 201);
}

#[tokio::test]
async fn a_request_whose_body_never_arrives_times_out_with_a_json_503() {
    let w = World::with_limits(Limits {
        request_timeout: Duration::from_secs(1),
        ..Limits::default()
    })
    .await;
    let address = w.app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connects");
    let head = format!(
        "POST /api/invoices HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Wethod-Company: {ACME}\r\nWethod-Version: {VERSION}\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\n\r\n{{\"value\":",
        w.pm
    );
    stream.write_all(head.as_bytes()).await.expect("writes");
    let started = Instant::now();
    let mut response = Vec::new();
    let read =
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response)).await;
    assert!(
        read.is_ok(),
        "the server must answer a stalled request by itself"
    );
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("\"key\":\"unavailable\""), "{text}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(w.app.invoice_count().await, 0);
}
