//! Liveness of the service and its database.

use super::error::{ApiError, ErrorBody};
use super::{ApiTags, AppState};
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use sea_orm::ConnectionTrait;

pub struct HealthApi;

/// The service is up and its database answers.
#[derive(Object)]
pub struct Health {
    /// Always `ok`
    pub status: String,
}

#[derive(ApiResponse)]
pub enum HealthResponse {
    /// The service is up and its database answers.
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
    /// Answers 200 when the service and its database work, 503 `unavailable` when the database
    /// can't be reached. Needs no token.
    #[oai(path = "/health", method = "get", operation_id = "get_health")]
    async fn health(&self, state: Data<&AppState>) -> HealthResponse {
        match state.db.execute_unprepared("SELECT 1").await {
            Ok(_) => HealthResponse::Ok(Json(Health {
                status: "ok".into(),
            })),
            Err(err) => {
                let error = ApiError::Unavailable(err);
                error.log();
                HealthResponse::Unavailable(Json(error.error_body()))
            }
        }
    }
}
