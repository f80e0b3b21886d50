//! Who is calling: bearer tokens.
//!
//! Two extractors read the same `BearerAuth` scheme. [`TokenAuth`] looks the token up before
//! the operation runs. [`TokenCredentials`] only reads it, for an operation that looks it up
//! itself: creating an invoice checks the token inside its insert, so the happy path is one
//! statement (`api::invoices::create`), and calls [`authenticate`] only when that insert was
//! refused.

use super::AppState;
use super::error::ApiError;
use crate::domain::company::CompanySlug;
use crate::domain::token;
use crate::store::access;
use chrono::{DateTime, Utc};
use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

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
#[oai(rename = "BearerAuth", ty = "bearer", checker = "authenticate_now")]
pub struct TokenAuth(pub AuthenticatedUser);

/// A personal access token, sent as `Authorization: Bearer wi_…`.
// The same scheme as `TokenAuth` (same name and text, so the spec lists it once), but the
// token is only read here; the operation looks it up.
#[derive(SecurityScheme)]
#[oai(rename = "BearerAuth", ty = "bearer", checker = "read_credentials")]
pub struct TokenCredentials(pub Credentials);

/// A token as presented, not yet looked up.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// SHA-256 of the token: tokens are stored and found by their hash only.
    pub token_hash: String,
    /// The `Wethod-Company` header, when it is a well-formed slug.
    pub company_slug: Option<String>,
}

impl Credentials {
    fn read(req: &Request, bearer: &Bearer) -> Self {
        let company_slug = req
            .headers()
            .get("Wethod-Company")
            .and_then(|v| v.to_str().ok())
            .filter(|s| CompanySlug::parse(s).is_ok())
            .map(str::to_owned);
        Credentials {
            token_hash: token::hash(&bearer.token),
            company_slug,
        }
    }

    /// Takes one request from the token's rate-limit budget (always granted when no limit is
    /// configured); when it is spent, how long until the next request is allowed. Taken once
    /// per request, and answered only once the token is known to be valid (see
    /// [`authenticate`]), so an unknown token gets its 401 and never a 429.
    pub fn take_budget(&self, state: &AppState) -> Result<(), Duration> {
        match &state.rate_limiter {
            Some(limiter) => limiter.check(&self.token_hash),
            None => Ok(()),
        }
    }
}

fn app_state(req: &Request) -> Result<&AppState, ApiError> {
    req.data::<AppState>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("AppState is not attached to the route")))
}

async fn read_credentials(req: &Request, bearer: Bearer) -> poem::Result<Credentials> {
    Ok(Credentials::read(req, &bearer))
}

async fn authenticate_now(req: &Request, bearer: Bearer) -> poem::Result<AuthenticatedUser> {
    let state = app_state(req)?;
    let credentials = Credentials::read(req, &bearer);
    let budget = credentials.take_budget(state);
    Ok(authenticate(state, &credentials, budget).await?)
}

/// Finds the live token (anything else is a 401), then answers the request's rate-limit
/// `budget` (429 when spent). A database failure is not an auth failure: it keeps its own
/// status.
pub async fn authenticate(
    state: &AppState,
    credentials: &Credentials,
    budget: Result<(), Duration>,
) -> Result<AuthenticatedUser, ApiError> {
    let slug = credentials.company_slug.as_deref();
    let found = access::access(&state.db, &credentials.token_hash, slug, Utc::now())
        .await?
        .ok_or(ApiError::Unauthorized)?;
    budget.map_err(|wait| ApiError::TooManyRequests {
        retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
    })?;
    Ok(AuthenticatedUser {
        user_id: found.owner.user_id,
        prefetched: slug.map(|s| (s.to_owned(), found.membership)),
    })
}

/// When this node last refreshed each token's `last_used_at` on a path that doesn't read the
/// token row (the one-statement create), so that path writes it at most once a minute per
/// token, as the lookup in `store::access` does. Holds only tokens that were valid.
#[derive(Default)]
pub struct LastUsedMemo {
    refreshed: Mutex<HashMap<String, DateTime<Utc>>>,
}

impl LastUsedMemo {
    /// Whether `last_used_at` is due for a refresh at `now`; when it is, records it as done.
    pub fn take_due(&self, token_hash: &str, now: DateTime<Utc>) -> bool {
        let Ok(mut refreshed) = self.refreshed.lock() else {
            return true;
        };
        match refreshed.get_mut(token_hash) {
            Some(at) if now - *at < access::LAST_USED_GRANULARITY => false,
            Some(at) => {
                *at = now;
                true
            }
            None => {
                refreshed.insert(token_hash.to_owned(), now);
                true
            }
        }
    }

    /// Forgets tokens not refreshed lately, so memory follows the active tokens.
    pub fn forget_idle(&self, now: DateTime<Utc>) {
        if let Ok(mut refreshed) = self.refreshed.lock() {
            refreshed.retain(|_, at| now - *at < access::LAST_USED_GRANULARITY);
        }
    }
}
