//! Reading budgets and their budget areas, with the original's permissions: `budget.view`
//! reaches the projects where the caller is PM or Account, `budget.view_other` every project
//! of the company; with neither, a refusal. Another company's are not found.

use crate::domain::permission::{Action, Reach};
use crate::operations::reference::ListOf;
use crate::operations::{Caller, Refusal};
use crate::store::budgets::{self as store, Scope};
use entity::{budget, budget_area};
use sea_orm::ConnectionTrait;

/// The scope of a list: the caller's company, one project's when `project_id` is given, only
/// the projects the caller leads when `budget.view` is all they have.
fn scope(caller: &Caller, project_id: Option<i64>) -> Result<Scope, Refusal> {
    let reach = caller.reach(Action::ViewBudgets)?;
    Ok(Scope {
        company_id: caller.company_id,
        project_id,
        only_projects_of: (reach == Reach::OwnProjects).then_some(caller.user_id),
    })
}

/// A page of the budgets the caller may read (of one project with `project_id`), in id order.
pub async fn list(
    db: &impl ConnectionTrait,
    caller: &Caller,
    project_id: Option<i64>,
    of: ListOf,
) -> Result<Vec<budget::Model>, Refusal> {
    let query = store::budgets_page(scope(caller, project_id)?, &of.updated_at, of.page);
    Ok(query.all(db).await?)
}

/// The budget with this id, when the caller may read it.
pub async fn one(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: i64,
) -> Result<budget::Model, Refusal> {
    let reach = caller.reach(Action::ViewBudgets)?;
    let (budget, project) = store::budget(db, caller.company_id, id)
        .await?
        .ok_or_else(|| Refusal::NotFound(format!("No budget {id} in this company.")))?;
    caller.require_on(reach, Action::ViewBudgets, &project)?;
    Ok(budget)
}

/// A page of the budget areas the caller may read (of one project with `project_id`, of one
/// budget with `budget_id`), in id order.
pub async fn areas(
    db: &impl ConnectionTrait,
    caller: &Caller,
    project_id: Option<i64>,
    budget_id: Option<i64>,
    of: ListOf,
) -> Result<Vec<budget_area::Model>, Refusal> {
    let scope = scope(caller, project_id)?;
    let query = store::budget_areas_page(scope, budget_id, &of.updated_at, of.page);
    Ok(query.all(db).await?)
}

/// The budget area with this id, when the caller may read it.
pub async fn area(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: i64,
) -> Result<budget_area::Model, Refusal> {
    let reach = caller.reach(Action::ViewBudgets)?;
    let (area, project) = store::budget_area(db, caller.company_id, id)
        .await?
        .ok_or_else(|| Refusal::NotFound(format!("No budget area {id} in this company.")))?;
    caller.require_on(reach, Action::ViewBudgets, &project)?;
    Ok(area)
}
