//! The gate every change of an existing invoice passes (PATCH, DELETE, the transitions): the
//! caller's permission, the invoice in the company, locked, the permission on its project,
//! and the version the caller names (`If-Match`), in that order.

use super::read::{not_found, project_of};
use crate::domain::permission::{Action, Reach};
use crate::operations::{Caller, Refusal, Storage, Target};
use crate::store::locked_invoice::{self, LockedInvoice};
use entity::project;

/// The invoice with this id in the caller's company, locked for a change, and its project:
/// 404 when there is none (also when it was deleted while this request waited for the lock).
async fn locked_invoice_and_project<'s>(
    storage: Storage<'s>,
    caller: &Caller,
    id: i64,
) -> Result<(LockedInvoice<'s>, project::Model), Refusal> {
    let locked = locked_invoice::lock(
        storage.db,
        storage.write_turns,
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
/// (403), the version the caller named (412). With the project and the caller's reach.
pub async fn lock_for_change<'s>(
    storage: Storage<'s>,
    caller: &Caller,
    target: Target<'_>,
    action: Action,
) -> Result<(LockedInvoice<'s>, project::Model, Reach), Refusal> {
    let reach = caller.reach(action)?;
    let (locked, project) = locked_invoice_and_project(storage, caller, target.id).await?;
    caller.require_on(reach, action, &project)?;
    let row = locked.row();
    if target
        .expected
        .is_some_and(|expected| !expected.holds(row.id, row.version))
    {
        return Err(Refusal::ChangedSinceRead);
    }
    Ok((locked, project, reach))
}
