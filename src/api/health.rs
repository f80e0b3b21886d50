//! Liveness of the service and its database.

use super::error::{ApiError, ErrorBody};
use super::{ApiTags, AppState};
use crate::store::refusal::StorageRefusal;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};

pub struct HealthApi;

/// How the service is: `ok`, or `degraded` while the storage refuses writes (reads still
/// work).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum HealthStatus {
    /// Everything works.
    Ok,
    /// Reads work, but the storage refused writes lately (see `reason`).
    Degraded,
}

/// Why the service is degraded (absent when it is `ok`): the storage refused a write in the
/// last minute, and none went through since.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum DegradedReason {
    /// The storage is full.
    StorageFull,
    /// The storage is read-only.
    StorageReadOnly,
    /// The storage is out of memory.
    StorageOutOfMemory,
    /// The storage takes no more connections.
    StorageNoConnections,
}

impl From<StorageRefusal> for DegradedReason {
    fn from(refusal: StorageRefusal) -> Self {
        match refusal {
            StorageRefusal::Full => DegradedReason::StorageFull,
            StorageRefusal::ReadOnly => DegradedReason::StorageReadOnly,
            StorageRefusal::OutOfMemory => DegradedReason::StorageOutOfMemory,
            StorageRefusal::NoConnection => DegradedReason::StorageNoConnections,
        }
    }
}

/// The service is up and its database answers.
#[derive(Object)]
pub struct Health {
    // `ok`; or `degraded` while the storage refuses writes (reads still work). Described by its
    // type (see `reason`).
    pub status: HealthStatus,
    // Why the service is degraded; absent when it is `ok`. Described by its type: a field's own
    // description makes poem-openapi wrap the `$ref` in an `allOf`, which openapi-python-client
    // can't read.
    #[oai(skip_serializing_if_is_none)]
    pub reason: Option<DegradedReason>,
    /// The release this node runs (as `invoices-api --version` prints it)
    pub release: String,
    /// The database's schema: the newest migration applied to it, which may be newer than
    /// this node's release knows (a newer release's expand step, during a rolling upgrade)
    pub schema: String,
}

#[derive(ApiResponse)]
pub enum HealthResponse {
    /// The service is up and its database answers (for reads at least: see `status`).
    #[oai(status = 200, content_type = "application/json")]
    Ok(Json<Health>),
    /// The database can't be reached.
    #[oai(status = 503, content_type = "application/json")]
    Unavailable(Json<ErrorBody>),
}

#[OpenApi(tag = "ApiTags::Service")]
impl HealthApi {
    /// Check health
    ///
    /// Answers 200 when the service and its database answer: `status` is `ok`, or `degraded`
    /// with a `reason` when the storage refused a write in the last minute and none went
    /// through since (writes then get 503 with `Retry-After`; reads still work). Answers 503
    /// `unavailable` when the database can't be reached. Needs no token. `release` and
    /// `schema` say which release this node runs on which schema (see README, "Upgrading").
    #[oai(path = "/health", method = "get", operation_id = "get_health")]
    async fn health(&self, state: Data<&AppState>) -> HealthResponse {
        match crate::store::schema::version(&state.db).await {
            Ok(schema) => {
                let reason = state.storage.degraded().map(DegradedReason::from);
                let status = match reason {
                    Some(_) => HealthStatus::Degraded,
                    None => HealthStatus::Ok,
                };
                HealthResponse::Ok(Json(Health {
                    status,
                    reason,
                    release: crate::store::schema::RELEASE.to_owned(),
                    schema: schema.unwrap_or_default(),
                }))
            }
            Err(err) => {
                let error = ApiError::Unavailable(err);
                error.log();
                HealthResponse::Unavailable(Json(error.error_body()))
            }
        }
    }
}
