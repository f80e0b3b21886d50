//! Who is calling: bearer tokens.

use super::AppState;
use super::error::ApiError;
use crate::domain::company::CompanySlug;
use crate::domain::token;
use crate::store::access;
use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;

/// The user a valid token belongs to and, fetched with the token, their membership in the
/// company the request names (so resolving the caller costs no second query).
#[derive(Clone, Debug)]
pub struct AuthenticatedUser {
    pub user_id: i64,
    /// The `Wethod-Company` slug as sent, and the membership there (`None`: not a member).
    pub prefetched: Option<(String, Option<access::Membership>)>,
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
    let slug = req
        .headers()
        .get("Wethod-Company")
        .and_then(|v| v.to_str().ok())
        .filter(|s| CompanySlug::parse(s).is_ok());
    let found = access::access(
        &state.db,
        &token::hash(&bearer.token),
        slug,
        chrono::Utc::now(),
    )
    .await
    .map_err(ApiError::from)?
    .ok_or(ApiError::Unauthorized)?;
    let owner = found.owner;
    if let Some(limiter) = &state.rate_limiter {
        limiter
            .check(owner.token_id)
            .map_err(|wait| ApiError::TooManyRequests {
                retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            })?;
    }
    Ok(AuthenticatedUser {
        user_id: owner.user_id,
        prefetched: slug.map(|s| (s.to_owned(), found.membership)),
    })
}
