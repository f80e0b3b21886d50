//! Who is calling: bearer tokens.

use super::AppState;
use super::error::ApiError;
use crate::domain::token;
use crate::store::access;
use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;

/// The user a valid token belongs to.
#[derive(Clone, Copy, Debug)]
pub struct AuthenticatedUser {
    pub user_id: i64,
}

/// A personal access token, sent as `Authorization: Bearer wi_…`.
#[derive(SecurityScheme)]
#[oai(rename = "BearerAuth", ty = "bearer", checker = "authenticate")]
pub struct TokenAuth(pub AuthenticatedUser);

/// Finds the live token (anything else is a 401) and takes one request from its rate-limit
/// budget (429 when spent). A database failure is not an auth failure: it keeps its own status.
async fn authenticate(req: &Request, bearer: Bearer) -> poem::Result<AuthenticatedUser> {
    let state = req.data::<AppState>().ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("AppState is not attached to the route"))
    })?;
    let owner = access::token_owner(&state.db, &token::hash(&bearer.token), chrono::Utc::now())
        .await
        .map_err(ApiError::from)?
        .ok_or(ApiError::Unauthorized)?;
    if let Some(limiter) = &state.rate_limiter {
        limiter
            .check(owner.token_id)
            .map_err(|wait| ApiError::TooManyRequests {
                retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            })?;
    }
    Ok(AuthenticatedUser {
        user_id: owner.user_id,
    })
}
