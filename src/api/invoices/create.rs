//! `POST /api/invoices`: creating an invoice, with `Idempotency-Key` retries.

use super::model::Tagged;
use crate::api::AppState;
use crate::api::body::JsonBody;
use crate::api::caller::Identity;
use crate::api::conditional::EntityTag;
use crate::api::error::ApiError;
use crate::api::params::HeaderParam;
use crate::api::response_headers::{Location, Replayed};
use crate::api::validation::Validation;
use crate::domain::idempotency::IdempotencyKey;
use crate::domain::invoice::NewInvoice;
use crate::operations::invoices::{self as operations, Created, Keyed};
use crate::store::invoice_checks::TokenInCompany;
use crate::store::invoices::FIRST_VERSION;
use crate::wire::invoice::Invoice;
use chrono::{SubsecRound, Utc};
use poem_openapi::ApiResponse;
use poem_openapi::payload::Json;
use poem_openapi::types::ParseFromJSON;

pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";

#[derive(ApiResponse)]
pub enum CreateInvoiceResponse {
    /// Returns the invoice created.
    #[oai(status = 201, content_type = "application/json")]
    Created(
        Json<Invoice>,
        /// The path of the new invoice: `/api/invoices/{id}`
        #[oai(header = "Location")]
        Location,
        /// `true` when this is the replay of an earlier response to the same
        /// `Idempotency-Key`; absent otherwise
        #[oai(header = "Idempotent-Replayed")]
        Option<Replayed>,
        /// The version of the invoice returned: send it in `If-Match` to change only that
        /// version, or in `If-None-Match` to read only a newer one
        #[oai(header = "ETag")]
        EntityTag,
    ),
}

impl CreateInvoiceResponse {
    fn created(tagged: Tagged, replayed: bool) -> Self {
        let location = format!("/api/invoices/{}", tagged.invoice.id);
        CreateInvoiceResponse::Created(
            Json(tagged.invoice),
            Location(location),
            replayed.then_some(Replayed),
            tagged.etag,
        )
    }
}

/// The answer to a request whose key was already used: the first response when the body is
/// the same, a 400 on the header when it is not.
fn replay(
    stored: entity::idempotency_key::Model,
    body_digest: &str,
) -> Result<CreateInvoiceResponse, ApiError> {
    if stored.request_hash != body_digest {
        return Err(ApiError::invalid(
            IDEMPOTENCY_KEY_HEADER,
            "was already used with a different body; use a new key for a new request",
        ));
    }
    let value: serde_json::Value =
        serde_json::from_str(&stored.response_body).map_err(|e| ApiError::Internal(e.into()))?;
    let invoice = Invoice::parse_from_json(Some(value)).map_err(|e| {
        ApiError::Internal(anyhow::anyhow!("stored response: {}", e.into_message()))
    })?;
    // The replayed body is the invoice as created: its first version.
    let etag = EntityTag::of(invoice.id, FIRST_VERSION);
    Ok(CreateInvoiceResponse::created(
        Tagged { invoice, etag },
        true,
    ))
}

/// Creates an invoice (`operations::invoices::create`), checking in the contract's order.
///
/// A well-formed request without an idempotency key first tries the one statement that checks
/// everything itself: for a valid request that is the whole work. When it inserts nothing, and
/// for every other request, the request is admitted (401, 429, 415, 400, 403 on the company)
/// and the operation answers precisely.
pub async fn create(
    state: &AppState,
    identity: Identity,
    idempotency_key: HeaderParam<Option<IdempotencyKey>>,
    body: JsonBody<NewInvoice>,
) -> Result<CreateInvoiceResponse, ApiError> {
    let budget = identity.take_budget(state).await;
    // Timestamps are kept to the millisecond, so what is stored is what is returned.
    let now = Utc::now().trunc_subsecs(3);
    let body_digest = body.digest().to_owned();
    let mut checked = Validation::default();
    let idempotency_key = checked.take(idempotency_key.into_result());
    let new = checked.take_body(body);
    let company_slug = identity
        .well_formed_company()
        .map(|c| c.as_str().to_owned())
        .unwrap_or_default();
    let token_hash = identity.token_hash().to_owned();
    let token = TokenInCompany {
        token_hash: &token_hash,
        company_slug: &company_slug,
        now,
    };

    if budget.is_ok()
        && checked.is_clean()
        && identity.well_formed_company().is_some()
        && let (Some(None), Some(new)) = (&idempotency_key, &new)
    {
        match operations::create_if_allowed(state.storage(), token, new).await? {
            Some(row) => {
                return Ok(CreateInvoiceResponse::created(
                    Tagged::try_from(row)?,
                    false,
                ));
            }
            None => tracing::debug!("the one-statement create inserted nothing; checking"),
        }
    }

    let (caller, (idempotency_key, new)) = identity
        .admit_within(state, budget, checked, idempotency_key.zip(new))
        .await?;
    let keyed = idempotency_key.as_ref().map(|key| Keyed {
        key,
        request_hash: &body_digest,
    });
    match operations::create(state.storage(), &caller, token, keyed, new).await? {
        Created::New(row) => Ok(CreateInvoiceResponse::created(
            Tagged::try_from(row)?,
            false,
        )),
        Created::Earlier(stored) => replay(stored, &body_digest),
    }
}
