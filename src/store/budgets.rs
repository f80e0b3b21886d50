//! The budgets and budget areas a caller may read: the company's, or, for a caller whose
//! `budget.view` reaches only the projects they lead, those of projects where they are PM or
//! Account.

use super::reference::{UpdatedAt, filter_condition, page_of};
use crate::domain::paging::Page;
use entity::{budget, budget_area, project};
use sea_orm::sea_query::Condition;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, JoinType, QueryFilter, QuerySelect,
    RelationTrait, Select,
};

/// Which budgets or areas a list asks for.
#[derive(Clone, Copy, Debug, Default)]
pub struct Scope {
    pub company_id: i64,
    /// Only those of this project.
    pub project_id: Option<i64>,
    /// Only those of projects this user is PM or Account of.
    pub only_projects_of: Option<i64>,
}

/// The condition "the project is led by `user`".
fn led_by(user: i64) -> Condition {
    Condition::any()
        .add(project::Column::PmUserId.eq(user))
        .add(project::Column::AccountUserId.eq(user))
}

/// The query of a page of budgets, in id order, to run or to explain. Each filter asks the
/// company through the narrowest index: one project's budgets through the project (so the
/// walk is of `ix_budgets_project_id`), the company's through `ix_budgets_company_id`.
pub fn budgets_page(scope: Scope, updated_at: UpdatedAt<'_>, page: Page) -> Select<budget::Entity> {
    let mut query = budget::Entity::find();
    let joined = match scope.project_id {
        Some(project_id) => {
            query = query
                .filter(budget::Column::ProjectId.eq(project_id))
                .join(JoinType::InnerJoin, budget::Relation::Project.def())
                .filter(project::Column::CompanyId.eq(scope.company_id));
            true
        }
        None => {
            query = query.filter(budget::Column::CompanyId.eq(scope.company_id));
            false
        }
    };
    if let Some(user) = scope.only_projects_of {
        if !joined {
            query = query.join(JoinType::InnerJoin, budget::Relation::Project.def());
        }
        query = query.filter(led_by(user));
    }
    for filter in updated_at {
        query = query.filter(filter_condition(budget::Column::UpdatedAt, filter));
    }
    page_of(query, budget::Column::Id, page)
}

/// The query of a page of budget areas, in id order (of one budget with `budget_id`), to run
/// or to explain. One budget's areas are asked through the budget (a walk of
/// `ix_budget_areas_budget_id`), one project's through the project
/// (`ix_budget_areas_project_id`), the company's through `ix_budget_areas_company_id`.
pub fn budget_areas_page(
    scope: Scope,
    budget_id: Option<i64>,
    updated_at: UpdatedAt<'_>,
    page: Page,
) -> Select<budget_area::Entity> {
    let mut query = budget_area::Entity::find();
    if let Some(budget_id) = budget_id {
        query = query
            .filter(budget_area::Column::BudgetId.eq(budget_id))
            .join(JoinType::InnerJoin, budget_area::Relation::Budget.def())
            .filter(budget::Column::CompanyId.eq(scope.company_id));
    }
    let mut joined = false;
    match (scope.project_id, budget_id) {
        (Some(project_id), _) => {
            query = query
                .filter(budget_area::Column::ProjectId.eq(project_id))
                .join(JoinType::InnerJoin, budget_area::Relation::Project.def())
                .filter(project::Column::CompanyId.eq(scope.company_id));
            joined = true;
        }
        (None, Some(_)) => {}
        (None, None) => {
            query = query.filter(budget_area::Column::CompanyId.eq(scope.company_id));
        }
    }
    if let Some(user) = scope.only_projects_of {
        if !joined {
            query = query.join(JoinType::InnerJoin, budget_area::Relation::Project.def());
        }
        query = query.filter(led_by(user));
    }
    for filter in updated_at {
        query = query.filter(filter_condition(budget_area::Column::UpdatedAt, filter));
    }
    page_of(query, budget_area::Column::Id, page)
}

/// The company's budget with this id, with its project.
pub async fn budget(
    db: &impl ConnectionTrait,
    company_id: i64,
    id: i64,
) -> Result<Option<(budget::Model, project::Model)>, DbErr> {
    let found = budget::Entity::find_by_id(id)
        .filter(budget::Column::CompanyId.eq(company_id))
        .find_also_related(project::Entity)
        .one(db)
        .await?;
    Ok(found.and_then(|(budget, project)| Some((budget, project?))))
}

/// The company's budget area with this id, with its project.
pub async fn budget_area(
    db: &impl ConnectionTrait,
    company_id: i64,
    id: i64,
) -> Result<Option<(budget_area::Model, project::Model)>, DbErr> {
    let found = budget_area::Entity::find_by_id(id)
        .filter(budget_area::Column::CompanyId.eq(company_id))
        .find_also_related(project::Entity)
        .one(db)
        .await?;
    Ok(found.and_then(|(area, project)| Some((area, project?))))
}
