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

/// Finds the live token; anything else is a 401. A database failure is not an auth failure,
/// so it keeps its own status.
async fn authenticate(req: &Request, bearer: Bearer) -> poem::Result<AuthenticatedUser> {
    let state = req.data::<AppState>().ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("AppState is not attached to the route"))
    })?;
    match access::user_for_token(&state.db, &token::hash(&bearer.token), chrono::Utc::now()).await {
        Ok(Some(user_id)) => Ok(AuthenticatedUser { user_id }),
        Ok(None) => Err(ApiError::Unauthorized.into()),
        Err(err) => Err(ApiError::from(err).into()),
    }
}
