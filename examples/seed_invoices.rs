//! Fills a database for read benchmarks: N draft invoices of the demo company, inserted in bulk
//! by the database itself (copies of one template row), outside HTTP. About a million rows in
//! seconds where creates through the API would take minutes.
//!
//! Usage: cargo run --release --example seed_invoices -- DATABASE_URL N
//! The database must hold the demo data (`invoices-api demo`).

mod bench_row;

use bench_row::{INSERT_POSTGRES, INSERT_SQLITE, bind};
use invoices_api::store::database;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, sqlx};

/// Rows per statement (and transaction): small enough for the WAL to checkpoint in between.
const BATCH: u64 = 100_000;

const COPIES_SQLITE: &str = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n \
    WHERE i < ?1) INSERT INTO invoices (company_id, project_id, status, value, issue_date, \
    created_by_user_id, created_at, updated_at) SELECT t.company_id, t.project_id, t.status, \
    t.value, t.issue_date, t.created_by_user_id, t.created_at, t.updated_at \
    FROM n, invoices AS t WHERE t.id = ?2";
const COPIES_POSTGRES: &str = "INSERT INTO invoices (company_id, project_id, status, value, \
    issue_date, created_by_user_id, created_at, updated_at) SELECT t.company_id, t.project_id, \
    t.status, t.value, t.issue_date, t.created_by_user_id, t.created_at, t.updated_at \
    FROM generate_series(1, $1) AS n, invoices AS t WHERE t.id = $2";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("DATABASE_URL")?;
    let count: u64 = args.next().ok_or("N")?.parse()?;
    let db = database::open(&url).await?;
    let backend = db.get_database_backend();
    // The template: the row the benchmark's ceilings insert, written the way the driver does.
    let template: i64 = if backend == DatabaseBackend::Postgres {
        let pool = db.get_postgres_connection_pool();
        let row = bind(sqlx::query(INSERT_POSTGRES)).fetch_one(pool).await?;
        sqlx::Row::try_get(&row, 0)?
    } else {
        let pool = db.get_sqlite_connection_pool();
        bind(sqlx::query(INSERT_SQLITE))
            .execute(pool)
            .await?
            .last_insert_rowid()
    };
    let copies = match backend {
        DatabaseBackend::Postgres => COPIES_POSTGRES,
        _ => COPIES_SQLITE,
    };
    let mut left = count.saturating_sub(1);
    while left > 0 {
        let batch = left.min(BATCH);
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            copies,
            [(batch as i64).into(), template.into()],
        ))
        .await?;
        left -= batch;
    }
    if backend == DatabaseBackend::Postgres {
        db.execute_unprepared("ANALYZE invoices").await?;
    }
    db.close().await?;
    println!("{count} invoices");
    Ok(())
}
