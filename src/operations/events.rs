//! Reading the company's invoice events (`GET /api/events`), the audit trail a syncing client
//! follows.

use crate::domain::event::EventFilter;
use crate::domain::permission::{Action, Reach};
use crate::operations::{Caller, Refusal};
use crate::store::events as store;
use entity::invoice_event;
use sea_orm::ConnectionTrait;

/// The events the caller may see, in id order: with `invoices.view_other` every event of the
/// company; with `invoices.view` only those of invoices whose project (at the event) the
/// caller leads; with neither, a refusal.
pub async fn list(
    db: &impl ConnectionTrait,
    caller: &Caller,
    filter: &EventFilter,
) -> Result<Vec<invoice_event::Model>, Refusal> {
    let only_projects_of =
        (caller.reach(Action::View)? == Reach::OwnProjects).then_some(caller.user_id);
    Ok(store::list(db, caller.company_id, filter, only_projects_of).await?)
}
