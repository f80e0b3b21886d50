//! The contract's error model: one JSON shape for every error, built in one place.

use crate::store::refusal::StorageRefusal;
use poem::http::{StatusCode, header};
use poem::{IntoResponse, Response};
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaResponses, Registry};
use poem_openapi::{ApiResponse, Enum, Object, types::ToJSON};

/// Seconds to wait after a 429.
pub const RETRY_AFTER_HEADER: &str = "x-ratelimit-retry-after";

/// Seconds a client is asked to wait (`Retry-After`) when the storage cannot take writes.
pub const STORAGE_RETRY_AFTER_SECS: u64 = 10;

/// Carried by the response to a request the storage refused, for the middleware to note it
/// (`/health`, the metrics, one log line in a flood).
#[derive(Clone, Debug)]
pub struct RefusedByStorage {
    pub refusal: StorageRefusal,
    pub cause: String,
}

/// The `message` of every 400.
pub const INVALID_DATA_MESSAGE: &str = "You provided invalid data. Check 'failures' for details.";

/// One reason a request was refused.
#[derive(Object, Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Name of the field causing the error
    pub field: String,
    /// Human-readable description of the error
    pub message: String,
}

impl Failure {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Failure {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Error unique key: one per kind of failure, each always with the same status.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum ErrorKey {
    /// 400
    InvalidData,
    /// 401
    Unauthorized,
    /// 403
    Forbidden,
    /// 404
    NotFound,
    /// 405
    MethodNotAllowed,
    /// 412
    PreconditionFailure,
    /// 413
    PayloadTooLarge,
    /// 414
    UriTooLong,
    /// 415
    UnsupportedMediaType,
    /// 429
    TooManyRequests,
    /// 431
    HeadersTooLarge,
    /// 500
    InternalError,
    /// 503
    Unavailable,
}

/// An error. Every error of the API has this shape; `failures` comes with `invalid_data`
/// (400) only, and lists every problem of the request, each naming its field or header.
// One schema for every status, so that client generators that allow a single error type per
// operation (progenitor) can digest the spec; the `key` tells the kinds apart.
#[derive(Object, Clone, Debug)]
#[oai(rename = "Error", skip_serializing_if_is_none)]
pub struct ErrorBody {
    // No doc comment: poem-openapi would wrap the `$ref` in an `allOf` to carry it, which some
    // client generators can't digest; `ErrorKey` documents itself.
    pub key: ErrorKey,
    /// Human-readable message describing the error
    pub message: String,
    /// List of validation errors (with `invalid_data` only): the first 20 of the request
    pub failures: Option<Vec<Failure>>,
    /// How many more validation errors the request had than `failures` lists (present only
    /// when some were left out)
    pub omitted_failures: Option<u64>,
}

/// The most entries of `failures` in one answer: a request can't make its answer much larger
/// than itself.
pub const MAX_FAILURES: usize = 20;

/// Documents the error responses of every operation. Never built: the responses themselves are
/// made by [`ApiError`], whose spec entry this is.
#[derive(ApiResponse)]
#[allow(dead_code)]
enum ErrorResponses {
    /// Validation failed
    #[oai(status = 400, content_type = "application/json")]
    InvalidData(Json<ErrorBody>),
    /// Unauthorized
    #[oai(status = 401, content_type = "application/json")]
    Unauthorized(
        Json<ErrorBody>,
        /// Always `Bearer`
        #[oai(header = "WWW-Authenticate")]
        super::response_headers::BearerChallenge,
    ),
    /// Forbidden
    #[oai(status = 403, content_type = "application/json")]
    Forbidden(Json<ErrorBody>),
    /// Not found
    #[oai(status = 404, content_type = "application/json")]
    NotFound(Json<ErrorBody>),
    /// Precondition failed
    #[oai(status = 412, content_type = "application/json")]
    PreconditionFailed(Json<ErrorBody>),
    /// Payload too large
    #[oai(status = 413, content_type = "application/json")]
    PayloadTooLarge(Json<ErrorBody>),
    /// Unsupported media type
    #[oai(status = 415, content_type = "application/json")]
    UnsupportedMediaType(Json<ErrorBody>),
    /// Too many requests
    #[oai(status = 429, content_type = "application/json")]
    TooManyRequests(
        Json<ErrorBody>,
        /// Seconds to wait before the next request
        #[oai(header = "x-ratelimit-retry-after")]
        super::response_headers::RetryAfterSeconds,
    ),
    /// Internal server error
    #[oai(status = 500, content_type = "application/json")]
    Internal(Json<ErrorBody>),
    /// Service unavailable
    #[oai(status = 503, content_type = "application/json")]
    Unavailable(
        Json<ErrorBody>,
        /// Seconds to wait before retrying: sent when the storage cannot take writes now (it
        /// is full or read-only, or takes no more connections), and on every write while the
        /// service is read-only (`serve --read-only`, during a move to another database)
        #[oai(header = "Retry-After")]
        Option<super::response_headers::RetryAfterSeconds>,
    ),
}

impl ApiResponse for ApiError {
    fn meta() -> MetaResponses {
        ErrorResponses::meta()
    }

