//! The preconditions (412) an invoice's project and references must meet, shared by create
//! and update.

use crate::api::access::Caller;
use crate::api::error::ApiError;
use crate::store::invoices as store;
use entity::project;
use sea_orm::ConnectionTrait;

fn precondition(message: &str) -> ApiError {
    ApiError::PreconditionFailed(message.to_owned())
}

/// Precondition 1: the project exists in the caller's company (another company's project is
/// missing too).
pub async fn project_in_company(
    db: &impl ConnectionTrait,
    caller: &Caller,
    project_id: i64,
) -> Result<project::Model, ApiError> {
    store::project_in_company(db, caller.company_id, project_id)
        .await?
        .ok_or_else(|| precondition("The project does not exist in this company."))
}

/// Preconditions 2 and 3: the project is open and has a job order.
pub fn project_is_open(project: &project::Model) -> Result<(), ApiError> {
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

/// The references an invoice carries besides its project.
pub struct References<'a> {
    pub budget_area_uid: Option<&'a str>,
    pub vat_rate_id: Option<i64>,
    pub payment_term_id: Option<i64>,
}

/// Preconditions 4 and 5: each reference given names a usable record of this project or
/// company.
pub async fn references_are_usable(
    db: &impl ConnectionTrait,
    caller: &Caller,
    project: &project::Model,
    refs: References<'_>,
) -> Result<(), ApiError> {
    if let Some(uid) = refs.budget_area_uid
        && !store::enabled_budget_area_exists(db, project.id, uid).await?
    {
        return Err(precondition(
            "The budget area does not exist in this project or is disabled.",
        ));
    }
    if let Some(id) = refs.vat_rate_id
        && !store::usable_vat_rate_exists(db, caller.company_id, id).await?
    {
        return Err(precondition(
            "The VAT rate does not exist in this company or is archived.",
        ));
    }
    if let Some(id) = refs.payment_term_id
        && !store::usable_payment_term_exists(db, caller.company_id, id).await?
    {
        return Err(precondition(
            "The payment term does not exist in this company or is archived.",
        ));
    }
    Ok(())
}

/// The 400 for an invoice number the company already uses.
pub fn duplicate_number() -> ApiError {
    ApiError::invalid(
        "invoice_number",
        "is already used by another invoice of this company",
    )
}
