//! Changing an invoice's fields (`PATCH /api/invoices/{id}`).

use super::checks;
use super::write_gate::lock_for_change;
use crate::domain::invoice::References;
use crate::domain::invoice::{InvoicePatch, paid_after_issue};
use crate::domain::permission::Action;
use crate::operations::{Caller, Refusal, Storage, Target};
use crate::wire::event::previous_values;
use chrono::{SubsecRound, Utc};
use entity::invoice;

/// Applies a patch with the rules and preconditions of creation, on the invoice as it is when
/// the change commits (see `store::locked_invoice`).
pub async fn update(
    storage: Storage<'_>,
    caller: &Caller,
    target: Target<'_>,
    patch: InvoicePatch,
) -> Result<invoice::Model, Refusal> {
    let (locked, project, reach) = lock_for_change(storage, caller, target, Action::Edit).await?;
    let invoice = locked.row();
    caller.require_edit_sent(invoice.status)?;

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
    let target = checks::project_checks(
        locked.connection(),
        caller,
        moving.unwrap_or(project.id),
        refs,
    )
    .await?;
    // Moving the invoice to another project needs the right on that project too.
    if moving.is_some() {
        caller.require_on_project_led(reach, Action::Edit, target.caller_leads())?;
    }
    target.usable(Action::Edit)?;
    if let Some(paid_on) = invoice.payment_date {
        let issue_date = patch.issue_date.unwrap_or(invoice.issue_date);
        paid_after_issue(issue_date, paid_on).map_err(checks::precondition)?;
    }

    let now = Utc::now().trunc_subsecs(3);
    Ok(locked.update(patch, now, &previous_values).await?)
}
