//! Metrics: off by default, never on the API's listener, and on their own listener counting
//! what was answered, by operation and status. (The contract tests also read them with the
//! Prometheus project's own parser: tests/contract/metrics.py.)

use crate::helpers::{ACME, World, rate_limited, within_one_minute};
use invoices_api::config::Limits;
use reqwest::Method;
use serde_json::json;

/// A scrape of the metrics listener: its lines.
pub async fn scrape(w: &World) -> Vec<String> {
    let address = w.app.metrics_address.as_ref().expect("a metrics listener");
    let response = w
        .app
        .client
        .get(format!("{address}/metrics"))
        .send()
        .await
        .expect("scraped");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let text = response.text().await.expect("text");
    assert!(text.ends_with("# EOF\n"), "{text}");
    text.lines().map(str::to_owned).collect()
}

/// The value of the sample `name{labels}` (0 when absent, as a counter not yet touched).
pub fn sample(lines: &[String], series: &str) -> f64 {
    lines
        .iter()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |value| value.parse().expect("a number"))
}

fn requests(operation: &str, status: u16) -> String {
    format!("invoices_http_requests_total{{operation=\"{operation}\",status=\"{status}\"}}")
}

#[tokio::test]
async fn metrics_are_off_by_default_and_never_on_the_api_listener() {
    let w = World::new().await;
    assert_eq!(w.app.metrics_address, None);
    w.app.get("/metrics").await.assert_error(404, "not_found");
    let w = World::with_metrics(Limits::default()).await;
    w.app.get("/metrics").await.assert_error(404, "not_found");
    // The metrics listener serves nothing else, in the contract's error shape.
    let address = w.app.metrics_address.as_ref().expect("a metrics listener");
    let reply = w
        .app
        .client
        .get(format!("{address}/api/invoices"))
        .send()
        .await
        .expect("sent");
    assert_eq!(reply.status(), 404);
    let body: serde_json::Value = reply.json().await.expect("JSON");
    assert_eq!(body["key"], "not_found");
}

#[tokio::test]
async fn answers_are_counted_by_operation_and_status_and_refusals_by_the_rate_limit() {
    let w = World::with_metrics(rate_limited(10)).await;
    within_one_minute().await;
    let before = scrape(&w).await;

    for _ in 0..3 {
        w.invoice(json!({})).await;
    }
    let bad = w.create_as(&w.pm, &json!({ "project_id": "x" })).await;
    assert_eq!(bad.status, 400);
    assert_eq!(w.get("/api/invoices", &w.pm).await.status, 200);
    assert_eq!(w.get("/api/invoices/999999", &w.pm).await.status, 404);
    let path = format!("/api/invoices/{}:send", w.invoice(json!({})).await);
    assert_eq!(w.call(Method::POST, &path, &w.pm, None).await.status, 200);
    let unknown = w.get_in(ACME, "/api/invoices", "wi_nope");
    assert_eq!(unknown.await.status, 401);
    assert_eq!(w.app.get("/docs").await.status, 200);
    assert_eq!(w.app.get("/no/such/route").await.status, 404);
    // The viewer's token: 10 a minute, then 429s.
    let mut limited = 0;
    for _ in 0..12 {
        if w.get("/api/invoices", &w.viewer).await.status == 429 {
            limited += 1;
        }
    }
    assert_eq!(limited, 2);

    let after = scrape(&w).await;
    let delta = |series: &str| sample(&after, series) - sample(&before, series);
    for (operation, status, count) in [
        ("create_invoice", 201, 4.0),
        ("create_invoice", 400, 1.0),
        ("list_invoices", 200, 11.0),
        ("list_invoices", 401, 1.0),
        ("list_invoices", 429, 2.0),
        ("get_invoice", 404, 1.0),
        ("send_invoice", 200, 1.0),
        ("docs", 200, 1.0),
        ("unmatched", 404, 1.0),
    ] {
        assert_eq!(
            delta(&requests(operation, status)),
            count,
            "{operation} {status}"
        );
    }
    assert_eq!(
        delta("invoices_http_request_duration_seconds_count{operation=\"create_invoice\"}"),
        5.0
    );
    assert_eq!(delta("invoices_rate_limited_requests_total"), 2.0);
    // The scrape itself is not a request of the API.
    assert_eq!(sample(&after, "invoices_http_requests_in_flight"), 0.0);
    let max = sample(&after, "invoices_db_pool_max_connections");
    let open = sample(&after, "invoices_db_pool_connections");
    let in_use = sample(&after, "invoices_db_pool_in_use_connections");
    let idle = sample(&after, "invoices_db_pool_idle_connections");
    assert!(max >= 1.0 && open >= 1.0 && open <= max, "{max} {open}");
    assert_eq!(in_use + idle, open);
    // Nothing waits for SQLite's writer's turn once the creates are answered.
    assert!(
        after
            .iter()
            .any(|l| l == "invoices_db_write_turn_waiting 0")
    );
}

/// The metrics listener has the API listener's bounds: a half-sent request head is dropped.
#[tokio::test]
async fn the_metrics_listener_drops_half_sent_heads_like_the_api_listener() {
    use invoices_api::config::ConnectionLimits;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let w = World::with_metrics(Limits {
        connections: ConnectionLimits {
            head_timeout: Duration::from_secs(1),
            ..ConnectionLimits::default()
        },
        ..Limits::default()
    })
    .await;
    let address = w.app.metrics_address.as_ref().expect("a metrics listener");
    let mut stream = tokio::net::TcpStream::connect(address.trim_start_matches("http://"))
        .await
        .expect("connects");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("half a head sent");
    let mut buf = [0u8; 64];
    let closed = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
        .await
        .expect("the listener drops the connection");
    assert!(matches!(closed, Ok(0) | Err(_)), "{closed:?}");
    scrape(&w).await;
}

#[tokio::test]
async fn the_metrics_name_the_release_and_the_newest_migration_it_knows() {
    let w = World::with_metrics(Limits::default()).await;
    let lines = scrape(&w).await;
    let schema = migration::kinds().last().expect("a migration").0.clone();
    let series = format!(
        "invoices_build_info{{release=\"{}\",schema=\"{schema}\"}}",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(sample(&lines, &series), 1.0, "{lines:#?}");
}
