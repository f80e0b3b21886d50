//! The operations: what a caller can do, each one function owning its rules in the contract's
//! order, between the API (which extracts a request, calls one of these and renders the
//! answer) and the store (which queries and writes). An operation takes a [`Caller`] and
//! domain values, and returns domain values (rows of the model, with typed fields) or a typed
//! [`Refusal`]; it knows nothing of HTTP, and nothing here imports `api/`.
//!
//! The path of one request, `PATCH /api/invoices/7`: `api::invoices` extracts the identity,
//! the id, `If-Match` and the body (every failure in one 400) and admits the caller
//! (`api::caller`: token, rate limit, membership); `operations::invoices::update` checks the
//! permission, locks the invoice (404 when it isn't the company's), checks the project's
//! permission, the version `If-Match` names, the status, the target project and references,
//! and writes the change with its event (`store::locked_invoice`); the API renders the row
//! (`wire::invoice`) with its `ETag`, or maps the refusal to its status.

pub mod budgets;
pub mod caller;
pub mod events;
pub mod invoices;
pub mod last_used;
pub mod reference;
mod refusal;

pub use caller::Caller;
pub use refusal::Refusal;

use crate::store::database::WriteTurns;
use sea_orm::DatabaseConnection;

/// What operations reach: the database, this node's turns for SQLite's one writer, and when
/// it last recorded each token's use on the path that doesn't read the token.
#[derive(Clone, Copy)]
pub struct Storage<'a> {
    pub db: &'a DatabaseConnection,
    pub write_turns: &'a WriteTurns,
    pub last_used: &'a last_used::LastUsedMemo,
}

/// The record a change acts on: its id, and the condition its version must meet for the change
/// to go on (none: any version).
#[derive(Clone, Copy)]
pub struct Target<'a> {
    pub id: i64,
    pub expected: Option<&'a dyn VersionCondition>,
}

/// A condition on the version of a record a change acts on (`If-Match`): the change goes on
/// only when it holds, else it is refused as [`Refusal::ChangedSinceRead`].
pub trait VersionCondition: Sync {
    fn holds(&self, id: i64, version: i64) -> bool;
}
