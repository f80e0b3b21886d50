//! What every request must respect before any route sees it, and what every answer carries:
//! bounds on the URI and the headers, headers that must come once, and the security headers.
//!
//! A head larger than any within these bounds is refused as it arrives, before the HTTP layer
//! holds it, with the answer [`head_refusal_answer`] writes (`crate::connections`). What is
//! left to the HTTP layer, which answers with an empty body, is what it can't parse: a
//! malformed request line or header, or two `Content-Length` headers.

use super::error::{ApiError, Failure};
use super::middleware::REQUEST_ID_HEADER;
use crate::connections::HeadRefusal;
use poem::Request;
use poem::http::{HeaderValue, header};
use std::collections::HashMap;

pub use crate::connections::{MAX_HEADER_BYTES, MAX_HEADERS, MAX_URI_BYTES};
/// The most times one query parameter may be sent (`?issue_date=gte:…&issue_date=lt:…`; 400
/// above): every value of a filter becomes a condition of a query, so the work a request asks
/// for stays small.
pub const MAX_REPEATS: usize = 10;
/// The headers that mean one thing and so may be sent only once (400 otherwise).
pub const SINGLE_HEADERS: [&str; 3] = ["Authorization", "Wethod-Company", "Wethod-Version"];

/// The refusal a request earns before routing, if any: a header sent twice that may come once,
/// or a query parameter sent more than [`MAX_REPEATS`] times (400, naming each); a URI over
/// [`MAX_URI_BYTES`] (414); too many headers or bytes of them (431).
pub fn refusal(request: &Request) -> Option<ApiError> {
    let headers = request.headers();
    let mut failures: Vec<Failure> = SINGLE_HEADERS
        .iter()
        .filter(|name| headers.get_all(**name).iter().nth(1).is_some())
        .map(|name| Failure::new(*name, "must be sent once"))
        .collect();
    failures.extend(over_repeated(request));
    if !failures.is_empty() {
        return Some(ApiError::InvalidData(failures));
    }
    let uri_bytes = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if uri_bytes > MAX_URI_BYTES {
        return Some(ApiError::UriTooLong(MAX_URI_BYTES));
    }
    let header_bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    (headers.len() > MAX_HEADERS || header_bytes > MAX_HEADER_BYTES).then_some(
        ApiError::HeadersTooLarge {
            max_headers: MAX_HEADERS,
            max_bytes: MAX_HEADER_BYTES,
        },
    )
}

/// A failure for each query parameter sent more than [`MAX_REPEATS`] times, in order of
/// first appearance.
fn over_repeated(request: &Request) -> Vec<Failure> {
    let mut order: Vec<String> = Vec::new();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for (name, _) in query_pairs(request) {
        let count = counts.entry(name.clone()).or_insert(0);
        *count += 1;
        if *count == MAX_REPEATS + 1 {
            order.push(name);
        }
    }
    order
        .into_iter()
        .map(|name| {
            let count = counts.get(&name).copied().unwrap_or_default();
            let message =
                format!("may be sent at most {MAX_REPEATS} times (it was sent {count} times)");
            Failure::new(name, message)
        })
        .collect()
}

/// Adds the headers every answer carries: `X-Content-Type-Options: nosniff` (a browser must
/// not guess another type than the one declared), and `Cache-Control: no-store` on answers to
/// requests that carried credentials (company data must not sit in shared or browser caches),
/// unless the answer set its own.
pub fn add_security_headers(response: &mut poem::Response, authenticated: bool) {
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if authenticated && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// The whole HTTP/1.1 answer to a head refused as it arrived: the same error as a head within
/// the HTTP layer's buffer gets from [`refusal`], with the request id and the security headers
/// (`no-store` always: whether the head carried credentials is not known); the connection
/// closes after it.
pub fn head_refusal_answer(why: HeadRefusal, request_id: &str) -> Vec<u8> {
    let error = match why {
        HeadRefusal::UriTooLong => ApiError::UriTooLong(MAX_URI_BYTES),
        HeadRefusal::HeadersTooLarge => ApiError::HeadersTooLarge {
            max_headers: MAX_HEADERS,
            max_bytes: MAX_HEADER_BYTES,
        },
    };
    let status = error.status();
    let body = error.body().to_string();
    let mut answer = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json; charset=utf-8\r\n\
         content-length: {}\r\n{REQUEST_ID_HEADER}: {request_id}\r\n\
         {}: nosniff\r\ncache-control: no-store\r\nconnection: close\r\n\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or_default(),
        body.len(),
        header::X_CONTENT_TYPE_OPTIONS,
    );
    answer.push_str(&body);
    answer.into_bytes()
}

/// The decoded `name=value` pairs of the query string, in order.
pub fn query_pairs(request: &Request) -> Vec<(String, String)> {
    request
        .uri()
        .query()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .unwrap_or_default()
}
