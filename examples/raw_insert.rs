//! The raw-insert ceiling for the benchmark (bench/run.sh): the same invoice row shape inserted
//! into the same database by plain prepared statements, without HTTP, auth or checks, from
//! `concurrency` tasks for `seconds`; each insert commits on its own, with the durability
//! settings the server uses (SQLite: WAL, synchronous=NORMAL). Prints inserts per second.
//!
//! Usage: cargo run --release --example raw_insert -- DATABASE_URL SECONDS CONCURRENCY
//! The database must hold the demo data (`invoices-api demo`).

mod bench_row;

use bench_row::{INSERT_POSTGRES, INSERT_SQLITE, bind};
use invoices_api::store::database;
use sea_orm::sqlx;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("DATABASE_URL")?;
    let seconds: u64 = args.next().ok_or("SECONDS")?.parse()?;
    let concurrency: usize = args.next().ok_or("CONCURRENCY")?.parse()?;
    // The server's own connect options (WAL, synchronous, busy timeout) and migrations.
    let db = database::open(&url).await?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let db = db.clone();
        tasks.spawn(async move {
            let mut done = 0u64;
            if url_is_postgres(&db) {
                let mut conn = db.get_postgres_connection_pool().acquire().await?;
                while Instant::now() < deadline {
                    bind(sqlx::query(INSERT_POSTGRES))
                        .execute(&mut *conn)
                        .await?;
                    done += 1;
                }
            } else {
                let mut conn = db.get_sqlite_connection_pool().acquire().await?;
                while Instant::now() < deadline {
                    // One statement, committed on its own: how the server writes.
                    bind(sqlx::query(INSERT_SQLITE)).execute(&mut *conn).await?;
                    done += 1;
                }
            }
            Ok::<u64, sqlx::Error>(done)
        });
    }
    let mut total = 0;
    while let Some(done) = tasks.join_next().await {
        total += done??;
    }
    println!("{:.0}", total as f64 / seconds as f64);
    Ok(())
}

fn url_is_postgres(db: &sea_orm::DatabaseConnection) -> bool {
    db.get_database_backend() == sea_orm::DatabaseBackend::Postgres
}
