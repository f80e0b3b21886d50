//! The invoice row the benchmark's ceilings insert (`raw_insert`, `bare_insert`): the shape of
//! the demo create's row, bound the way each backend wants it.

use sea_orm::sqlx::{self, Database, query::Query};

pub const INSERT_SQLITE: &str = "INSERT INTO invoices (company_id, project_id, status, value, \
    issue_date, created_by_user_id, created_at, updated_at) \
    VALUES (?1, ?2, 'draft', ?3, ?4, ?5, ?6, ?6)";
pub const INSERT_POSTGRES: &str = "INSERT INTO invoices (company_id, project_id, status, value, \
    issue_date, created_by_user_id, created_at, updated_at) \
    VALUES ($1, $2, 'draft', $3::numeric, $4, $5, $6, $6) RETURNING id";

/// Binds the row's values (demo company, project and user 1; 1250.5; today) to `query`.
pub fn bind<'q, DB: Database>(
    query: Query<'q, DB, <DB as Database>::Arguments>,
) -> Query<'q, DB, <DB as Database>::Arguments>
where
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    chrono::NaiveDate: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    chrono::DateTime<chrono::Utc>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default();
    query
        .bind(1_i64)
        .bind(1_i64)
        .bind("1250.5")
        .bind(day)
        .bind(1_i64)
        .bind(chrono::Utc::now())
}
