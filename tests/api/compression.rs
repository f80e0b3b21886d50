//! Compressed answers: lists, the docs page and the spec in `br` or `gzip` when asked, equal to
//! the uncompressed answer once decoded; answers with an `ETag` and errors never compressed.

use crate::helpers::{ACME, VERSION, World};
use reqwest::Method;
use serde_json::json;
use std::io::Read;

/// The status, `Content-Encoding`, `Vary` and raw body of a GET sent with this
/// `Accept-Encoding` (none when `None`).
async fn fetch(
    w: &World,
    path: &str,
    accept: Option<&str>,
) -> (u16, Option<String>, String, Vec<u8>) {
    let mut request = w
        .app
        .client
        .get(w.app.url(path))
        .bearer_auth(&w.pm)
        .header("Wethod-Company", ACME)
        .header("Wethod-Version", VERSION);
    if let Some(accept) = accept {
        request = request.header("Accept-Encoding", accept);
    }
    let response = request.send().await.expect("request sent");
    let header = |name: &str| {
        response
            .headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let encoding = Some(header("content-encoding")).filter(|e| !e.is_empty());
    let vary = header("vary");
    let status = response.status().as_u16();
    let body = response.bytes().await.expect("body").to_vec();
    (status, encoding, vary, body)
}

fn decoded(encoding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        "gzip" => flate2::read::GzDecoder::new(body).read_to_end(&mut out),
        "br" => brotli::Decompressor::new(body, 4096).read_to_end(&mut out),
        other => panic!("unexpected encoding {other}"),
    }
    .expect("a valid compressed body");
    out
}

#[tokio::test]
async fn lists_the_docs_and_the_spec_are_compressed_on_request_and_decode_to_the_same_bytes() {
    let w = World::new().await;
    for n in 0..30 {
        w.invoice(json!({ "notes": format!("invoice {n} of a page worth compressing") }))
            .await;
    }
    for path in [
        "/api/invoices?limit=100",
        "/docs",
        "/openapi.json",
        "/openapi.yaml",
    ] {
        let (status, encoding, vary, plain) = fetch(&w, path, None).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(encoding, None, "{path}: compressed without being asked");
        assert_eq!(vary, "accept-encoding", "{path}: Vary is {vary:?}");
        // Lists are compressed as they go, gzip first on a tie; the documents once, br first.
        let tie = if path.starts_with("/api/") {
            "gzip"
        } else {
            "br"
        };
        for (accept, expected) in [
            ("gzip", "gzip"),
            ("br", "br"),
            ("gzip, deflate, br", tie),
            ("br;q=0.5, gzip", "gzip"),
            ("br, gzip;q=0.5", "br"),
        ] {
            let (status, encoding, vary, body) = fetch(&w, path, Some(accept)).await;
            assert_eq!(status, 200, "{path} {accept}");
            assert_eq!(encoding.as_deref(), Some(expected), "{path} {accept}");
            assert_eq!(vary, "accept-encoding", "{path}: Vary is {vary:?}");
            assert!(body.len() < plain.len(), "{path} {accept}: not smaller");
            assert_eq!(decoded(expected, &body), plain, "{path} {accept}");
        }
    }
}

#[tokio::test]
async fn answers_with_an_etag_errors_and_refused_codings_stay_uncompressed() {
    let w = World::new().await;
    let id = w.invoice(json!({})).await;
    for (path, accept, status) in [
        // One invoice carries a strong ETag: kept identity-encoded.
        (format!("/api/invoices/{id}"), "gzip, br", 200),
        ("/api/invoices/999999".to_owned(), "gzip, br", 404),
        ("/api/invoices?limit=0".to_owned(), "gzip, br", 400),
        // Under a kilobyte: not worth it.
        ("/api/projects".to_owned(), "gzip, br", 200),
        ("/api/invoices".to_owned(), "gzip;q=0, br;q=0", 200),
        ("/api/invoices".to_owned(), "*;q=0", 200),
        ("/api/invoices".to_owned(), "zstd, deflate, identity", 200),
    ] {
        let (got, encoding, _, body) = fetch(&w, &path, Some(accept)).await;
        assert_eq!(got, status, "{path} {accept}");
        assert_eq!(encoding, None, "{path} {accept}");
        serde_json::from_slice::<serde_json::Value>(&body).expect("plain JSON");
    }
    // Writes answer as before, whatever the client accepts.
    let reply = w
        .app
        .call_with_headers(
            ACME,
            Method::PATCH,
            &format!("/api/invoices/{id}"),
            &w.pm,
            Some(&json!({ "notes": "x" })),
            &[("Accept-Encoding", "gzip, br")],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header("content-encoding"), None);
}

/// A request body is never decoded: a compressed one is a 415, and nothing is written.
#[tokio::test]
async fn a_compressed_request_body_is_refused_with_415() {
    use std::io::Write;
    let w = World::new().await;
    let plain = w.minimal_body().to_string();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(plain.as_bytes()).expect("compressed");
    let gzipped = encoder.finish().expect("compressed");
    let token = format!("Bearer {}", w.pm);
    let headers = |encoding: &'static str| {
        [
            ("Authorization", token.as_str()),
            ("Wethod-Company", ACME),
            ("Wethod-Version", VERSION),
            ("Content-Type", "application/json"),
            ("Content-Encoding", encoding),
        ]
    };
    for encoding in ["gzip", "br", "deflate"] {
        w.app
            .post_invoice_raw(&headers(encoding), gzipped.clone())
            .await
            .assert_error(415, "unsupported_media_type");
    }
    assert_eq!(w.app.invoice_count().await, 0);
    // `identity` is no coding at all.
    let reply = w.app.post_invoice_raw(&headers("identity"), plain).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
}
