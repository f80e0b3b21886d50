//! The stack's own bound for the benchmark (bench/run.sh): the same HTTP server and database
//! driver as `invoices-api`, with a `POST` handler that does nothing but insert the invoice row
//! (one statement, no authentication, no validation, no checks) and answer 201 with its id.
//! No create can be faster than this on this stack; it tells how far the create path is from
//! its own plumbing, apart from the database's raw-insert ceiling.
//!
//! Usage: cargo run --release --example bare_insert -- DATABASE_URL BIND_ADDRESS
//! The database must hold the demo data (`invoices-api demo`).

mod bench_row;

use bench_row::{INSERT_POSTGRES, INSERT_SQLITE, bind};
use invoices_api::store::database;
use poem::web::{Data, Json};
use poem::{EndpointExt, Route, Server, handler, http::StatusCode, listener::TcpListener};
use sea_orm::sqlx;
use sea_orm::{DatabaseBackend, DatabaseConnection};

#[handler]
async fn insert(
    db: Data<&DatabaseConnection>,
) -> poem::Result<(StatusCode, Json<serde_json::Value>)> {
    let failed = |e: sqlx::Error| poem::Error::new(e, StatusCode::INTERNAL_SERVER_ERROR);
    let id: i64 = if db.get_database_backend() == DatabaseBackend::Postgres {
        let query = bind(sqlx::query(INSERT_POSTGRES));
        let row = query
            .fetch_one(db.get_postgres_connection_pool())
            .await
            .map_err(failed)?;
        sqlx::Row::try_get(&row, 0).map_err(failed)?
    } else {
        bind(sqlx::query(INSERT_SQLITE))
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
