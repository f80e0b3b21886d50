//! The company's reference data, for clients to discover the ids they must send.

use entity::{budget_area, payment_term, project, vat_rate};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

/// A page: at most `limit` rows after skipping `offset`, in id order.
#[derive(Clone, Copy, Debug)]
pub struct Page {
    pub limit: u64,
    pub offset: u64,
}

pub async fn projects(
    db: &impl ConnectionTrait,
    company_id: i64,
    page: Page,
) -> Result<Vec<project::Model>, DbErr> {
    project::Entity::find()
        .filter(project::Column::CompanyId.eq(company_id))
        .order_by_asc(project::Column::Id)
        .limit(page.limit)
        .offset(page.offset)
        .all(db)
        .await
}

/// Budget areas of the company's projects, of one project when `project_id` is given.
pub async fn budget_areas(
    db: &impl ConnectionTrait,
    company_id: i64,
    project_id: Option<i64>,
    page: Page,
) -> Result<Vec<budget_area::Model>, DbErr> {
    let mut query = budget_area::Entity::find()
        .inner_join(project::Entity)
        .filter(project::Column::CompanyId.eq(company_id));
    if let Some(project_id) = project_id {
        query = query.filter(budget_area::Column::ProjectId.eq(project_id));
    }
    query
        .order_by_asc(budget_area::Column::Id)
        .limit(page.limit)
        .offset(page.offset)
        .all(db)
        .await
}

pub async fn vat_rates(
    db: &impl ConnectionTrait,
    company_id: i64,
    page: Page,
) -> Result<Vec<vat_rate::Model>, DbErr> {
    vat_rate::Entity::find()
        .filter(vat_rate::Column::CompanyId.eq(company_id))
        .order_by_asc(vat_rate::Column::Id)
        .limit(page.limit)
        .offset(page.offset)
        .all(db)
        .await
}

pub async fn payment_terms(
    db: &impl ConnectionTrait,
    company_id: i64,
    page: Page,
) -> Result<Vec<payment_term::Model>, DbErr> {
    payment_term::Entity::find()
        .filter(payment_term::Column::CompanyId.eq(company_id))
        .order_by_asc(payment_term::Column::Id)
        .limit(page.limit)
        .offset(page.offset)
        .all(db)
        .await
}
