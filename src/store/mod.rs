//! Queries. Every function takes `&impl ConnectionTrait`, so it works inside a transaction.

pub mod access;
pub mod admin;
pub mod backup;
pub mod budgets;
pub mod copy;
pub mod database;
pub mod events;
pub mod idempotency;
pub mod ids;
pub mod invoice_checks;
pub mod invoices;
pub mod locked_invoice;
pub mod rate_limit;
pub mod reference;
pub mod refusal;
pub mod schema;
pub mod webhook_streams;
pub mod webhooks;

use sea_orm::{
    DbErr, RuntimeErr, SqlErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// Begins a transaction that will write. On SQLite it takes the write lock at once (`BEGIN
/// IMMEDIATE`), so it queues on the busy timeout like any writer: a deferred transaction that
/// reads first and then writes fails at once with "database is locked" when another writer
/// committed in between. PostgreSQL ignores the mode.
pub async fn begin_write<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Whether an error is the violation of a unique constraint.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// The unique indexes whose violation is a client's answer rather than a fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UniqueIndex {
    /// `ux_invoices_company_invoice_number`: an invoice number is unique in its company.
    InvoiceNumber,
    /// `ux_idempotency_keys`: a key is used once per user and company.
    IdempotencyKey,
}

/// Each index: its name (PostgreSQL reports it) and its columns as SQLite lists them in the
/// error, which carries no index name.
const UNIQUE_INDEXES: [(UniqueIndex, &str, &str); 2] = [
    (
        UniqueIndex::InvoiceNumber,
        "ux_invoices_company_invoice_number",
        "invoices.company_id, invoices.invoice_number",
    ),
    (
        UniqueIndex::IdempotencyKey,
        "ux_idempotency_keys",
        "idempotency_keys.company_id, idempotency_keys.user_id, idempotency_keys.key",
    ),
];

/// The named unique index a write collided with; `None` for any other error, including the
/// violation of another constraint, which stays the fault it is.
pub fn unique_index_violated(err: &DbErr) -> Option<UniqueIndex> {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::sqlx::error::ErrorKind;
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = err
    else {
        return None;
    };
    let Sqlx::Database(db_err) = e.as_ref() else {
        return None;
    };
    if db_err.kind() != ErrorKind::UniqueViolation {
        return None;
    }
    let message = db_err.message();
    UNIQUE_INDEXES
        .iter()
        .find(|(_, name, sqlite_columns)| match db_err.constraint() {
            Some(constraint) => constraint == *name,
            None => message
                .strip_prefix("UNIQUE constraint failed: ")
                .is_some_and(|columns| columns == *sqlite_columns),
        })
        .map(|(index, _, _)| *index)
}

/// Whether an error means the database can't be reached right now (a retry may succeed), as
/// opposed to a fault in the query or the data.
pub fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    match err {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => matches!(
            e.as_ref(),
            Sqlx::Io(_)
                | Sqlx::Tls(_)
                | Sqlx::Protocol(_)
                | Sqlx::PoolTimedOut
                | Sqlx::PoolClosed
                | Sqlx::WorkerCrashed
        ),
        DbErr::Conn(_) => true,
        _ => false,
    }
}
