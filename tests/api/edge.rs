//! The edge: no request can crash the server, hold its connections, or get an answer outside
//! the contract. Each test is one probe of an attacker with a valid token or none.

use crate::helpers::{ACME, Reply, VERSION, World, spawn_app_with};
use invoices_api::config::{ConnectionLimits, Limits};
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The host and port of a test server's address.
fn host_port(address: &str) -> &str {
    address.trim_start_matches("http://")
}

/// The answer to `request`, sent as it is over a plain TCP connection while the answer is
/// read (a server may answer before the request ends), read until the server closes.
async fn raw_reply(address: &str, request: Vec<u8>) -> Reply {
    let stream = TcpStream::connect(host_port(address))
        .await
        .expect("connects");
    let (mut from_server, mut to_server) = stream.into_split();
    let writing = tokio::spawn(async move {
        // The server may close once it has answered: a failed write is its right.
        let _ = to_server.write_all(&request).await;
        to_server
    });
    let mut answer = Vec::new();
    tokio::time::timeout(
        Duration::from_secs(30),
        from_server.read_to_end(&mut answer),
    )
    .await
    .expect("the server answers and closes in time")
    .expect("the answer reads");
    drop(writing.await);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in lines.filter_map(|line| line.split_once(": ")) {
        headers.append(
            reqwest::header::HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
            value.parse().expect("a header value"),
        );
    }
    Reply {
        status,
        headers,
        text: body.to_owned(),
    }
}

#[track_caller]
fn assert_json_error_with_request_id(reply: &Reply, status: u16, key: &str) -> serde_json::Value {
    let body = reply.assert_error(status, key);
    assert!(
        reply
            .header("x-request-id")
            .is_some_and(|id| !id.is_empty()),
        "x-request-id on a {status}"
    );
    body
}

#[tokio::test]
async fn a_filter_repeated_hundreds_of_times_is_a_400_naming_it_and_the_server_stays_up() {
    let w = World::new().await;
    for (name, value) in [("project_id", "1"), ("issue_date", "gte:2024-01-01")] {
        for repeats in [11, 700, 750, 1_000, 5_000] {
            let query = vec![format!("{name}={value}"); repeats].join("&");
            let uri = format!("/api/invoices?{query}");
            if uri.len() > 65_534 {
                // Past what the HTTP layer reads at all, refused as it arrives: the same JSON
                // 414. Sent by hand: the test's HTTP client refuses to build such a URI.
                let head = format!("GET {uri} HTTP/1.1\r\nHost: x\r\n\r\n");
                let reply = raw_reply(&w.app.address, head.into_bytes()).await;
                assert_json_error_with_request_id(&reply, 414, "uri_too_long");
                continue;
            }
            let reply = w.call(Method::GET, &uri, &w.pm, None).await;
            let body = assert_json_error_with_request_id(&reply, 400, "invalid_data");
            assert_eq!(
                body["failures"][0]["field"], name,
                "{repeats} times: {body}"
            );
            let message = body["failures"][0]["message"].as_str().unwrap_or_default();
            assert!(message.contains("at most 10 times"), "{message}");
        }
    }
    let ten = ["project_id=gte:1"; 10].join("&");
    let reply = w
        .call(Method::GET, &format!("/api/invoices?{ten}"), &w.pm, None)
        .await;
    assert_eq!(
        reply.status, 200,
        "ten repetitions are fine: {}",
        reply.text
    );
    assert_eq!(w.app.get("/health").await.status, 200);
}

