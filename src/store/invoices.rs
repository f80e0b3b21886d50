//! Invoices and the company data their creation depends on.

use super::reference::filter_condition;
use crate::domain::filter::Filter;
use crate::domain::idempotency::IdempotencyKey;
use crate::domain::invoice::{InvoiceStatus, NewInvoice, References, UsableReferences};
use crate::domain::invoice_list::{ListOrder, ListQuery};
use chrono::{DateTime, Utc};
use entity::{
    ExactDecimal, budget_area, idempotency_key, invoice, payment_term, project, vat_rate,
};
use sea_orm::sea_query::{Expr, ExprTrait, IntoIden, Query, SelectStatement, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, Condition, ConnectionTrait,
    DatabaseBackend, DbErr, EntityTrait, FromQueryResult, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Set, TransactionSession, TransactionTrait,
};

#[derive(Debug, FromQueryResult)]
struct ProjectRow {
    id: i64,
    company_id: i64,
    name: String,
    job_order: Option<String>,
    pm_user_id: i64,
    account_user_id: i64,
    archived: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    external_id: Option<String>,
    budget_area_usable: bool,
    vat_rate_usable: bool,
    payment_term_usable: bool,
}

/// `EXISTS (query)`, or true when nothing was given to look for.
fn exists_or_given(query: Option<SelectStatement>) -> SimpleExpr {
    match query {
        Some(query) => Expr::exists(query),
        None => Expr::val(true),
    }
}

/// A query that finds a row of `table` when all `conditions` hold.
fn found_where(table: impl IntoIden, conditions: [SimpleExpr; 3]) -> SelectStatement {
    let mut query = Query::select();
    query.expr(Expr::val(1)).from(table);
    for condition in conditions {
        query.and_where(condition);
    }
    query
}

/// For each reference given, a query that finds a row when it is usable; `None` when not given.
fn usable_reference_queries(
    company_id: i64,
    project_id: i64,
    refs: References<'_>,
) -> [Option<SelectStatement>; 3] {
    let budget_area = refs.budget_area_uid.map(|uid| {
        use budget_area::Column::{Enabled, ProjectId, Uid};
        let usable = [ProjectId.eq(project_id), Uid.eq(uid), Enabled.eq(true)];
        found_where(budget_area::Entity, usable)
    });
    let vat_rate = refs.vat_rate_id.map(|id| {
        use vat_rate::Column::{Archived, CompanyId, Id};
        let usable = [Id.eq(id), CompanyId.eq(company_id), Archived.eq(false)];
        found_where(vat_rate::Entity, usable)
    });
    let payment_term = refs.payment_term_id.map(|id| {
        use payment_term::Column::{Archived, CompanyId, Id};
        let usable = [Id.eq(id), CompanyId.eq(company_id), Archived.eq(false)];
        found_where(payment_term::Entity, usable)
    });
    [budget_area, vat_rate, payment_term]
}

/// The project with this id in this company, and whether each reference is usable, in one
/// query; `None` when the company has no such project.
pub async fn project_with_references(
    db: &impl ConnectionTrait,
    company_id: i64,
    project_id: i64,
    refs: References<'_>,
) -> Result<Option<(project::Model, UsableReferences)>, DbErr> {
    let [budget_area, vat_rate, payment_term] =
        usable_reference_queries(company_id, project_id, refs);
    let row = project::Entity::find_by_id(project_id)
        .filter(project::Column::CompanyId.eq(company_id))
        .expr_as(exists_or_given(budget_area), "budget_area_usable")
        .expr_as(exists_or_given(vat_rate), "vat_rate_usable")
        .expr_as(exists_or_given(payment_term), "payment_term_usable")
        .into_model::<ProjectRow>()
        .one(db)
        .await?;
    Ok(row.map(|r| {
        (
            project::Model {
                id: r.id,
                company_id: r.company_id,
                name: r.name,
                job_order: r.job_order,
                pm_user_id: r.pm_user_id,
                account_user_id: r.account_user_id,
                archived: r.archived,
                created_at: r.created_at,
                updated_at: r.updated_at,
                external_id: r.external_id,
            },
            UsableReferences {
                budget_area: r.budget_area_usable,
                vat_rate: r.vat_rate_usable,
                payment_term: r.payment_term_usable,
            },
        )
    }))
}

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

/// A row to insert with the values of `model`, its id left to the database.
fn new_row(model: &invoice::Model) -> invoice::ActiveModel {
    let mut row = model.clone().into_active_model().reset_all();
    row.id = NotSet;
    row
}

