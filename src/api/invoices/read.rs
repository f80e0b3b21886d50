//! `GET /api/invoices` and `GET /api/invoices/{id}`.

use super::model::Invoice;
use crate::api::access::Caller;
use crate::api::error::{ApiError, Failure};
use crate::api::paging::Paging;
use crate::api::shape::Shape;
use crate::domain::filter::Filter;
use crate::domain::invoice::parse_date;
use crate::domain::permission::{Action, Reach};
use crate::store::invoices::{self as store, ListQuery};
use chrono::{DateTime, SubsecRound, Utc};
use entity::{invoice, project};
use sea_orm::ConnectionTrait;

/// The list filters as sent, one list of raw values per field.
pub struct RawFilters {
    pub project_id: Vec<String>,
    pub issue_date: Vec<String>,
    pub payment_date: Vec<String>,
    pub updated_at: Vec<String>,
}

fn parse_all<T>(
    shape: &mut Shape,
    field: &str,
    raw: Vec<String>,
    parse_value: impl Fn(&str) -> Result<T, String> + Copy,
) -> Vec<Filter<T>> {
    raw.iter()
        .filter_map(|r| {
            shape.take(Filter::parse(r, parse_value).map_err(|m| Failure::new(field, m)))
        })
        .collect()
}

fn id_value(raw: &str) -> Result<i64, String> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id >= 1)
        .ok_or_else(|| "must be an integer greater than or equal to 1".to_owned())
}

fn datetime_value(raw: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc).trunc_subsecs(3))
        .map_err(|_| "must be an RFC 3339 date-time, e.g. 2026-03-10T18:18:59.374Z".to_owned())
}

/// Parses the filters into a list query, recording every bad value.
pub fn list_query(shape: &mut Shape, raw: RawFilters, paging: Option<Paging>) -> Option<ListQuery> {
    let project_id = parse_all(shape, "project_id", raw.project_id, id_value);
    let issue_date = parse_all(shape, "issue_date", raw.issue_date, parse_date);
    let payment_date = parse_all(shape, "payment_date", raw.payment_date, parse_date);
    let updated_at = parse_all(shape, "updated_at", raw.updated_at, datetime_value);
    paging.map(|paging| ListQuery {
        only_projects_of: None,
        project_id,
        issue_date,
        payment_date,
        updated_at,
        limit: paging.limit,
        offset: paging.offset,
    })
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
        .map(Invoice::try_from)
        .collect()
}

/// The invoice with this id in the caller's company and its project: 404 when there is none.
pub async fn invoice_and_project(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: i64,
) -> Result<(invoice::Model, project::Model), ApiError> {
    let not_found = || ApiError::NotFound(format!("No invoice {id} in this company."));
    let invoice = store::find_in_company(db, caller.company_id, id)
        .await?
        .ok_or_else(not_found)?;
    let project = store::project_in_company(db, caller.company_id, invoice.project_id)
        .await?
        .ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "invoice {id} has no project in its company"
            ))
        })?;
    Ok((invoice, project))
}

/// One invoice, if the caller may see it.
pub async fn get(db: &impl ConnectionTrait, caller: &Caller, id: i64) -> Result<Invoice, ApiError> {
    let reach = caller.reach(Action::View)?;
    let (invoice, project) = invoice_and_project(db, caller, id).await?;
    caller.require_on(reach, Action::View, &project)?;
    Invoice::try_from(invoice)
}