    fn register(registry: &mut Registry) {
        ErrorResponses::register(registry);
    }
}

/// The example the spec shows for an error status: what the server really sends for a typical
/// case of it.
pub fn example_for(status: u16) -> Option<serde_json::Value> {
    let error = match status {
        400 => ApiError::InvalidData(vec![Failure::new(
            "value",
            "must have at most 2 decimal places",
        )]),
        401 => ApiError::Unauthorized,
        403 => ApiError::Forbidden("Missing permission: invoices.create_other.".into()),
        404 => ApiError::NotFound("No invoice 42 in this company.".into()),
        412 => ApiError::PreconditionFailed("The project is archived.".into()),
        413 => ApiError::PayloadTooLarge(Some(65536)),
        415 => ApiError::UnsupportedMediaType,
        429 => ApiError::TooManyRequests {
            retry_after_secs: 12,
        },
        500 => ApiError::Internal(anyhow::anyhow!("example")),
        503 => ApiError::Unavailable(sea_orm::DbErr::Custom("example".into())),
        _ => return None,
    };
    Some(error.body())
}

/// What a write answers on a read-only node.
pub const READ_ONLY_MESSAGE: &str = "The service is read-only for now (maintenance): reads are \
served, writes are refused. Retry later.";

/// The `Retry-After` of a write refused by a read-only node: a cut-over (a copy of the data to
/// another database) takes minutes.
const READ_ONLY_RETRY_AFTER_SECS: u64 = 60;

/// Every way a request can fail, each variant mapping to one status and key of the contract.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 `invalid_data`.
    #[error("invalid data")]
    InvalidData(Vec<Failure>),
    /// 401 `unauthorized`.
    #[error("unauthorized")]
    Unauthorized,
    /// 403 `forbidden`, with the reason shown to the client.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 412 `precondition_failure`, naming the precondition.
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    /// 404 `not_found`.
    #[error("not found: {0}")]
    NotFound(String),
    /// 405, for a known route called with a method it doesn't have.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 413 `payload_too_large`.
    #[error("payload too large")]
    PayloadTooLarge(Option<usize>),
    /// 415 `unsupported_media_type`.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// 414 `uri_too_long`: path and query over this many bytes.
    #[error("URI too long")]
    UriTooLong(usize),
    /// 431 `headers_too_large`: more headers, or more bytes of them, than allowed.
    #[error("request headers too large")]
    HeadersTooLarge {
        max_headers: usize,
        max_bytes: usize,
    },
    /// 429 `too_many_requests`: the token's budget is spent; retry after this many seconds.
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// 503 `unavailable`: the database can't be reached. The cause is logged, never shown.
    #[error("database unavailable")]
    Unavailable(#[source] sea_orm::DbErr),
    /// 503 `unavailable` with `Retry-After`: the storage can't take writes now. The cause is
    /// logged (by the middleware, at most once in a flood), never shown.
    #[error("the storage refused: {0:?}")]
    StorageRefused(StorageRefusal, #[source] sea_orm::DbErr),
    /// 503 `unavailable` with `Retry-After`: this node serves reads only (`serve --read-only`).
    #[error("read-only")]
    ReadOnly,
    /// 503 `unavailable`: the request did not finish in time.
    #[error("request timed out")]
    TimedOut(std::time::Duration),
    /// 500 `internal_error`. The cause is logged, never shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::InvalidData(vec![Failure::new(field, message)])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidData(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::UriTooLong(_) => StatusCode::URI_TOO_LONG,
            ApiError::HeadersTooLarge { .. } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_)
            | ApiError::StorageRefused(..)
            | ApiError::ReadOnly
            | ApiError::TimedOut(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The client-facing `key` and `message`.
    pub fn key_and_message(&self) -> (ErrorKey, String) {
        match self {
            ApiError::InvalidData(_) => (ErrorKey::InvalidData, INVALID_DATA_MESSAGE.into()),
            ApiError::Unauthorized => (
                ErrorKey::Unauthorized,
                "A valid bearer token is required: send 'Authorization: Bearer <token>'.".into(),
            ),
            ApiError::Forbidden(m) => (ErrorKey::Forbidden, m.clone()),
            ApiError::PreconditionFailed(m) => (ErrorKey::PreconditionFailure, m.clone()),
            ApiError::NotFound(m) => (ErrorKey::NotFound, m.clone()),
            ApiError::MethodNotAllowed => (
                ErrorKey::MethodNotAllowed,
                "This route does not support this method.".into(),
            ),
            ApiError::PayloadTooLarge(limit) => (
                ErrorKey::PayloadTooLarge,
                match limit {
                    Some(limit) => format!("The request body is larger than {limit} bytes."),
                    None => "The request body is too large.".into(),
                },
            ),
            ApiError::UnsupportedMediaType => (
                ErrorKey::UnsupportedMediaType,
                "Send the body as uncompressed JSON with 'Content-Type: application/json'.".into(),
            ),
            ApiError::UriTooLong(max) => (
                ErrorKey::UriTooLong,
                format!("The URI (path and query string) is longer than {max} bytes."),
            ),
            ApiError::HeadersTooLarge {
                max_headers,
                max_bytes,
            } => (
                ErrorKey::HeadersTooLarge,
                format!(
                    "The request has more than {max_headers} headers or more than {max_bytes} \
                     bytes of them."
                ),
            ),
            ApiError::TooManyRequests { retry_after_secs } => (
                ErrorKey::TooManyRequests,
                format!("Too many requests for this token. Retry in {retry_after_secs} s."),
            ),
            ApiError::Unavailable(_) => (
                ErrorKey::Unavailable,
                "The service is temporarily unavailable. Retry later.".into(),
            ),
            ApiError::StorageRefused(refusal, _) => {
                (ErrorKey::Unavailable, refusal.message().into())
            }
            ApiError::ReadOnly => (ErrorKey::Unavailable, READ_ONLY_MESSAGE.into()),
            ApiError::TimedOut(limit) => (
                ErrorKey::Unavailable,
                format!(
                    "The request did not complete within {} s. Retry later.",
                    limit.as_secs()
                ),
            ),
            ApiError::Internal(_) => (
                ErrorKey::InternalError,
                "Internal server error. The x-request-id header identifies it in the log.".into(),
            ),
        }
    }

    /// Logs what the client must not see. Called once, where the response is made.
    pub fn log(&self) {
        match self {
            ApiError::Internal(cause) => {
                tracing::error!(error = %format!("{cause:#}"), "internal error")
            }
            ApiError::Unavailable(cause) => tracing::error!(error = %cause, "database unavailable"),
            _ => {}
        }
    }

    /// The body as JSON, in the shape of the spec's `Error` schema.
    pub fn body(&self) -> serde_json::Value {
        self.error_body().to_json().unwrap_or_default()
    }

    /// The body as the spec's `Error` object.
    pub fn error_body(&self) -> ErrorBody {
        let (key, message) = self.key_and_message();
        let (failures, omitted_failures) = match self {
            ApiError::InvalidData(failures) => {
                let omitted = failures.len().saturating_sub(MAX_FAILURES);
                (
                    Some(failures.iter().take(MAX_FAILURES).cloned().collect()),
                    (omitted > 0).then_some(omitted as u64),
                )
            }
            _ => (None, None),
        };
        ErrorBody {
            key,
            message,
            failures,
            omitted_failures,
        }
    }
}

/// Each refusal of an operation as the contract answers it.
impl From<crate::operations::Refusal> for ApiError {
    fn from(refusal: crate::operations::Refusal) -> Self {
        use crate::operations::Refusal;
        match refusal {
            Refusal::Unauthenticated => ApiError::Unauthorized,
            Refusal::Forbidden(message) => ApiError::Forbidden(message),
            Refusal::NotFound(message) => ApiError::NotFound(message),
            Refusal::Precondition(message) => ApiError::PreconditionFailed(message),
            Refusal::ChangedSinceRead => {
                ApiError::PreconditionFailed(super::conditional::CHANGED_SINCE_READ.to_owned())
            }
            Refusal::Invalid { field, message } => ApiError::invalid(field, message),
            Refusal::Db(err) => err.into(),
            Refusal::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

impl From<crate::wire::Corrupt> for ApiError {
    fn from(err: crate::wire::Corrupt) -> Self {
        ApiError::Internal(err.into())
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        if let Some(refusal) = StorageRefusal::of(&err) {
            ApiError::StorageRefused(refusal, err)
        } else if crate::store::is_unavailable(&err) {
            ApiError::Unavailable(err)
        } else {
            ApiError::Internal(err.into())
        }
    }
}

impl poem::error::ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        ApiError::status(self)
    }

    fn as_response(&self) -> Response {
        self.log();
        let mut response = poem::web::Json(self.body())
            .with_status(self.status())
            .into_response();
        match self {
            ApiError::Unauthorized => {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer"),
                );
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                response.headers_mut().insert(
                    RETRY_AFTER_HEADER,
                    header::HeaderValue::from(*retry_after_secs),
                );
            }
            ApiError::ReadOnly => {
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    header::HeaderValue::from(READ_ONLY_RETRY_AFTER_SECS),
                );
            }
            ApiError::StorageRefused(refusal, cause) => {
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    header::HeaderValue::from(STORAGE_RETRY_AFTER_SECS),
                );
                response.extensions_mut().insert(RefusedByStorage {
                    refusal: *refusal,
                    cause: cause.to_string(),
                });
            }
            _ => {}
        }
        response
    }
}

/// Turns any error of poem or poem-openapi into the contract's shape. Errors raised by our own
/// code are `ApiError`s already; the rest are classified by their type or status.
pub fn from_poem_error(err: poem::Error) -> ApiError {
    use poem_openapi::error::{
        AuthorizationError, ContentTypeError, ParseParamError, ParsePathError,
        ParseRequestPayloadError,
    };
    if err.is::<ApiError>() {
        return match err.downcast::<ApiError>() {
            Ok(api) => api,
            Err(other) => ApiError::Internal(anyhow::anyhow!("{other}")),
        };
    }
    if err.is::<AuthorizationError>() {
        return ApiError::Unauthorized;
    }
    if err.is::<ContentTypeError>() {
        return ApiError::UnsupportedMediaType;
    }
    if let Some(e) = err.downcast_ref::<ParseParamError>() {
        return ApiError::invalid(e.name, e.reason.clone());
    }
    if let Some(e) = err.downcast_ref::<ParsePathError>() {
        return ApiError::invalid(e.name, e.reason.clone());
    }
    if let Some(e) = err.downcast_ref::<ParseRequestPayloadError>() {
        return ApiError::invalid("body", e.reason.clone());
    }
    match err.status() {
        StatusCode::NOT_FOUND => ApiError::NotFound("No such route.".into()),
        // CORS: an origin, method or header the operator did not allow.
        StatusCode::FORBIDDEN => {
            ApiError::Forbidden(format!("Cross-origin request refused: {err}."))
        }
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(None),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
        StatusCode::BAD_REQUEST => ApiError::invalid("request", err.to_string()),
        _ => ApiError::Internal(anyhow::anyhow!("{err}")),
    }
}
