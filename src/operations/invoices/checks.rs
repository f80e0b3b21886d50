//! The preconditions (412) an invoice's project and references must meet, shared by create
//! and update.

pub use crate::domain::invoice::References;
use crate::domain::invoice::UsableReferences;
use crate::operations::{Caller, Refusal};
use crate::store::invoices as store;
use entity::project;
use sea_orm::ConnectionTrait;

/// A 412 `precondition_failure` with this message.
pub fn precondition(message: &str) -> Refusal {
    Refusal::precondition(message)
}

/// Looks up the project (precondition 1: it exists in the caller's company; another
/// company's project is missing too) and, in the same query, the references.
pub async fn load(
    db: &impl ConnectionTrait,
    caller: &Caller,
    project_id: i64,
    refs: References<'_>,
) -> Result<(project::Model, UsableReferences), Refusal> {
    store::project_with_references(db, caller.company_id, project_id, refs)
        .await?
        .ok_or_else(|| precondition("The project does not exist in this company."))
}

/// Preconditions 2 and 3: the project is open and has a job order.
pub fn project_is_open(project: &project::Model) -> Result<(), Refusal> {
    if project.archived {
        return Err(precondition("The project is archived."));
    }
    if project
        .job_order
        .as_deref()
        .is_none_or(|j| j.trim().is_empty())
    {
        return Err(precondition("The project has no job order."));
    }
    Ok(())
}

/// Preconditions 4 and 5: each reference given names a usable record of this project or
/// company.
pub fn references_are_usable(usable: UsableReferences) -> Result<(), Refusal> {
    if !usable.budget_area {
        return Err(precondition(
            "The budget area does not exist in this project or is disabled.",
        ));
    }
    if !usable.vat_rate {
        return Err(precondition(
            "The VAT rate does not exist in this company or is archived.",
        ));
    }
    if !usable.payment_term {
        return Err(precondition(
            "The payment term does not exist in this company or is archived.",
        ));
    }
    Ok(())
}
