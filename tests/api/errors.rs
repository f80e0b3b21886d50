//! Every response is JSON in the contract's shape and carries a request id.

use crate::helpers::{World, spawn_app};

#[tokio::test]
async fn an_unknown_route_is_a_json_404() {
    let app = spawn_app().await;
    for path in ["/nope", "/api/invoices/1/x", "/api"] {
        app.get(path).await.assert_error(404, "not_found");
    }
}

#[tokio::test]
async fn a_wrong_method_on_a_known_route_is_a_json_405() {
    let app = spawn_app().await;
    let cases = [
        (reqwest::Method::PUT, "/api/invoices", "GET, POST"),
        (reqwest::Method::DELETE, "/api/invoices", "GET, POST"),
        (reqwest::Method::POST, "/health", "GET"),
        (
            reqwest::Method::PUT,
            "/api/invoices/1",
            "DELETE, GET, PATCH",
        ),
        (reqwest::Method::GET, "/api/invoices/1:send", "POST"),
    ];
    for (method, path, allow) in cases {
        let response = app
            .client
            .request(method, app.url(path))
            .send()
            .await
            .expect("sent");
        let reply = crate::helpers::Reply::from(response).await;
        reply.assert_error(405, "method_not_allowed");
        assert_eq!(reply.header("allow"), Some(allow), "{path}");
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_keeps_the_clients() {
    let w = World::new().await;
    let ok = w.create_as(&w.pm, &w.minimal_body()).await;
    let error = w.app.get("/nope").await;
    for reply in [&ok, &error] {
        let id = reply.header("x-request-id").expect("x-request-id");
        assert!(id.len() >= 16, "{id}");
    }
    assert_ne!(ok.header("x-request-id"), error.header("x-request-id"));

    let response = w
        .app
        .client
        .get(w.app.url("/health"))
        .header("x-request-id", "client-id-42")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("client-id-42")
    );
}

#[tokio::test]
async fn an_unacceptable_client_request_id_is_replaced() {
    let app = spawn_app().await;
    let long = "x".repeat(500);
    let response = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", long.as_str())
        .send()
        .await
        .expect("sent");
    let id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("x-request-id");
    assert_ne!(id, long);
}

#[tokio::test]
async fn health_answers_ok_when_the_database_answers() {
    let app = spawn_app().await;
    let reply = app.get("/health").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["status"], "ok");
}

#[tokio::test]
async fn a_closed_database_is_a_503_not_a_500_nor_a_leak() {
    let w = World::new().await;
    w.app.db.clone().close().await.expect("pool closes");
    let reply = w.create_as(&w.pm, &w.minimal_body()).await;
    let body = reply.assert_error(503, "unavailable");
    let message = body["message"].as_str().expect("message").to_lowercase();
    assert!(
        !message.contains("sqlite") && !message.contains("pool"),
        "{message}"
    );
    w.app.get("/health").await.assert_error(503, "unavailable");
}