/// A failed insert or update of an invoice: a taken invoice number (that index alone), or the
/// database's own error.
pub(super) fn insert_error(err: DbErr) -> InvoiceWriteError {
    match super::unique_index_violated(&err) {
        Some(super::UniqueIndex::InvoiceNumber) => InvoiceWriteError::DuplicateNumber,
        _ => InvoiceWriteError::Db(err),
    }
}

/// What to remember about a create sent with an `Idempotency-Key`: the key, the hash of the
/// request, and how to render the response from the new row.
pub struct ResponseToRemember<'a, F> {
    pub key: &'a IdempotencyKey,
    pub request_hash: &'a str,
    pub render: F,
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

fn new_rowid(rowid: u64) -> Result<i64, DbErr> {
    i64::try_from(rowid)
        .map_err(|e| DbErr::Custom(format!("the new rowid does not fit an i64: {e}")))
}

/// Inserts a draft invoice and, with an idempotency key, the response to replay, in one
/// transaction: both are written or neither.
pub async fn insert_draft<F>(
    db: &(impl ConnectionTrait + TransactionTrait),
    draft: invoice::Model,
    remember: Option<ResponseToRemember<'_, F>>,
) -> Result<invoice::Model, InvoiceWriteError>
where
    F: FnOnce(&invoice::Model) -> anyhow::Result<String>,
{
    let (company_id, created_by_user_id, now) =
        (draft.company_id, draft.created_by_user_id, draft.created_at);
    let row = new_row(&draft);
    // With nothing else to write, one statement and no transaction. PostgreSQL: `INSERT …
    // RETURNING`. SQLite: a plain `INSERT` run to completion, then the new rowid; there an
    // `INSERT … RETURNING` outside a transaction leaves its statement unfinished (the driver
    // steps it only as far as its rows are read), which holds its transaction open, and the
    // WAL then never checkpoints (BENCHMARKS.md measured it growing). Each statement saved is a round trip saved
    // (to PostgreSQL, or to SQLite's worker thread).
    if remember.is_none() {
        let backend = db.get_database_backend();
        if backend == DatabaseBackend::Postgres {
            return row.insert(db).await.map_err(insert_error);
        }
        let result = db
            .execute_raw(invoice::Entity::insert(row).build(backend))
            .await
            .map_err(insert_error)?;
        let id = new_rowid(result.last_insert_id())?;
        return Ok(invoice::Model { id, ..draft });
    }
    let txn = super::begin_write(db).await?;
    let inserted = row.insert(&txn).await.map_err(insert_error)?;
    if let Some(remember) = remember {
        super::idempotency::forget_if_expired(
            &txn,
            company_id,
            created_by_user_id,
            remember.key,
            now,
        )
        .await?;
        let response_body = (remember.render)(&inserted).map_err(InvoiceWriteError::Render)?;
        let record = idempotency_key::ActiveModel {
            id: NotSet,
            company_id: Set(company_id),
            user_id: Set(created_by_user_id),
            key: Set(remember.key.as_str().to_owned()),
            request_hash: Set(remember.request_hash.to_owned()),
            invoice_id: Set(inserted.id),
            response_body: Set(response_body),
            created_at: Set(now),
        };
        match record.insert(&txn).await {
            Ok(_) => {}
            Err(err)
                if super::unique_index_violated(&err)
                    == Some(super::UniqueIndex::IdempotencyKey) =>
            {
                return Err(InvoiceWriteError::KeyTaken);
            }
            Err(err) => return Err(err.into()),
        }
    }
    txn.commit().await?;
    Ok(inserted)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sqlite_insert_returns_nothing_so_it_runs_to_completion() {
        let draft = invoice::Model {
            id: 0,
            company_id: 1,
            project_id: 1,
            status: InvoiceStatus::Draft,
            invoice_number: None,
            purchase_order: None,
            value: ExactDecimal(rust_decimal::Decimal::ONE),
            exchange_rate: None,
            issue_date: chrono::NaiveDate::MIN,
            payment_date: None,
            notes: None,
            budget_area_uid: None,
            vat_rate_id: None,
            payment_term_id: None,
            created_by_user_id: 1,
            created_at: DateTime::<Utc>::MIN_UTC,
            updated_at: DateTime::<Utc>::MIN_UTC,
            version: 1,
            invoice_contact_id: None,
        };
        let sql = invoice::Entity::insert(new_row(&draft))
            .build(DatabaseBackend::Sqlite)
            .to_string();
        assert!(sql.starts_with("INSERT INTO"), "{sql}");
        assert!(!sql.to_uppercase().contains("RETURNING"), "{sql}");
    }
}
