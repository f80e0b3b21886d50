//! Fills a database for read benchmarks: N invoices of the demo company, inserted in bulk by
//! the database itself, outside HTTP. About a million rows in seconds where creates through
//! the API would take minutes.
//!
//! The rows vary the way a company's invoices do, so that each list filter selects a realistic
//! share of them: spread over 20 open projects; issue dates over ten years, in id order; one
//! in three paid, 30 days after its issue date; created one every 30 s up to now; one in ten
//! updated again later. One project's PM is a user who may only view invoices of their own
//! projects (`invoices.view`), so the PM/Account scoping of the list can be measured; their
//! token is printed.
//!
//! Usage: cargo run --release --example seed_invoices -- DATABASE_URL N
//! The database must hold the demo data (`invoices-api demo`) and no bench data yet.

use invoices_api::domain::permission::Permission;
use invoices_api::store::admin::{self, NewProject};
use invoices_api::store::database;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

/// Rows per statement (and transaction): small enough for the WAL to checkpoint in between.
const BATCH: i64 = 100_000;
/// Open projects of the bench data, besides the demo's own.
const PROJECTS: i64 = 20;
const COMPANY: &str = "demo";
const PM: &str = "ann@demo.test";
const ACCOUNT: &str = "bob@demo.test";
const SCOPED: &str = "cleo@demo.test";

/// Inserts rows `?1 ..= ?2` of `?3`; `?4` is the first bench project's id (the others follow
/// it), `?5` the creating user. Dates are text as the SQLite driver writes them.
const ROWS_SQLITE: &str = "WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n \
    WHERE i < ?2), r AS (SELECT i, unixepoch('now') - (?3 - i) * 30 AS created, \
    date('2016-01-01', '+' || (i * 3650 / ?3) || ' days') AS issued FROM n) \
    INSERT INTO invoices (company_id, project_id, status, value, issue_date, payment_date, \
    created_by_user_id, created_at, updated_at) \
    SELECT p.company_id, ?4 + i % 20, CASE WHEN i % 3 = 0 THEN 'paid' ELSE 'draft' END, \
    '1250.5', issued, CASE WHEN i % 3 = 0 THEN date(issued, '+30 days') END, ?5, \
    strftime('%Y-%m-%dT%H:%M:%f+00:00', created, 'unixepoch'), \
    strftime('%Y-%m-%dT%H:%M:%f+00:00', CASE WHEN i % 10 = 0 \
      THEN max(created, unixepoch('now') - (i * 7919 % ?3) * 30) ELSE created END, 'unixepoch') \
    FROM r, projects AS p WHERE p.id = ?4";
const ROWS_POSTGRES: &str = "WITH r AS (SELECT i, now() - ($3 - i) * interval '30 s' AS created, \
    DATE '2016-01-01' + (i * 3650 / $3)::int AS issued FROM generate_series($1, $2) AS i) \
    INSERT INTO invoices (company_id, project_id, status, value, issue_date, payment_date, \
    created_by_user_id, created_at, updated_at) \
    SELECT p.company_id, $4 + i % 20, CASE WHEN i % 3 = 0 THEN 'paid' ELSE 'draft' END, \
    1250.5, issued, CASE WHEN i % 3 = 0 THEN issued + 30 END, $5, created, \
    CASE WHEN i % 10 = 0 THEN greatest(created, now() - (i * 7919 % $3) * interval '30 s') \
    ELSE created END \
    FROM r, projects AS p WHERE p.id = $4";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("DATABASE_URL")?;
    let count: i64 = args.next().ok_or("N")?.parse()?;
    let db = database::open(&url).await?;
    let backend = db.get_database_backend();

    admin::add_user(&db, SCOPED, "Cleo Bench").await?;
    admin::add_member(&db, COMPANY, SCOPED, &[Permission::InvoicesView]).await?;
    let mut first_project = 0;
    for k in 0..PROJECTS {
        let name = format!("Bench project {k}");
        let id = admin::add_project(
            &db,
            NewProject {
                company_slug: COMPANY,
                name: &name,
                job_order: Some("JO-BENCH"),
                pm_email: if k == 0 { SCOPED } else { PM },
                account_email: ACCOUNT,
                archived: false,
            },
        )
        .await?;
        if k == 0 {
            first_project = id;
        }
    }
    let creator = admin::user_by_email(&db, PM).await?.id;

    let rows = match backend {
        DatabaseBackend::Postgres => ROWS_POSTGRES,
        _ => ROWS_SQLITE,
    };
    let mut from = 1;
    while from <= count {
        let to = (from + BATCH - 1).min(count);
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            rows,
            [
                from.into(),
                to.into(),
                count.into(),
                first_project.into(),
                creator.into(),
            ],
        ))
        .await?;
        from = to + 1;
    }
    if backend == DatabaseBackend::Postgres {
        // What autovacuum does to a table soon after bulk inserts: statistics for the planner,
        // and the visibility map that lets index walks skip the table.
        db.execute_unprepared("VACUUM ANALYZE").await?;
    }
    let token = admin::add_token(&db, SCOPED, "bench", Some(30)).await?;
    db.close().await?;
    println!("{count} invoices; first bench project {first_project}");
    println!("Scoped token: {token}");
    Ok(())
}
