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
use crate::domain::permission::Action;
use crate::operations::Refusal;
use crate::operations::invoices::checks::{self, References};
use crate::store::guarded_insert::{self, TokenInCompany};
use crate::store::invoices::FIRST_VERSION;
use crate::store::{access, idempotency, invoices as store};
use crate::wire::invoice::Invoice;
use chrono::{DateTime, SubsecRound, Utc};
use poem_openapi::ApiResponse;
use poem_openapi::payload::Json;
use poem_openapi::types::{ParseFromJSON, ToJSON};

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

/// Creates an invoice, checking in the contract's order.
///
/// A well-formed request without an idempotency key first tries the one-statement insert that
/// checks everything itself (`store::guarded_insert`): for a valid request that is the whole
/// work. When it inserts nothing, the checks run one by one, in order, to give the precise
/// answer; so does every request that is refused before it (401, 415, 400, 429).
pub async fn create(
    state: &AppState,
    identity: Identity,
    idempotency_key: HeaderParam<Option<IdempotencyKey>>,
    body: JsonBody<NewInvoice>,
) -> Result<CreateInvoiceResponse, ApiError> {
    let db = &state.db;
    let budget = identity.take_budget(state).await;
    // Timestamps are kept to the millisecond, so what is stored is what is returned.
    let now = Utc::now().trunc_subsecs(3);
    let body_digest = body.digest().to_owned();
    let mut checked = Validation::default();
    let idempotency_key = checked.take(idempotency_key.into_result());
    let new = checked.take_body(body);

    if budget.is_ok()
        && checked.is_clean()
        && let (Some(None), Some(new), Some(company)) =
            (&idempotency_key, &new, identity.well_formed_company())
    {
        let token = TokenInCompany {
            token_hash: identity.token_hash(),
            company_slug: company.as_str(),
            now,
        };
        let turn = state.write_turns.take().await;
        let inserted = guarded_insert::insert_draft_if_allowed(db, token, new).await;
        if let Ok(Some(_)) = &inserted {
            // A write too: in the same turn.
            note_token_use(state, identity.token_hash(), now).await;
        }
        drop(turn);
        match inserted {
            Ok(Some(row)) => {
                return Ok(CreateInvoiceResponse::created(
                    Tagged::try_from(row)?,
                    false,
                ));
            }
            Ok(None) => {
                tracing::debug!("the one-statement create inserted nothing; checking one by one")
            }
            // Every check held, so the taken invoice number is the answer.
            Err(err) => return Err(insert_failure(err)),
        }
    }

    let (caller, (idempotency_key, new)) = identity
        .admit_within(state, budget, checked, idempotency_key.zip(new))
        .await?;
    if let Some(key) = &idempotency_key
        && let Some(stored) =
            idempotency::find_live(db, caller.company_id, caller.user_id, key, now).await?
    {
        return replay(stored, &body_digest);
    }
    let reach = caller.reach(Action::Create)?;
    let draft = store::draft(caller.company_id, caller.user_id, new, now);
    let refs = References {
        budget_area_uid: draft.budget_area_uid.as_deref(),
        vat_rate_id: draft.vat_rate_id,
        payment_term_id: draft.payment_term_id,
    };
    let (project, usable) = checks::load(db, &caller, draft.project_id, refs).await?;
    caller.require_on(reach, Action::Create, &project)?;
    checks::project_is_open(&project)?;
    checks::references_are_usable(usable)?;

    let remember = idempotency_key
        .as_ref()
        .map(|key| store::ResponseToRemember {
            key,
            request_hash: &body_digest,
            render: |row: &entity::invoice::Model| -> anyhow::Result<String> {
                Ok(Invoice::try_from(row.clone())?.to_json_string())
            },
        });
    let row = match store::insert_draft(db, draft, remember).await {
        Ok(row) => row,
        Err(
            conflict @ (store::InvoiceWriteError::DuplicateNumber
            | store::InvoiceWriteError::KeyTaken),
        ) => {
            // A concurrent request with the same key may have just committed (its invoice
            // number or its key then collides with ours): answer as a retry of it.
            if let Some(key) = &idempotency_key
                && let Some(stored) =
                    idempotency::find_live(db, caller.company_id, caller.user_id, key, now).await?
            {
                return replay(stored, &body_digest);
            }
            return Err(insert_failure(conflict));
        }
        Err(err) => return Err(insert_failure(err)),
    };
    Ok(CreateInvoiceResponse::created(
        Tagged::try_from(row)?,
        false,
    ))
}

/// Refreshes the token's `last_used_at` after a create that didn't read the token, at most once
/// a minute per token on this node. The invoice is committed by then: a failure here is logged,
/// not answered.
async fn note_token_use(state: &AppState, token_hash: &str, now: DateTime<Utc>) {
    if state.last_used.take_due(token_hash, now)
        && let Err(err) = access::touch(&state.db, token_hash, now).await
    {
        tracing::warn!(error = %err, "could not record the token's last use");
    }
}

/// The answer to an insert that failed for a reason other than a replayable conflict.
fn insert_failure(err: store::InvoiceWriteError) -> ApiError {
    Refusal::from(err).into()
}
