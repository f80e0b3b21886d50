//! Reading invoices: one, or a list, as far as the caller may see them.

use crate::domain::invoice_list::ListQuery;
use crate::domain::permission::{Action, Reach};
use crate::operations::{Caller, Refusal};
use crate::store::invoices as store;
use crate::store::reference::one_in_company;
use entity::{invoice, project};
use sea_orm::ConnectionTrait;

/// Lists the invoices the caller may see: every project's with `invoices.view_other`, only
/// those of projects where the caller is PM or Account with `invoices.view`.
pub async fn list(
    db: &impl ConnectionTrait,
    caller: &Caller,
    mut query: ListQuery,
) -> Result<Vec<invoice::Model>, Refusal> {
    if caller.reach(Action::View)? == Reach::OwnProjects {
        query.only_projects_of = Some(caller.user_id);
    }
    Ok(store::list(db, caller.company_id, &query).await?)
}

/// The project of an invoice; every invoice has one in its company.
pub(super) async fn project_of(
    db: &impl ConnectionTrait,
    caller: &Caller,
    invoice: &invoice::Model,
) -> Result<project::Model, Refusal> {
    one_in_company::<project::Entity>(db, caller.company_id, invoice.project_id)
        .await?
        .ok_or_else(|| {
            Refusal::Internal(anyhow::anyhow!(
                "invoice {} has no project in its company",
                invoice.id
            ))
        })
}

pub(super) fn not_found(id: i64) -> Refusal {
    Refusal::NotFound(format!("No invoice {id} in this company."))
}

/// The invoice with this id in the caller's company and its project: 404 when there is none.
async fn invoice_and_project(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: i64,
) -> Result<(invoice::Model, project::Model), Refusal> {
    let invoice = store::find_in_company(db, caller.company_id, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let project = project_of(db, caller, &invoice).await?;
    Ok((invoice, project))
}

/// One invoice, if the caller may see it.
pub async fn get(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: i64,
) -> Result<invoice::Model, Refusal> {
    let reach = caller.reach(Action::View)?;
    let (invoice, project) = invoice_and_project(db, caller, id).await?;
    caller.require_on(reach, Action::View, &project)?;
    Ok(invoice)
}
