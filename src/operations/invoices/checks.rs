//! The answers to the checks of an invoice's project and references (`store::invoice_checks`
//! writes each as a condition the database evaluates), shared by create and update.

use crate::domain::invoice::References;
use crate::domain::permission::Action;
use crate::operations::{Caller, Refusal};
use crate::store::invoice_checks::{self, Check, ProjectChecks};
use sea_orm::ConnectionTrait;

/// A 412 `precondition_failure` with this message.
pub fn precondition(message: &str) -> Refusal {
    Refusal::precondition(message)
}

/// The contract's answer to a failed check of `action` (the permissions' messages name it).
pub fn refusal_of(check: Check, action: Action) -> Refusal {
    match check {
        Check::TokenLive => Refusal::Unauthenticated,
        Check::Member => Refusal::not_a_member(),
        Check::Permitted => Refusal::missing_any_permission(action),
        Check::ProjectFound => precondition("The project does not exist in this company."),
        Check::CoversProject => Refusal::missing_permission_on_project(action),
        Check::ProjectActive => precondition("The project is archived."),
        Check::HasJobOrder => precondition("The project has no job order."),
        Check::BudgetAreaUsable => {
            precondition("The budget area does not exist in this project or is disabled.")
        }
        Check::VatRateUsable => {
            precondition("The VAT rate does not exist in this company or is archived.")
        }
        Check::PaymentTermUsable => {
            precondition("The payment term does not exist in this company or is archived.")
        }
    }
}

/// How the caller's target project and references fare (precondition 1 is answered here: a
/// project of another company is missing too); the rest is the caller's to answer, after the
/// permission on the project, with [`ProjectFacts::usable`].
pub async fn project_checks(
    db: &impl ConnectionTrait,
    caller: &Caller,
    project_id: i64,
    refs: References<'_>,
) -> Result<ProjectFacts, Refusal> {
    let checks =
        invoice_checks::project_checks(db, caller.company_id, caller.user_id, project_id, refs)
            .await?
            .ok_or_else(Refusal::not_a_member)?;
    match checks.failed {
        Some(Check::ProjectFound) => Err(refusal_of(Check::ProjectFound, Action::Edit)),
        _ => Ok(ProjectFacts(checks)),
    }
}

/// A project that exists in the caller's company, and how its other checks fared.
pub struct ProjectFacts(ProjectChecks);

impl ProjectFacts {
    /// Whether the caller is the project's PM or Account.
    pub fn caller_leads(&self) -> bool {
        self.0.user_leads
    }

    /// Preconditions 2 to 5: the project is open and has a job order, and each reference
    /// given names a usable record of it or of its company.
    pub fn usable(&self, action: Action) -> Result<(), Refusal> {
        match self.0.failed {
            Some(check) => Err(refusal_of(check, action)),
            None => Ok(()),
        }
    }
}
