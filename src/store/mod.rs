//! Queries. Every function takes `&impl ConnectionTrait`, so it works inside a transaction.

pub mod access;
pub mod admin;
pub mod database;
pub mod guarded_insert;
pub mod idempotency;
pub mod invoices;
pub mod reference;

use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// Whether an error is the violation of a unique constraint.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
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
