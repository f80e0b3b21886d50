//! What wraps every request: its id and log span, JSON errors, and panics.

use super::AppState;
use super::custom_methods::{self, Routed};
use super::error::{ApiError, RefusedByStorage, from_poem_error};
use crate::config::Limits;
use crate::store::refusal::StorageWatch;
use poem::http::HeaderValue;
use poem::{Endpoint, IntoResponse, Request, Response};
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

fn acceptable_request_id(value: &HeaderValue) -> Option<String> {
    crate::telemetry::acceptable_request_id(value.as_bytes())
}

/// Gives every request an id (the client's, if acceptable), a log span carrying it, the edge's
/// bounds (`edge::refusal`), a deadline (503 when it passes: a slow client or a stuck database
/// can't hold a worker forever), and a log line when it ends; sends the id back in
/// `x-request-id`, with the security headers.
pub async fn request_id<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(acceptable_request_id)
        .unwrap_or_else(crate::telemetry::new_request_id);
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %req.uri().path()
    );
    let started = Instant::now();
    // Only what is needed after the request is gone: not the whole state.
    let state = req.data::<AppState>();
    let timeout = state
        .map(|state| state.limits.request_timeout)
        .unwrap_or_else(|| Limits::default().request_timeout);
    let spec = state.map(|state| Arc::clone(&state.spec));
    let metrics = state.and_then(|state| state.metrics.clone());
    let storage = state.map(|state| Arc::clone(&state.storage));
    let _in_flight = metrics.as_ref().map(|m| m.in_flight());
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let authenticated = req
        .headers()
        .contains_key(poem::http::header::AUTHORIZATION);
    let refused = super::edge::refusal(&req);
    let mut response = async move {
        if let Some(refusal) = refused {
            return poem::error::ResponseError::as_response(&refusal);
        }
        match tokio::time::timeout(timeout, next.call(req)).await {
            Ok(Ok(response)) => response.into_response(),
            Ok(Err(err)) => json_error(err),
            Err(_elapsed) => poem::error::ResponseError::as_response(&ApiError::TimedOut(timeout)),
        }
    }
    .instrument(span.clone())
    .await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    super::edge::add_security_headers(&mut response, authenticated);
    if response.status() == poem::http::StatusCode::METHOD_NOT_ALLOWED
        && let Some(allow) = spec.as_ref().and_then(|s| s.routes.allow(&path))
        && let Ok(value) = HeaderValue::from_str(allow)
    {
        response
            .headers_mut()
            .insert(poem::http::header::ALLOW, value);
    }
    if let Some(storage) = &storage {
        note_storage(storage, metrics.as_deref(), &response, &method, &span);
    }
    if let Some(metrics) = &metrics {
        let operation = operation_label(spec.as_deref(), &method, &path);
        metrics.answered(operation, response.status().as_u16(), started.elapsed());
    }
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request finished"
        )
    });
    Ok(response)
}

/// Notes what the answer says of the storage: a refusal (counted, logged in the request's
/// span at most once in a flood), or a write that went through (the storage takes writes).
fn note_storage(
    storage: &StorageWatch,
    metrics: Option<&crate::metrics::Metrics>,
    response: &Response,
    method: &str,
    span: &tracing::Span,
) {
    if let Some(refused) = response.extensions().get::<RefusedByStorage>() {
        span.in_scope(|| storage.refused(refused.refusal, &refused.cause));
        if let Some(metrics) = metrics {
            metrics.storage_refused(refused.refusal);
        }
    } else if response.status().is_success() && !matches!(method, "GET" | "HEAD" | "OPTIONS") {
        storage.wrote();
    }
}

/// The `operation` label of a request in the metrics: its operation in the spec; else the
/// documents served beside the API (`docs`, `openapi`); else `unmatched`, so a client can't
/// make up labels.
fn operation_label<'a>(spec: Option<&'a super::spec::Spec>, method: &str, path: &str) -> &'a str {
    if let Some(operation) = spec.and_then(|spec| spec.routes.operation(method, path)) {
        return operation;
    }
    match path {
        "/docs" => "docs",
        "/openapi.json" | "/openapi.yaml" => "openapi",
        _ => "unmatched",
    }
}

/// On a read-only node (`serve --read-only`), refuses every request that may write (any
/// method but GET, HEAD and OPTIONS) before it reaches an operation: 503 with `Retry-After`.
pub async fn read_only<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let read_only = req
        .data::<super::AppState>()
        .is_some_and(|state| state.read_only);
    let reads = matches!(
        *req.method(),
        poem::http::Method::GET | poem::http::Method::HEAD | poem::http::Method::OPTIONS
    );
    if read_only && !reads {
        return Err(ApiError::ReadOnly.into());
    }
    next.call(req).await.map(IntoResponse::into_response)
}

/// Routes custom methods (`…/12:send`) to their internal paths before the router sees them.
pub async fn custom_methods<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    match custom_methods::route(req.uri().path()) {
        Routed::AsIs => {}
        Routed::Hidden => return Err(ApiError::NotFound("No such route.".into()).into()),
        Routed::Rewritten(path) => {
            let path_and_query = match req.uri().query() {
                Some(query) => format!("{path}?{query}"),
                None => path,
            };
            let mut parts = req.uri().clone().into_parts();
            parts.path_and_query = Some(
                path_and_query
                    .parse()
                    .map_err(|_| ApiError::NotFound("No such route.".into()))?,
            );
            let uri = poem::http::Uri::from_parts(parts)
                .map_err(|_| ApiError::NotFound("No such route.".into()))?;
            *req.uri_mut() = uri;
        }
    }
    next.call(req).await.map(IntoResponse::into_response)
}

/// Any error that reached the top, in the contract's JSON shape.
pub fn json_error(err: poem::Error) -> Response {
    poem::error::ResponseError::as_response(&from_poem_error(err))
}

/// A panic becomes a logged 500 `internal_error`, never a dropped connection.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    poem::error::ResponseError::as_response(&ApiError::Internal(anyhow::anyhow!("panic: {what}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_json_500_that_leaks_nothing() {
        let response = panic_response(Box::new("secret detail"));
        assert_eq!(
            response.status(),
            poem::http::StatusCode::INTERNAL_SERVER_ERROR
        );
        let body = body_text(response);
        assert!(body.contains("\"key\":\"internal_error\""), "{body}");
        assert!(!body.contains("secret detail"), "{body}");
    }

    fn body_text(response: Response) -> String {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        runtime
            .block_on(response.into_body().into_string())
            .expect("body")
    }

    #[test]
    fn client_request_ids_are_kept_only_when_printable_and_short() {
        let ok = HeaderValue::from_static("abc-123");
        assert_eq!(acceptable_request_id(&ok).as_deref(), Some("abc-123"));
        let spaced = HeaderValue::from_static("a b");
        assert_eq!(acceptable_request_id(&spaced), None);
        let long = HeaderValue::from_str(&"x".repeat(129)).expect("header");
        assert_eq!(acceptable_request_id(&long), None);
    }
}
