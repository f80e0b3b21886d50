//! Queries. Every function takes `&impl ConnectionTrait`, so it works inside a transaction.

pub mod access;
pub mod admin;
pub mod database;
pub mod invoices;

use sea_orm::{DbErr, SqlErr};

/// Whether an error is the violation of a unique constraint.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}