#[tokio::test]
async fn half_sent_request_heads_are_dropped_within_the_head_timeout_while_health_answers() {
    let head_timeout = Duration::from_secs(1);
    let app = spawn_app_with(Limits {
        connections: ConnectionLimits {
            head_timeout,
            ..ConnectionLimits::default()
        },
        ..Limits::default()
    })
    .await;
    let address = host_port(&app.address).to_owned();
    let started = Instant::now();
    let mut held = Vec::new();
    for _ in 0..200 {
        let mut stream = TcpStream::connect(&address).await.expect("connects");
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
            .await
            .expect("half a head sent");
        held.push(stream);
    }
    let health = app.get("/health").await;
    assert_eq!(health.status, 200, "the server answers while they are held");
    for mut stream in held {
        let mut buf = [0u8; 64];
        let closed = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("the server drops the connection");
        assert!(
            matches!(closed, Ok(0) | Err(_)),
            "closed without an answer: {closed:?}"
        );
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed >= head_timeout,
        "not dropped before the timeout: {elapsed:?}"
    );
    assert_eq!(app.get("/health").await.status, 200);
}

#[tokio::test]
async fn a_slow_but_complete_head_and_keep_alive_requests_are_served() {
    let app = spawn_app_with(Limits {
        connections: ConnectionLimits {
            head_timeout: Duration::from_secs(2),
            ..ConnectionLimits::default()
        },
        ..Limits::default()
    })
    .await;
    let mut stream = TcpStream::connect(host_port(&app.address))
        .await
        .expect("connects");
    for part in ["GET /health HTTP/1.1\r\n", "Host: x\r\n", "\r\n"] {
        stream.write_all(part.as_bytes()).await.expect("sent");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let mut answer = vec![0u8; 4096];
    let n = stream.read(&mut answer).await.expect("answer");
    assert!(
        answer[..n].starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&answer[..n])
    );
    // The same connection, idle longer than the head timeout between requests, then another.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("sent");
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer))
        .await
        .expect("in time")
        .expect("read");
    assert!(
        n == 0 || answer[..n].starts_with(b"HTTP/1.1 200"),
        "served, or closed as idle: {:?}",
        String::from_utf8_lossy(&answer[..n])
    );
}

