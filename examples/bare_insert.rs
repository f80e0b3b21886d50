//! The stack's own bound for the benchmark (bench/run.sh): the same HTTP server and database
//! driver as `invoices-api`, with a `POST` handler that does nothing but insert the invoice row
//! (one statement, no authentication, no validation, no checks) and answer 201 with its id.
//! No create can be faster than this on this stack; it tells how far the create path is from
//! its own plumbing, apart from the database's raw-insert ceiling.
//!
//! Usage: cargo run --release --example bare_insert -- DATABASE_URL BIND_ADDRESS
//! The database must hold the demo data (`invoices-api demo`).

use invoices_api::store::database;
use poem::web::{Data, Json};
use poem::{EndpointExt, Route, Server, handler, http::StatusCode, listener::TcpListener};
use sea_orm::sqlx;
use sea_orm::{DatabaseBackend, DatabaseConnection};

const INSERT_SQLITE: &str = "INSERT INTO invoices (company_id, project_id, status, value, issue_date, \
    created_by_user_id, created_at, updated_at) VALUES (?1, ?2, 'draft', ?3, ?4, ?5, ?6, ?6)";
const INSERT_POSTGRES: &str = "INSERT INTO invoices (company_id, project_id, status, value, issue_date, \
    created_by_user_id, created_at, updated_at) VALUES ($1, $2, 'draft', $3::numeric, $4, $5, $6, $6) \
    RETURNING id";

#[handler]
async fn insert(
    db: Data<&DatabaseConnection>,
) -> poem::Result<(StatusCode, Json<serde_json::Value>)> {
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default();
    let now = chrono::Utc::now();
    let failed = |e: sqlx::Error| poem::Error::new(e, StatusCode::INTERNAL_SERVER_ERROR);
    let id: i64 = if db.get_database_backend() == DatabaseBackend::Postgres {
        sqlx::query_scalar(INSERT_POSTGRES)
            .bind(1_i64)
            .bind(1_i64)
            .bind("1250.5")
            .bind(day)
            .bind(1_i64)
            .bind(now)
            .fetch_one(db.get_postgres_connection_pool())
            .await
            .map_err(failed)?
    } else {
        sqlx::query(INSERT_SQLITE)
            .bind(1_i64)
            .bind(1_i64)
            .bind("1250.5")
            .bind(day)
            .bind(1_i64)
            .bind(now)
            .execute(db.get_sqlite_connection_pool())
            .await
            .map_err(failed)?
            .last_insert_rowid()
    };
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("DATABASE_URL")?;
    let bind = args.next().ok_or("BIND_ADDRESS")?;
    // The server's own connect options (pool sizes, WAL, synchronous, busy timeout).
    let db = database::open(&url).await?;
    let app = Route::new().at("/insert", poem::post(insert)).data(db);
    Server::new(TcpListener::bind(bind)).run(app).await?;
    Ok(())
}
