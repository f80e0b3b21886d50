//! Deleting an invoice and moving it through its states: send, set paid, set unpaid. Each acts
//! on the invoice as it is when the change commits (see `store::locked_invoice`).

use super::checks::precondition;
use super::write_gate::lock_for_change;
use crate::domain::invoice::Lifecycle;
use crate::domain::invoice::paid_after_issue;
use crate::domain::permission::{Action, Permission};
use crate::operations::{Caller, Refusal, Storage, Target};
use crate::store::reference;
use crate::wire::event::previous_values;
use chrono::{NaiveDate, SubsecRound, Utc};
use entity::{invoice, invoice_contact};

/// Deletes an invoice: `invoices.delete` / `invoices.delete_other`, plus `invoices.edit_sent`
/// once it is sent or paid.
pub async fn delete(
    storage: Storage<'_>,
    caller: &Caller,
    target: Target<'_>,
) -> Result<(), Refusal> {
    let (locked, _, _) = lock_for_change(storage, caller, target, Action::Delete).await?;
    caller.require_edit_sent(locked.row().status)?;
    locked.delete(Utc::now().trunc_subsecs(3)).await?;
    Ok(())
}

/// A change of state.
#[derive(Clone, Copy, Debug)]
pub enum Transition {
    /// A draft becomes sent, to this invoice contact when one is named: the edit permissions.
    Send(Option<i64>),
    /// A draft or sent invoice becomes paid on this date: the edit permissions and
    /// `invoices.edit_sent`.
    SetPaid(NaiveDate),
    /// A paid invoice goes back to sent, without a payment date: the edit permissions and
    /// `invoices.edit_sent`.
    SetUnpaid,
}

/// Applies a transition; 412 when the invoice's state does not allow it.
pub async fn transition(
    storage: Storage<'_>,
    caller: &Caller,
    target: Target<'_>,
    transition: Transition,
) -> Result<invoice::Model, Refusal> {
    let (locked, _, _) = lock_for_change(storage, caller, target, Action::Edit).await?;
    let invoice = locked.row();
    let status = invoice.status;
    let needs_edit_sent = !matches!(transition, Transition::Send(_));
    caller.require_permission(Permission::InvoicesEditSent, needs_edit_sent)?;
    let (next, payment_date, sent_to) = match transition {
        Transition::Send(contact) => (status.send(), invoice.payment_date, contact),
        Transition::SetPaid(date) => (status.pay(), Some(date), None),
        Transition::SetUnpaid => (status.unpay(), None, None),
    };
    let next = next.map_err(precondition)?;
    if let Some(paid_on) = payment_date {
        paid_after_issue(invoice.issue_date, paid_on).map_err(precondition)?;
    }
    if let Some(contact) = sent_to {
        reference::one_in_company::<invoice_contact::Entity>(
            locked.connection(),
            caller.company_id,
            contact,
        )
        .await?
        .ok_or_else(|| precondition("The invoice contact does not exist in this company."))?;
    }
    let now = Utc::now().trunc_subsecs(3);
    Ok(locked
        .set_status(next, payment_date, sent_to, now, &previous_values)
        .await?)
}
