//! The company's reference data, for clients to discover the ids they must send.

use entity::{budget_area, payment_term, project, vat_rate};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

/// A page: at most `limit` rows after skipping `offset`, in id order.
#[derive(Clone, Copy, Debug)]
pub struct Page {
    pub limit: u64,
    pub offset: u64,
}

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