#[tokio::test]
async fn connections_beyond_the_per_client_cap_are_closed_at_once() {
    let app = spawn_app_with(Limits {
        connections: ConnectionLimits {
            max_connections_per_client: 5,
            ..ConnectionLimits::default()
        },
        ..Limits::default()
    })
    .await;
    let address = host_port(&app.address).to_owned();
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(TcpStream::connect(&address).await.expect("connects"));
    }
    let mut sixth = TcpStream::connect(&address).await.expect("connects");
    let _ = sixth
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let mut buf = [0u8; 64];
    let closed = tokio::time::timeout(Duration::from_secs(5), sixth.read(&mut buf))
        .await
        .expect("closed at once");
    assert!(matches!(closed, Ok(0) | Err(_)), "{closed:?}");
    drop(held);
    // Their slots come back once they close.
    let mut served = false;
    for _ in 0..50 {
        if app.get("/health").await.status == 200 {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(served);
}

#[tokio::test]
/// The server tells every HTTP/2 client its stream limit (SETTINGS_MAX_CONCURRENT_STREAMS) and
/// holds streams up to it; refusing streams beyond an advertised limit (REFUSED_STREAM) is the
/// HTTP/2 library's own part, which a conforming client such as this one never provokes.
async fn the_server_advertises_its_http2_stream_limit_and_holds_streams_up_to_it() {
    let w = World::new().await;
    let app = &w.app;
    let stream = TcpStream::connect(host_port(&app.address))
        .await
        .expect("connects");
    let (client, mut connection) = h2::client::handshake(stream).await.expect("h2 handshake");
    // Creates whose bodies never come: the server waits for each (until the request timeout).
    let post = || {
        http::Request::post(format!("{}/api/invoices", app.address))
            .header("Authorization", format!("Bearer {}", w.pm))
            .header("Wethod-Company", ACME)
            .header("Wethod-Version", VERSION)
            .header("Content-Type", "application/json")
            .body(())
            .expect("request")
    };
    // The server's SETTINGS arrive with the first frames the connection reads.
    let mut client = client.ready().await.expect("ready");
    let mut open = vec![client.send_request(post(), false).expect("first stream")];
    let _ = tokio::time::timeout(Duration::from_millis(500), &mut connection).await;
    let allowed = connection.max_concurrent_send_streams();
    assert_eq!(allowed, Limits::default().http2_max_streams as usize);
    tokio::spawn(async move {
        let _ = connection.await;
    });
    // Every stream up to the limit opens, and the server holds them all.
    for _ in 1..allowed {
        client = client.ready().await.expect("ready");
        open.push(client.send_request(post(), false).expect("stream"));
    }
    for (response, _) in open.iter_mut().take(3) {
        let pending = tokio::time::timeout(Duration::from_millis(100), response).await;
        assert!(pending.is_err(), "the server waits for the body");
    }
    assert_eq!(app.get("/health").await.status, 200);
}

#[tokio::test]
async fn refusals_below_the_router_are_json_with_a_request_id() {
    let w = World::new().await;
    let app = &w.app;
    // A header block over the limit, but within what the HTTP layer reads: 431.
    let big = "x".repeat(20 * 1024);
    let reply = Reply::from(
        app.client
            .get(app.url("/health"))
            .header("X-Big", big)
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_json_error_with_request_id(&reply, 431, "headers_too_large");
    // Too many headers: 431.
    let mut request = app.client.get(app.url("/health"));
    for i in 0..70 {
        request = request.header(format!("x-h{i}"), "1");
    }
    let reply = Reply::from(request.send().await.expect("sent")).await;
    assert_json_error_with_request_id(&reply, 431, "headers_too_large");
    // A URI over the limit (not a repeated parameter): 414.
    let long = format!("/api/invoices?project_id={}", "1".repeat(10 * 1024));
    let reply = w.call(Method::GET, &long, &w.pm, None).await;
    assert_json_error_with_request_id(&reply, 414, "uri_too_long");
    // An unknown route with a long path: 414 too.
    let reply = app.get(&format!("/{}", "a".repeat(9 * 1024))).await;
    assert_json_error_with_request_id(&reply, 414, "uri_too_long");
}

/// Heads far past the limits, up to and beyond what the HTTP layer could buffer, in one header
/// or in many: each is refused as it arrives with the same JSON answer, carrying the client's
/// request id, and the server goes on serving. (That the server holds only a bounded part of
/// such a head is `connections`' unit tests.)
#[tokio::test]
async fn heads_of_any_size_get_the_json_431_with_the_request_id() {
    let w = World::new().await;
    for size in [17 * 1024, 100 * 1024, 1024 * 1024, 10 * 1024 * 1024] {
        let one = format!("Wethod-Company: {}\r\n", "a".repeat(size));
        let many: String = (0..size / 100)
            .map(|i| format!("x-h{i:07}: {}\r\n", "b".repeat(86)))
            .collect();
        for (shape, headers) in [("one header", one), ("many headers", many)] {
            let id = format!("probe-{size}-{}", shape.replace(' ', "-"));
            let head = format!(
                "GET /api/invoices HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
                 x-request-id: {id}\r\n{headers}\r\n"
            );
            let reply = raw_reply(&w.app.address, head.into_bytes()).await;
            assert_json_error_with_request_id(&reply, 431, "headers_too_large");
            assert_eq!(
                reply.header("x-request-id"),
                Some(id.as_str()),
                "{size}, {shape}"
            );
        }
    }
    let uri = format!("/api/invoices?q={}", "u".repeat(1024 * 1024));
    let reply = raw_reply(
        &w.app.address,
        format!("GET {uri} HTTP/1.1\r\n\r\n").into_bytes(),
    )
    .await;
    assert_json_error_with_request_id(&reply, 414, "uri_too_long");
    assert_eq!(w.app.get("/health").await.status, 200);
}

#[tokio::test]
async fn headers_that_mean_one_thing_sent_twice_are_a_400_naming_them() {
    let w = World::new().await;
    let id = w.invoice(json!({})).await;
    let path = format!("/api/invoices/{id}");
    let cases: [(&str, &str, &str); 3] = [
        ("Authorization", "Bearer wi_other", "Authorization"),
        ("Wethod-Company", "globex", "Wethod-Company"),
        ("Wethod-Version", VERSION, "Wethod-Version"),
    ];
    for (name, second, field) in cases {
        let reply = w
            .app
            .call_with_headers(ACME, Method::DELETE, &path, &w.pm, None, &[(name, second)])
            .await;
        let body = assert_json_error_with_request_id(&reply, 400, "invalid_data");
        assert_eq!(body["failures"][0]["field"], field, "{body}");
    }
    assert_eq!(w.app.invoice_count().await, 1, "nothing was deleted");
}

#[tokio::test]
async fn a_body_with_thousands_of_unknown_fields_gets_a_short_answer() {
    let w = World::new().await;
    let mut body = w.minimal_body();
    for i in 0..5_000 {
        body[format!("f{i}")] = json!(1);
    }
    let sent = body.to_string().len();
    let reply = w.create_as(&w.pm, &body).await;
    let error = assert_json_error_with_request_id(&reply, 400, "invalid_data");
    assert_eq!(error["failures"].as_array().map(Vec::len), Some(20));
    assert_eq!(error["omitted_failures"], 5_000 - 20);
    assert!(
        reply.text.len() < 4 * 1024,
        "{} bytes answered to {sent} sent",
        reply.text.len()
    );
    assert_eq!(w.app.invoice_count().await, 0);
}

#[tokio::test]
async fn every_answer_says_nosniff_and_authenticated_ones_are_not_stored() {
    let w = World::new().await;
    let health = w.app.get("/health").await;
    assert_eq!(health.header("x-content-type-options"), Some("nosniff"));
    let id = w.invoice(json!({})).await;
    for reply in [
        w.call(Method::GET, &format!("/api/invoices/{id}"), &w.pm, None)
            .await,
        w.call(Method::GET, "/api/invoices", &w.pm, None).await,
        w.call(Method::GET, "/api/invoices/999999", &w.pm, None)
            .await,
        w.create_as(&w.pm, &w.minimal_body()).await,
    ] {
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(
            reply.header("cache-control"),
            Some("no-store"),
            "{}",
            reply.status
        );
    }
}

async fn preflight(app: &crate::helpers::TestApp, origin: &str) -> Reply {
    let response = app
        .client
        .request(Method::OPTIONS, app.url("/api/invoices"))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization,content-type,wethod-company,wethod-version",
        )
        .send()
        .await
        .expect("sent");
    Reply::from(response).await
}

#[tokio::test]
async fn cors_is_off_by_default_so_a_preflight_is_a_405() {
    let app = spawn_app_with(Limits::default()).await;
    let reply = preflight(&app, "https://app.example.com").await;
    assert_json_error_with_request_id(&reply, 405, "method_not_allowed");
    assert_eq!(reply.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn an_allowed_origin_gets_its_preflight_and_others_are_refused() {
    let app = crate::helpers::spawn_app_with_cors(&["https://app.example.com"]).await;
    let ok = preflight(&app, "https://app.example.com").await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(
        ok.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    let methods = ok
        .header("access-control-allow-methods")
        .unwrap_or_default();
    assert!(methods.contains("POST"), "{methods}");
    let health = Reply::from(
        app.client
            .get(app.url("/health"))
            .header("Origin", "https://app.example.com")
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(
        health.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    let exposed = health
        .header("access-control-expose-headers")
        .unwrap_or_default();
    assert!(exposed.to_lowercase().contains("etag"), "{exposed}");
    let other = preflight(&app, "https://evil.example").await;
    assert_json_error_with_request_id(&other, 403, "forbidden");
}
