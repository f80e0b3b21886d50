//! The company's reference data, for clients to discover the ids they must send.

use crate::domain::filter::{Filter, Op};
use chrono::{DateTime, Utc};
use entity::{budget_area, invoice_contact, payment_term, project, vat_rate};
use sea_orm::sea_query::SimpleExpr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

pub use crate::domain::paging::Page;

/// One page of `query`, in the order of `id`.
pub(super) fn page_of<E: EntityTrait>(query: Select<E>, id: E::Column, page: Page) -> Select<E> {
    query.order_by_asc(id).limit(page.limit).offset(page.offset)
}

/// The query of a page of the company's projects, to run or to explain.
pub fn projects_select(company_id: i64, page: Page) -> Select<project::Entity> {
    let query = project::Entity::find().filter(project::Column::CompanyId.eq(company_id));
    page_of(query, project::Column::Id, page)
}

pub async fn projects(
    db: &impl ConnectionTrait,
    company_id: i64,
    page: Page,
) -> Result<Vec<project::Model>, DbErr> {
    projects_select(company_id, page).all(db).await
}

/// The query of a page of the budget areas of the company's projects (of one project when
/// `project_id` is given), to run or to explain.
pub fn budget_areas_select(
    company_id: i64,
    project_id: Option<i64>,
    page: Page,
) -> Select<budget_area::Entity> {
    let mut query = budget_area::Entity::find()
        .inner_join(project::Entity)
        .filter(project::Column::CompanyId.eq(company_id));
    if let Some(project_id) = project_id {
        query = query.filter(budget_area::Column::ProjectId.eq(project_id));
    }
    page_of(query, budget_area::Column::Id, page)
}

/// Budget areas of the company's projects, of one project when `project_id` is given.
pub async fn budget_areas(
    db: &impl ConnectionTrait,
    company_id: i64,
    project_id: Option<i64>,
    page: Page,
) -> Result<Vec<budget_area::Model>, DbErr> {
    budget_areas_select(company_id, project_id, page)
        .all(db)
        .await
}

/// The query of a page of the company's VAT rates, to run or to explain.
pub fn vat_rates_select(company_id: i64, page: Page) -> Select<vat_rate::Entity> {
    let query = vat_rate::Entity::find().filter(vat_rate::Column::CompanyId.eq(company_id));
    page_of(query, vat_rate::Column::Id, page)
}

pub async fn vat_rates(
    db: &impl ConnectionTrait,
    company_id: i64,
    page: Page,
) -> Result<Vec<vat_rate::Model>, DbErr> {
    vat_rates_select(company_id, page).all(db).await
}

/// The query of a page of the company's payment terms, to run or to explain.
pub fn payment_terms_select(company_id: i64, page: Page) -> Select<payment_term::Entity> {
    let query = payment_term::Entity::find().filter(payment_term::Column::CompanyId.eq(company_id));
    page_of(query, payment_term::Column::Id, page)
}

pub async fn payment_terms(
    db: &impl ConnectionTrait,
    company_id: i64,
    page: Page,
) -> Result<Vec<payment_term::Model>, DbErr> {
    payment_terms_select(company_id, page).all(db).await
}

/// The condition a list filter puts on `column`.
pub(super) fn filter_condition<C, V>(column: C, filter: &Filter<V>) -> SimpleExpr
where
    C: ColumnTrait,
    V: Into<sea_orm::Value> + Clone,
{
    match filter {
        Filter::Compare(op, value) => {
            let value = value.clone();
            match op {
                Op::Eq => column.eq(value),
                Op::Neq => column.ne(value),
                Op::Gt => column.gt(value),
                Op::Gte => column.gte(value),
                Op::Lt => column.lt(value),
                Op::Lte => column.lte(value),
            }
        }
        Filter::In(values) => column.is_in(values.iter().cloned()),
        Filter::NotIn(values) => column.is_not_in(values.iter().cloned()),
        Filter::Between(min, max) => column.between(min.clone(), max.clone()),
    }
}

/// The query of a page of the company's invoice contacts with these `updated_at` filters, to
/// run or to explain.
pub fn invoice_contacts_select(
    company_id: i64,
    updated_at: &[Filter<DateTime<Utc>>],
    page: Page,
) -> Select<invoice_contact::Entity> {
    let mut query =
        invoice_contact::Entity::find().filter(invoice_contact::Column::CompanyId.eq(company_id));
    for filter in updated_at {
        query = query.filter(filter_condition(invoice_contact::Column::UpdatedAt, filter));
    }
    page_of(query, invoice_contact::Column::Id, page)
}

pub async fn invoice_contacts(
    db: &impl ConnectionTrait,
    company_id: i64,
    updated_at: &[Filter<DateTime<Utc>>],
    page: Page,
) -> Result<Vec<invoice_contact::Model>, DbErr> {
    invoice_contacts_select(company_id, updated_at, page)
        .all(db)
        .await
}

/// The company's invoice contact with this id; another company's is not found.
pub async fn invoice_contact(
    db: &impl ConnectionTrait,
    company_id: i64,
    id: i64,
) -> Result<Option<invoice_contact::Model>, DbErr> {
    invoice_contact::Entity::find_by_id(id)
        .filter(invoice_contact::Column::CompanyId.eq(company_id))
        .one(db)
        .await
}
