//! Invoices: the row a create inserts, finding and listing them, and why a write failed.

use super::reference::filter_condition;
use crate::domain::filter::Filter;
use crate::domain::invoice::{InvoiceStatus, NewInvoice};
use crate::domain::invoice_list::{ListOrder, ListQuery};
use chrono::{DateTime, Utc};
use entity::{ExactDecimal, invoice, project};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};

/// Why a write of an invoice (an insert, an update, a transition) was refused.
#[derive(Debug, thiserror::Error)]
pub enum InvoiceWriteError {
    #[error("the company already has an invoice with this number")]
    DuplicateNumber,
    /// A concurrent request with the same idempotency key committed first.
    #[error("the idempotency key was taken by a concurrent request")]
    KeyTaken,
    #[error("could not render the response to remember: {0}")]
    Render(anyhow::Error),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// A failed insert or update of an invoice: a taken invoice number (that index alone), or the
/// database's own error.
pub(super) fn insert_error(err: DbErr) -> InvoiceWriteError {
    match super::unique_index_violated(&err) {
        Some(super::UniqueIndex::InvoiceNumber) => InvoiceWriteError::DuplicateNumber,
        _ => InvoiceWriteError::Db(err),
    }
}

/// The version of a new invoice (also the column's default).
pub const FIRST_VERSION: i64 = 1;

/// The row a create inserts: a draft of `new`, its id left to the database.
pub fn draft(
    company_id: i64,
    created_by_user_id: i64,
    new: NewInvoice,
    now: DateTime<Utc>,
) -> invoice::Model {
    invoice::Model {
        id: 0,
        company_id,
        project_id: new.project_id,
        status: InvoiceStatus::Draft,
        invoice_number: new.invoice_number.map(|n| n.into_inner()),
        purchase_order: new.purchase_order,
        value: ExactDecimal(new.value.amount()),
        exchange_rate: new.exchange_rate.map(|r| ExactDecimal(r.rate())),
        issue_date: new.issue_date,
        payment_date: None,
        notes: new.notes,
        budget_area_uid: new.budget_area_uid,
        vat_rate_id: new.vat_rate_id,
        payment_term_id: new.payment_term_id,
        created_by_user_id,
        created_at: now,
        updated_at: now,
        version: FIRST_VERSION,
        invoice_contact_id: None,
    }
}

/// The invoice with this id in this company; another company's invoice is not found.
pub async fn find_in_company(
    db: &impl ConnectionTrait,
    company_id: i64,
    id: i64,
) -> Result<Option<invoice::Model>, DbErr> {
    invoice::Entity::find_by_id(id)
        .filter(invoice::Column::CompanyId.eq(company_id))
        .one(db)
        .await
}

/// A page of the company's invoices, in the order asked for.
pub async fn list(
    db: &impl ConnectionTrait,
    company_id: i64,
    query: &ListQuery,
) -> Result<Vec<invoice::Model>, DbErr> {
    list_select(company_id, query).all(db).await
}

/// The ids of the company's projects where this user is PM or Account.
pub(super) fn projects_led_by(company_id: i64, user_id: i64) -> SelectStatement {
    Query::select()
        .column(project::Column::Id)
        .from(project::Entity)
        .and_where(project::Column::CompanyId.eq(company_id))
        .cond_where(
            Condition::any()
                .add(project::Column::PmUserId.eq(user_id))
                .add(project::Column::AccountUserId.eq(user_id)),
        )
        .to_owned()
}

/// The query of [`list`], to run or to explain.
pub fn list_select(company_id: i64, query: &ListQuery) -> sea_orm::Select<invoice::Entity> {
    let mut condition = Condition::all().add(invoice::Column::CompanyId.eq(company_id));
    if let Some(user_id) = query.only_projects_of {
        let own_projects = projects_led_by(company_id, user_id);
        condition = condition.add(invoice::Column::ProjectId.in_subquery(own_projects));
    }
    for f in &query.project_id {
        condition = condition.add(filter_condition(invoice::Column::ProjectId, f));
    }
    for f in &query.issue_date {
        condition = condition.add(filter_condition(invoice::Column::IssueDate, f));
    }
    for f in &query.payment_date {
        condition = condition.add(filter_condition(invoice::Column::PaymentDate, f));
    }
    for f in &query.updated_at {
        condition = condition.add(filter_condition(invoice::Column::UpdatedAt, f));
    }
    let matching = order_matches(invoice::Entity::find().filter(condition), query);
    let page = matching.limit(query.limit).offset(query.offset);
    if query.offset == 0 {
        return page;
    }
    // A deep page: the rows to skip are found by their ids alone, which the list's indexes
    // hold (an index-only walk), and only the page's rows are read whole.
    let ids = page.select_only().column(invoice::Column::Id).into_query();
    in_order(
        invoice::Entity::find().filter(invoice::Column::Id.in_subquery(ids)),
        query.order,
    )
}

/// Puts invoices in a list's order.
fn in_order(
    select: sea_orm::Select<invoice::Entity>,
    order: ListOrder,
) -> sea_orm::Select<invoice::Entity> {
    match order {
        ListOrder::Id => select.order_by_asc(invoice::Column::Id),
        ListOrder::UpdatedAt => select
            .order_by_asc(invoice::Column::UpdatedAt)
            .order_by_asc(invoice::Column::Id),
    }
}

/// Whether a filter of the query is a range or a set of values (`gt:`, `in:`, `bt:`…).
fn has_range(query: &ListQuery) -> bool {
    query.project_id.iter().any(Filter::is_range)
        || query.issue_date.iter().any(Filter::is_range)
        || query.payment_date.iter().any(Filter::is_range)
        || query.updated_at.iter().any(Filter::is_range)
}

/// Puts the matches of a list query in its order. In id order, a range filter's (or a set's)
/// matches are found through that filter's index and then sorted (`id + 0` keeps the planner
/// from walking the company in id order instead): the cost follows the range, however the
/// dates of the company's invoices are spread. A walk in id order that keeps the matches is cheap only when
/// they are spread evenly, and PostgreSQL's planner assumes they are: for a week of issue dates
/// in a company whose invoices were issued in id order, it read 840,000 rows to find 100.
fn order_matches(
    select: sea_orm::Select<invoice::Entity>,
    query: &ListQuery,
) -> sea_orm::Select<invoice::Entity> {
    if query.order == ListOrder::Id && has_range(query) {
        select.order_by(
            Expr::col((invoice::Entity, invoice::Column::Id)).add(0),
            sea_orm::Order::Asc,
        )
    } else {
        in_order(select, query.order)
    }
}
