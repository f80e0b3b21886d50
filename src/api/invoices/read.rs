//! `GET /api/invoices` and `GET /api/invoices/{id}`.

use super::model::Tagged;
use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::filters::{DateFilter, DateTimeFilter, IdFilter};
use crate::domain::invoice_list::{ListOrder, ListQuery};
use crate::domain::paging::Page;
use crate::domain::permission::{Action, Reach};
use crate::store::invoices as store;
use crate::store::reference::one_in_company;
use crate::wire::invoice::Invoice;
use entity::{invoice, project};
use sea_orm::ConnectionTrait;

/// The list filters, one list per field.
pub struct Filters {
    pub project_id: Vec<IdFilter>,
    pub issue_date: Vec<DateFilter>,
    pub payment_date: Vec<DateFilter>,
    pub updated_at: Vec<DateTimeFilter>,
}

/// The list query for these filters, in this order, and this page.
pub fn list_query(filters: Filters, order: ListOrder, paging: Page) -> ListQuery {
    ListQuery {
        only_projects_of: None,
        project_id: filters.project_id.into_iter().map(|f| f.0).collect(),
        issue_date: filters.issue_date.into_iter().map(|f| f.0).collect(),
        payment_date: filters.payment_date.into_iter().map(|f| f.0).collect(),
        updated_at: filters.updated_at.into_iter().map(|f| f.0).collect(),
        order,
        limit: paging.limit,
        offset: paging.offset,
    }
}

/// Lists the invoices the caller may see: every project's with `invoices.view_other`, only
/// those of projects where the caller is PM or Account with `invoices.view`.
pub async fn list(
    db: &impl ConnectionTrait,
    caller: &Caller,
    mut query: ListQuery,
) -> Result<Vec<Invoice>, ApiError> {
    if caller.reach(Action::View)? == Reach::OwnProjects {
        query.only_projects_of = Some(caller.user_id);
    }
    store::list(db, caller.company_id, &query)
        .await?
        .into_iter()
        .map(|row| Invoice::try_from(row).map_err(ApiError::from))
        .collect()
}

/// The project of an invoice; every invoice has one in its company.
pub(super) async fn project_of(
    db: &impl ConnectionTrait,
    caller: &Caller,
    invoice: &invoice::Model,
) -> Result<project::Model, ApiError> {
    one_in_company::<project::Entity>(db, caller.company_id, invoice.project_id)
        .await?
        .ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "invoice {} has no project in its company",
                invoice.id
            ))
        })
}

pub(super) fn not_found(id: i64) -> ApiError {
    ApiError::NotFound(format!("No invoice {id} in this company."))
}

/// The invoice with this id in the caller's company and its project: 404 when there is none.
async fn invoice_and_project(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: i64,
) -> Result<(invoice::Model, project::Model), ApiError> {
    let invoice = store::find_in_company(db, caller.company_id, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let project = project_of(db, caller, &invoice).await?;
    Ok((invoice, project))
}

/// One invoice, if the caller may see it.
pub async fn get(db: &impl ConnectionTrait, caller: &Caller, id: i64) -> Result<Tagged, ApiError> {
    let reach = caller.reach(Action::View)?;
    let (invoice, project) = invoice_and_project(db, caller, id).await?;
    caller.require_on(reach, Action::View, &project)?;
    Tagged::try_from(invoice)
}
