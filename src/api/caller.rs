//! Who is calling, and what they may do: the one extractor for identity.
//!
//! Every operation but the health check takes an [`Identity`]: the bearer token
//! (`Authorization: Bearer wi_…`, the spec's `BearerAuth` scheme), the company it acts in
//! (`Wethod-Company`) and the API version (`Wethod-Version`). The finished spec documents the
//! two headers on every operation that uses the scheme (`api::spec`). Extracting it only reads
//! the request. [`Identity::admit`] then checks in the contract's order: the token (401), the
//! rate limit (429), the whole request's shape (415, 413, then one 400 for every header,
//! parameter and body failure), the membership (403). Its result, a [`Caller`], exists only
//! when all of that held, so holding one is the check.

use super::AppState;
use super::error::{ApiError, Failure};
use super::params::{ApiVersion, InHeader, read};
use super::validation::Validation;
use crate::domain::company::CompanySlug;
use crate::domain::permission::Permissions;
use crate::domain::token;
use crate::operations::Refusal;
pub use crate::operations::caller::Caller;
use crate::store::access;
use chrono::Utc;
use poem::{Request, RequestBody};
use poem_openapi::auth::{Bearer, BearerAuthorization};
use poem_openapi::registry::{MetaSecurityScheme, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};
use std::time::Duration;

/// The name of the security scheme in the spec.
pub const SCHEME: &str = "BearerAuth";
/// The header naming the company a request acts in.
pub const COMPANY_HEADER: &str = "Wethod-Company";
/// The header naming the API version a client speaks.
pub const VERSION_HEADER: &str = "Wethod-Version";

/// A request's identity as sent, not yet checked.
pub struct Identity {
    /// SHA-256 of the token: tokens are stored and found by their hash only.
    token_hash: String,
    company: Result<CompanySlug, Failure>,
    version: Result<ApiVersion, Failure>,
}

impl<'a> ApiExtractor<'a> for Identity {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        registry.create_security_scheme(
            SCHEME,
            MetaSecurityScheme {
                ty: "http",
                description: Some("A personal access token, sent as `Authorization: Bearer wi_…`."),
                name: None,
                key_in: None,
                scheme: Some("bearer"),
                bearer_format: None,
                flows: None,
                openid_connect_url: None,
            },
        );
    }

    fn security_schemes() -> Vec<&'static str> {
        vec![SCHEME]
    }

    async fn from_request(
        request: &'a Request,
        _body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        // No usable `Authorization` header is a 401 at once.
        let bearer = Bearer::from_request(request)?;
        Ok(Identity {
            token_hash: token::hash(&bearer.token),
            company: read::<CompanySlug, InHeader>(request, COMPANY_HEADER),
            version: read::<ApiVersion, InHeader>(request, VERSION_HEADER),
        })
    }
}

impl Identity {
    pub fn token_hash(&self) -> &str {
        &self.token_hash
    }

    /// The company named, when its header and the version's are well formed.
    pub fn well_formed_company(&self) -> Option<&CompanySlug> {
        self.version.as_ref().ok()?;
        self.company.as_ref().ok()
    }

    /// Takes one request from the token's rate-limit budget (always granted when no limit is
    /// configured); when it is spent, how long until the next request is allowed. Taken once
    /// per request, and answered only once the token is known to be valid, so an unknown token
    /// gets its 401 and never a 429.
    pub async fn take_budget(&self, state: &AppState) -> Result<(), Duration> {
        match &state.rate_limiter {
            Some(limiter) => limiter.check(&self.token_hash).await,
            None => Ok(()),
        }
    }

    /// The caller and the request's well-formed `parts`, checked in the contract's order (see
    /// the module's documentation). `checked` holds the failures found in the parts.
    pub async fn admit<T>(
        self,
        state: &AppState,
        checked: Validation,
        parts: Option<T>,
    ) -> Result<(Caller, T), ApiError> {
        let budget = self.take_budget(state).await;
        self.admit_within(state, budget, checked, parts).await
    }

    /// [`Identity::admit`] with the rate-limit budget already taken.
    pub async fn admit_within<T>(
        self,
        state: &AppState,
        budget: Result<(), Duration>,
        checked: Validation,
        parts: Option<T>,
    ) -> Result<(Caller, T), ApiError> {
        let slug = self.company.as_ref().ok().map(CompanySlug::as_str);
        // The token and, in the same query, its user's membership in the company named.
        let record_use = !state.read_only;
        let found = access::identify(&state.db, &self.token_hash, slug, Utc::now(), record_use)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        budget.map_err(|wait| {
            if let Some(metrics) = &state.metrics {
                metrics.rate_limited();
            }
            // Whole seconds, rounded up; at least 1: the budget's clock can pass the moment
            // it names between the check and this answer, and "retry in 0 s" invites a storm.
            let whole_seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            ApiError::TooManyRequests {
                retry_after_secs: whole_seconds.max(1),
            }
        })?;
        let mut headers = Validation::default();
        headers.take(self.company);
        headers.take(self.version);
        let parts = checked.after(headers).finish(parts)?;
        // An unknown company answers the same as a company one is not a member of, so slugs
        // can't be probed.
        let membership = found.membership.ok_or_else(Refusal::not_a_member)?;
        let caller = Caller::new(
            found.owner.user_id,
            membership.company_id,
            Permissions::from_names(&membership.permissions),
        );
        Ok((caller, parts))
    }
}
