//! Deleting an invoice and moving it through its states: send, set paid, set unpaid.

use super::model::Invoice;
use super::read::invoice_and_project;
use crate::api::access::Caller;
use crate::api::error::ApiError;
use crate::domain::invoice::InvoiceStatus;
use crate::domain::permission::{Action, Permission};
use crate::store::invoices as store;
use chrono::{NaiveDate, SubsecRound, Utc};
use entity::invoice;
use sea_orm::DatabaseConnection;

fn status_of(invoice: &invoice::Model) -> Result<InvoiceStatus, ApiError> {
    InvoiceStatus::parse(&invoice.status).ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("invoice {}: bad stored status", invoice.id))
    })
}

/// Deletes an invoice: `invoices.delete` / `invoices.delete_other`, plus `invoices.edit_sent`
/// once it is sent or paid.
pub async fn delete(db: &DatabaseConnection, caller: &Caller, id: i64) -> Result<(), ApiError> {
    let reach = caller.reach(Action::Delete)?;
    let (invoice, project) = invoice_and_project(db, caller, id).await?;
    caller.require_on(reach, Action::Delete, &project)?;
    caller.require_edit_sent(status_of(&invoice)?)?;
    store::delete(db, invoice.id).await?;
    Ok(())
}

/// A change of state.
#[derive(Clone, Copy, Debug)]
pub enum Transition {
    /// A draft becomes sent: the edit permissions.
    Send,
    /// A draft or sent invoice becomes paid on this date: the edit permissions and
    /// `invoices.edit_sent`.
    SetPaid(NaiveDate),
    /// A paid invoice goes back to sent, without a payment date: the edit permissions and
    /// `invoices.edit_sent`.
    SetUnpaid,
}

/// Applies a transition; 412 when the invoice's state does not allow it.
pub async fn transition(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    transition: Transition,
) -> Result<Invoice, ApiError> {
    let reach = caller.reach(Action::Edit)?;
    let (invoice, project) = invoice_and_project(db, caller, id).await?;
    caller.require_on(reach, Action::Edit, &project)?;
    let status = status_of(&invoice)?;
    let needs_edit_sent = !matches!(transition, Transition::Send);
    caller.require_permission(Permission::InvoicesEditSent, needs_edit_sent)?;
    let (next, payment_date) = match transition {
        Transition::Send => (status.send(), invoice.payment_date),
        Transition::SetPaid(date) => (status.pay(), Some(date)),
        Transition::SetUnpaid => (status.unpay(), None),
    };
    let next = next.map_err(|why| ApiError::PreconditionFailed(why.to_owned()))?;
    let now = Utc::now().trunc_subsecs(3);
    let row = store::set_status(db, invoice, next, payment_date, now).await?;
    Invoice::try_from(row)
}
