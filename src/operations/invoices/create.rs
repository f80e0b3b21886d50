//! Creating an invoice (`POST /api/invoices`), with `Idempotency-Key` retries.
//!
//! Every check of a create is one condition of `store::invoice_checks`, asked of the database
//! in one statement that inserts only when all hold; when it inserts nothing, the same
//! conditions come back as flags and [`refusal_of`] answers the first that failed, in the
//! contract's order. A request without a key tries that statement before the caller is even
//! looked up ([`create_if_allowed`]): for a valid request it is the whole work.

use super::checks::refusal_of;
use crate::domain::idempotency::IdempotencyKey;
use crate::domain::invoice::NewInvoice;
use crate::domain::permission::Action;
use crate::operations::{Caller, Refusal, Storage};
use crate::store::invoice_checks::{self, CreateRequest, TokenInCompany};
use crate::store::invoices::{self as store, InvoiceWriteError};
use crate::store::{access, begin_write, idempotency};
use crate::wire::invoice::Invoice;
use chrono::{DateTime, Utc};
use entity::{idempotency_key, invoice};
use poem_openapi::types::ToJSON;

/// A create sent with an `Idempotency-Key`: the key, and the digest of the request's body.
pub struct Keyed<'a> {
    pub key: &'a IdempotencyKey,
    pub request_hash: &'a str,
}

/// What a create did.
pub enum Created {
    /// The invoice it inserted.
    New(invoice::Model),
    /// A request with the same key was answered before: its record, to replay.
    Earlier(idempotency_key::Model),
}

/// How often the insert is tried again when it inserted nothing but every check then held
/// (the company's data changed between the two statements).
const ATTEMPTS: usize = 3;

fn permissions_of(action: Action) -> (&'static str, &'static str) {
    (action.other().as_str(), action.own().as_str())
}

/// The create of a request not yet admitted, when every check holds: the invoice inserted, or
/// `None` when a check failed (then [`create`] answers which, once the request is admitted).
/// An invoice number already taken is the answer: every check held.
pub async fn create_if_allowed(
    storage: Storage<'_>,
    token: TokenInCompany<'_>,
    new: &NewInvoice,
) -> Result<Option<invoice::Model>, Refusal> {
    // The company and the creator are not known yet: the statement finds them.
    let draft = store::draft(0, 0, new.clone(), token.now);
    let request = CreateRequest {
        token,
        permissions: permissions_of(Action::Create),
        draft: &draft,
    };
    let turn = storage.write_turns.take().await;
    let inserted = invoice_checks::insert_draft_if_allowed(storage.db, &request).await?;
    if inserted.is_some() {
        // The token was not read, so its use is recorded here: a write too, in the same turn.
        note_token_use(storage, token.token_hash, token.now).await;
    }
    drop(turn);
    Ok(inserted)
}

/// Refreshes the token's `last_used_at` after a create that didn't read the token, at most once
/// a minute per token on this node. The invoice is committed by then: a failure here is logged,
/// not answered.
async fn note_token_use(storage: Storage<'_>, token_hash: &str, now: DateTime<Utc>) {
    if storage.last_used.take_due(token_hash, now)
        && let Err(err) = access::touch(storage.db, token_hash, now).await
    {
        tracing::warn!(error = %err, "could not record the token's last use");
    }
}

/// Creates an invoice for an admitted caller, checking in the contract's order: a replay of
/// the key's first answer; then each check of a create; then the invoice number. With a key,
/// the invoice and the answer to replay are written together or not at all.
pub async fn create(
    storage: Storage<'_>,
    caller: &Caller,
    token: TokenInCompany<'_>,
    keyed: Option<Keyed<'_>>,
    new: NewInvoice,
) -> Result<Created, Refusal> {
    let now = token.now;
    if let Some(stored) = earlier_answer(storage, caller, keyed.as_ref(), now).await? {
        return Ok(Created::Earlier(stored));
    }
    let draft = store::draft(caller.company_id, caller.user_id, new, now);
    let request = CreateRequest {
        token,
        permissions: permissions_of(Action::Create),
        draft: &draft,
    };
    for _ in 0..ATTEMPTS {
        let inserted = match &keyed {
            None => {
                let _turn = storage.write_turns.take().await;
                invoice_checks::insert_draft_if_allowed(storage.db, &request).await
            }
            Some(keyed) => insert_remembering(storage, &request, keyed).await,
        };
        match inserted {
            Ok(Some(row)) => return Ok(Created::New(row)),
            Ok(None) => {
                if let Some(failed) =
                    invoice_checks::failed_create_check(storage.db, &request).await?
                {
                    return Err(refusal_of(failed, Action::Create));
                }
            }
            Err(conflict @ (InvoiceWriteError::DuplicateNumber | InvoiceWriteError::KeyTaken)) => {
                // A concurrent request with the same key may have just committed (its invoice
                // number or its key then collides with ours): answer as a retry of it.
                return match earlier_answer(storage, caller, keyed.as_ref(), now).await? {
                    Some(stored) => Ok(Created::Earlier(stored)),
                    None => Err(conflict.into()),
                };
            }
            Err(err) => return Err(err.into()),
        }
    }
    Err(Refusal::Internal(anyhow::anyhow!(
        "the create's checks held each time its insert was refused ({ATTEMPTS} times)"
    )))
}

/// The live record of the key's first answer, when the create has a key and it was used.
async fn earlier_answer(
    storage: Storage<'_>,
    caller: &Caller,
    keyed: Option<&Keyed<'_>>,
    now: DateTime<Utc>,
) -> Result<Option<idempotency_key::Model>, sea_orm::DbErr> {
    match keyed {
        Some(keyed) => {
            let (company_id, user_id) = (caller.company_id, caller.user_id);
            idempotency::find_live(storage.db, company_id, user_id, keyed.key, now).await
        }
        None => Ok(None),
    }
}

/// The guarded insert and the answer to replay for its key, in one transaction.
async fn insert_remembering(
    storage: Storage<'_>,
    request: &CreateRequest<'_>,
    keyed: &Keyed<'_>,
) -> Result<Option<invoice::Model>, InvoiceWriteError> {
    let _turn = storage.write_turns.take().await;
    let txn = begin_write(storage.db).await?;
    let Some(row) = invoice_checks::insert_draft_if_allowed(&txn, request).await? else {
        txn.rollback().await?;
        return Ok(None);
    };
    let response_body = Invoice::try_from(row.clone())
        .map_err(|e| InvoiceWriteError::Render(e.into()))?
        .to_json_string();
    idempotency::remember(&txn, keyed.key, keyed.request_hash, &row, response_body).await?;
    txn.commit().await?;
    Ok(Some(row))
}
