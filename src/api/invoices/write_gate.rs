//! The gate every change of an existing invoice passes (PATCH, DELETE, the transitions): the
//! caller's permission, the invoice in the company, locked, the permission on its project,
//! and the version `If-Match` names, in that order.

use super::model::Tagged;
use super::read::{not_found, project_of};
use crate::api::AppState;
use crate::api::caller::Caller;
use crate::api::conditional::{self, IfMatch};
use crate::api::error::ApiError;
use crate::domain::permission::{Action, Reach};
use crate::store::locked_invoice::{self, LockedInvoice};
use entity::project;

/// The invoice with this id in the caller's company, locked for a change, and its project:
/// 404 when there is none (also when it was deleted while this request waited for the lock).
async fn locked_invoice_and_project<'s>(
    state: &'s AppState,
    caller: &Caller,
    id: i64,
) -> Result<(LockedInvoice<'s>, project::Model), ApiError> {
    let locked = locked_invoice::lock(
        &state.db,
        &state.write_turns,
        caller.company_id,
        id,
        caller.user_id,
    )
    .await?
    .ok_or_else(|| not_found(id))?;
    let project = project_of(locked.connection(), caller, locked.row()).await?;
    Ok((locked, project))
}

/// The invoice to change, locked, once the caller may `action` it, checked in order: the
/// permission at all (403), the invoice in the company (404), the permission on its project
/// (403), the version named in `If-Match` (412). With the project and the caller's reach.
pub async fn lock_for_change<'s>(
    state: &'s AppState,
    caller: &Caller,
    id: i64,
    if_match: Option<&IfMatch>,
    action: Action,
) -> Result<(LockedInvoice<'s>, project::Model, Reach), ApiError> {
    let reach = caller.reach(action)?;
    let (locked, project) = locked_invoice_and_project(state, caller, id).await?;
    caller.require_on(reach, action, &project)?;
    conditional::require_match(if_match, &Tagged::etag_of(locked.row()))?;
    Ok((locked, project, reach))
}
