//! Rows stored under ids given from outside (a copy of another database, an import of a
//! company's history): the id counters continue after them, so a row made afterwards never
//! takes an id already given.

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr};

/// Moves the id counter of `table` past its highest `id`. PostgreSQL: the sequence behind
/// `id` (when it has one; `invoice_events` has none), never backwards. SQLite needs nothing:
/// `AUTOINCREMENT` continues after the highest id ever inserted.
pub async fn continue_after_highest(db: &impl ConnectionTrait, table: &str) -> Result<(), DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let sequence = format!("pg_get_serial_sequence('\"{table}\"', 'id')");
    db.execute_unprepared(&format!(
        "SELECT setval({sequence}, greatest(max(id), coalesce(pg_sequence_last_value({sequence}), 0))) \
         FROM \"{table}\" HAVING max(id) IS NOT NULL AND {sequence} IS NOT NULL"
    ))
    .await?;
    Ok(())
}
