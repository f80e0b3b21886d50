//! `PATCH /api/invoices/{id}`.

use super::checks::{self, References};
use super::model::Invoice;
use super::read::invoice_and_project;
use crate::api::access::Caller;
use crate::api::error::ApiError;
use crate::domain::invoice::{InvoicePatch, InvoiceStatus};
use crate::domain::permission::Action;
use crate::store::invoices as store;
use chrono::{SubsecRound, Utc};
use sea_orm::DatabaseConnection;

/// Applies a patch with the rules and preconditions of creation.
pub async fn update(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    patch: InvoicePatch,
) -> Result<Invoice, ApiError> {
    let reach = caller.reach(Action::Edit)?;
    let (invoice, project) = invoice_and_project(db, caller, id).await?;
    caller.require_on(reach, Action::Edit, &project)?;
    let status = InvoiceStatus::parse(&invoice.status)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("invoice {id}: bad stored status")))?;
    caller.require_edit_sent(status)?;

    // A budget area belongs to one project: check the one sent, or the kept one on a move.
    let moving = patch.project_id.filter(|p| *p != project.id);
    let budget_area_uid = match &patch.budget_area_uid {
        Some(sent) => sent.as_deref(),
        None if moving.is_some() => invoice.budget_area_uid.as_deref(),
        None => None,
    };
    let refs = References {
        budget_area_uid,
        vat_rate_id: patch.vat_rate_id.flatten(),
        payment_term_id: patch.payment_term_id.flatten(),
    };
    let (target, usable) = checks::load(db, caller, moving.unwrap_or(project.id), refs).await?;
    // Moving the invoice to another project needs the right on that project too.
    if moving.is_some() {
        caller.require_on(reach, Action::Edit, &target)?;
    }
    checks::project_is_open(&target)?;
    checks::references_are_usable(usable)?;

    let now = Utc::now().trunc_subsecs(3);
    match store::update(db, invoice, patch, now).await {
        Ok(row) => Invoice::try_from(row),
        Err(store::InsertInvoiceError::DuplicateNumber) => Err(checks::duplicate_number()),
        Err(store::InsertInvoiceError::Db(err)) => Err(err.into()),
        Err(other) => Err(ApiError::Internal(other.into())),
    }
}
