//! Why an operation did not do what it was asked: each refusal of the contract, by meaning.
//! The API answers each with its status and key (`api::error`); nothing here knows HTTP.

use crate::domain::permission::Action;
use crate::store::invoices::InvoiceWriteError;
use sea_orm::DbErr;

/// A refused operation.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The token is unknown, revoked or expired (401).
    #[error("the token is unknown, revoked or expired")]
    Unauthenticated,
    /// The caller lacks a permission; the message names it (403).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// No such record in the caller's company (404).
    #[error("not found: {0}")]
    NotFound(String),
    /// The company's data does not allow it; the message names the precondition (412).
    #[error("precondition failed: {0}")]
    Precondition(String),
    /// The record changed since the caller read the version it named (412).
    #[error("the record changed since it was read")]
    ChangedSinceRead,
    /// A value sent that the company's data refuses, such as an invoice number already in
    /// use (400, on that field).
    #[error("invalid {field}: {message}")]
    Invalid {
        field: &'static str,
        message: &'static str,
    },
    /// The database failed (a 503 when it can't be reached or take writes, else a 500).
    #[error(transparent)]
    Db(#[from] DbErr),
    /// A fault of ours; the cause is for the log only.
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

impl Refusal {
    /// A 412 with this message.
    pub fn precondition(message: &str) -> Self {
        Refusal::Precondition(message.to_owned())
    }

    /// The refusal of a caller who is not a member of the company named (an unknown company
    /// answers the same, so slugs can't be probed).
    pub fn not_a_member() -> Self {
        Refusal::Forbidden("You are not a member of this company.".into())
    }

    /// The refusal of a caller with neither of `action`'s permissions.
    pub fn missing_any_permission(action: Action) -> Self {
        Refusal::Forbidden(format!(
            "Missing permission: {} or {}.",
            action.own(),
            action.other()
        ))
    }

    /// The refusal of a caller whose permission covers only the projects they lead, on one
    /// they don't.
    pub fn missing_permission_on_project(action: Action) -> Self {
        Refusal::Forbidden(format!(
            "Missing permission: {} (you are neither the PM nor the Account of this project).",
            action.other()
        ))
    }

    /// The refusal of an invoice number the company already uses.
    pub fn duplicate_number() -> Self {
        Refusal::Invalid {
            field: "invoice_number",
            message: "is already used by another invoice of this company",
        }
    }
}

impl From<InvoiceWriteError> for Refusal {
    fn from(err: InvoiceWriteError) -> Self {
        match err {
            InvoiceWriteError::DuplicateNumber => Refusal::duplicate_number(),
            InvoiceWriteError::Db(err) => Refusal::Db(err),
            other @ (InvoiceWriteError::KeyTaken | InvoiceWriteError::Render(_)) => {
                Refusal::Internal(other.into())
            }
        }
    }
}
