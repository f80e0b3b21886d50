//! Copying a whole deployment from one database to another (SQLite or PostgreSQL, either
//! way): every row of every table, under its own id.
//!
//! - The source is read in one read-only transaction, so the copy is one consistent snapshot
//!   while the source keeps serving (SQLite in WAL mode: a read transaction; PostgreSQL:
//!   `REPEATABLE READ`). Writes the source commits after the snapshot are not copied: stop
//!   them first (`serve --read-only`).
//! - The target is written in one transaction: a copy completes, or leaves the target as
//!   empty as it was (a killed copy never commits). One transaction, not one per table,
//!   because a target holding only some tables would pass the emptiness check of the next
//!   attempt for none of them and serve half a deployment.
//! - Rows go through the entities, so each backend's column types (SQLite text timestamps
//!   and decimals, PostgreSQL `timestamptz` and `NUMERIC`) are converted by the same code
//!   that serves them, and read in id order in batches (a batch is one multi-row INSERT).
//! - The target's triggers are off while it is written: the rows they would add (the event of
//!   a new invoice) are copied themselves. Its id counters continue after the highest id.
//! - Before it commits, the copy reads every table back from the target and compares row
//!   counts and checksums with what it read from the source; a difference rolls it back.

use super::events::IDS_PER_TRANSACTION;
use entity::*;
use sea_orm::{
    AccessMode, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend,
    DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, IdenStatic, IntoActiveModel,
    IsolationLevel, Iterable, PrimaryKeyToColumn, QueryFilter, QueryOrder, QuerySelect, Statement,
    TransactionOptions, TransactionTrait, Value,
};
use sha2::{Digest, Sha256};

/// Tables of the schema the copy leaves out, and why. Every other table must be one the copy
/// knows ([`copy`] refuses a schema with a table it would skip).
pub const NOT_COPIED: [(&str, &str); 4] = [
    (
        "seaql_migrations",
        "the migrations applied: the target's own, written when it is migrated",
    ),
    (
        "schema_migration_kinds",
        "the kinds of those migrations: the target's own, written when it is migrated",
    ),
    (
        "rate_limit_windows",
        "this minute's request counts per token: they start again at zero",
    ),
    (
        "invoice_event_id_offset",
        "PostgreSQL's offset of new event ids: the target's own, which the copy sets",
    ),
];

/// Calls the macro `$apply` with the entity of every table the copy writes, in the order of
/// their foreign keys (a table after those it refers to).
macro_rules! with_copied_entities {
    ($apply:ident) => {
        $apply!(
            company::Entity,
            user::Entity,
            membership::Entity,
            membership_permission::Entity,
            api_token::Entity,
            project::Entity,
            budget::Entity,
            budget_area::Entity,
            vat_rate::Entity,
            payment_term::Entity,
            invoice_contact::Entity,
            invoice::Entity,
            invoice_event::Entity,
            idempotency_key::Entity,
            webhook_endpoint::Entity,
            webhook_delivery::Entity,
        )
    };
}

/// Rows per INSERT at most, and parameters per INSERT at most (SQLite takes 32,766).
const BATCH_ROWS: usize = 1000;
const BATCH_PARAMETERS: usize = 30_000;

/// What happened to one table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableCopy {
    pub table: String,
    pub rows: u64,
    /// SHA-256 of the rows read from the source as written (`normalized`), in id order (its
    /// first 16 hex digits).
    pub source_checksum: String,
    /// The same of the rows read back from the target, before the copy committed.
    pub target_checksum: String,
}

/// Why a copy was refused or failed; the target is left as it was in every case.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("the target already holds data ({0}): copy into an empty database")]
    TargetNotEmpty(String),
    #[error(
        "the {side} database has tables this release does not copy ({tables}): copy with the \
         release that made them"
    )]
    UnknownTables { side: &'static str, tables: String },
    #[error(
        "table {table} of the {side} database has other columns than this release knows \
         ({columns}): copy with the release that made them"
    )]
    UnknownColumns {
        side: &'static str,
        table: String,
        columns: String,
    },
    #[error("table {table} differs after the copy ({why}); nothing was written")]
    Mismatch { table: String, why: String },
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

/// Told how far the copy is.
pub trait Progress {
    /// The copy of `table`, of `total` rows, begins.
    fn start(&mut self, table: &str, total: u64);
    /// `done` rows of the table are copied (after each batch, and once at its end).
    fn advanced(&mut self, done: u64);
    /// The copy reads the target back to check it.
    fn checking(&mut self);
}

/// A progress that shows nothing.
impl Progress for () {
    fn start(&mut self, _: &str, _: u64) {}
    fn advanced(&mut self, _: u64) {}
    fn checking(&mut self) {}
}

/// Copies every table from `source` into the empty `target` (both migrated to this release's
/// schema) and returns what was copied, in the order it was.
pub async fn copy(
    source: &DatabaseConnection,
    target: &DatabaseConnection,
    progress: &mut dyn Progress,
) -> Result<Vec<TableCopy>, CopyError> {
    check_schema(source, "source").await?;
    check_schema(target, "target").await?;
    let snapshot = source
        .begin_with_options(TransactionOptions {
            isolation_level: (source.get_database_backend() == DatabaseBackend::Postgres)
                .then_some(IsolationLevel::RepeatableRead),
            access_mode: (source.get_database_backend() == DatabaseBackend::Postgres)
                .then_some(AccessMode::ReadOnly),
            sqlite_transaction_mode: None,
        })
        .await?;
    let writer = super::begin_write(target).await?;
    refuse_unless_empty(&writer).await?;
    keep_event_ids_ahead(&snapshot, &writer).await?;
    let triggers = Triggers::suspend(&writer).await?;
    let mut tables = Vec::new();
    macro_rules! copy_tables {
        ($($entity:ty),* $(,)?) => {
            $(tables.push(copy_table::<$entity>(&snapshot, &writer, progress).await?);)*
        };
    }
    with_copied_entities!(copy_tables);
    progress.checking();
    macro_rules! check_tables {
        ($($entity:ty),* $(,)?) => {
            let mut copied = tables.iter_mut();
            $(
                if let Some(table) = copied.next() {
                    let (rows, checksum) = checksum::<$entity>(&writer).await?;
                    table.target_checksum = checksum;
                    if rows != table.rows || table.target_checksum != table.source_checksum {
                        return Err(CopyError::Mismatch {
                            table: table.table.clone(),
                            why: format!(
                                "source {} rows, checksum {}; target {rows} rows, checksum {}",
                                table.rows, table.source_checksum, table.target_checksum
                            ),
                        });
                    }
                }
            )*
        };
    }
    with_copied_entities!(check_tables);
    triggers.restore(&writer).await?;
    continue_id_counters(&writer, &tables).await?;
    writer.commit().await?;
    snapshot.commit().await?;
    Ok(tables)
}

/// The tables of the schema (not SQLite's own).
pub async fn tables(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    let sql = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
        }
        _ => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             ORDER BY 1"
        }
    };
    strings(db, sql, Vec::new()).await
}

/// The columns of one table, by name.
async fn columns(db: &impl ConnectionTrait, table: &str) -> Result<Vec<String>, DbErr> {
    let (sql, values) = match db.get_database_backend() {
        DatabaseBackend::Postgres => (
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY 1",
            vec![table.into()],
        ),
        _ => (
            "SELECT name FROM pragma_table_info(?) ORDER BY 1",
            vec![table.into()],
        ),
    };
    strings(db, sql, values).await
}

async fn strings(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<String>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await?;
    rows.iter().map(|row| row.try_get_by_index(0)).collect()
}

/// The tables the copy writes, in its order, with the columns it writes.
fn copied_tables() -> Vec<(String, Vec<String>)> {
    fn of<E: EntityTrait>() -> (String, Vec<String>) {
        let mut columns: Vec<String> = E::Column::iter().map(|c| c.as_str().to_owned()).collect();
        columns.sort();
        (E::default().table_name().to_owned(), columns)
    }
    macro_rules! tables_of {
        ($($entity:ty),* $(,)?) => { vec![$(of::<$entity>()),*] };
    }
    with_copied_entities!(tables_of)
}

/// The names of the tables the copy writes.
pub fn copied_table_names() -> Vec<String> {
    copied_tables()
        .into_iter()
        .map(|(table, _)| table)
        .collect()
}

/// Refuses a schema with a table the copy neither writes nor leaves out on purpose, or a
/// table with other columns than the copy writes: a later release's schema would lose data.
async fn check_schema(db: &DatabaseConnection, side: &'static str) -> Result<(), CopyError> {
    let known = copied_tables();
    let unknown: Vec<String> = tables(db)
        .await?
        .into_iter()
        .filter(|table| {
            !known.iter().any(|(name, _)| name == table)
                && !NOT_COPIED.iter().any(|(name, _)| name == table)
        })
        .collect();
    if !unknown.is_empty() {
        return Err(CopyError::UnknownTables {
            side,
            tables: unknown.join(", "),
        });
    }
    for (table, written) in known {
        let present = columns(db, &table).await?;
        if present != written {
            let differing: Vec<String> = present
                .iter()
                .filter(|c| !written.contains(c))
                .chain(written.iter().filter(|c| !present.contains(c)))
                .cloned()
                .collect();
            return Err(CopyError::UnknownColumns {
                side,
                table,
                columns: differing.join(", "),
            });
        }
    }
    Ok(())
}

/// Refuses a target with any row in a table the copy writes, naming those tables.
async fn refuse_unless_empty(target: &DatabaseTransaction) -> Result<(), CopyError> {
    let mut held = Vec::new();
    for table in copied_table_names() {
        let rows = count(target, &table).await?;
        if rows > 0 {
            held.push(format!("{table}: {rows} rows"));
        }
    }
    if held.is_empty() {
        Ok(())
    } else {
        Err(CopyError::TargetNotEmpty(held.join(", ")))
    }
}

async fn count(db: &impl ConnectionTrait, table: &str) -> Result<u64, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT count(*) FROM \"{table}\""),
        ))
        .await?
        .ok_or_else(|| DbErr::Custom(format!("no count of {table}")))?;
    Ok(row.try_get_by_index::<i64>(0)?.max(0) as u64)
}

/// On a PostgreSQL target, a new event's id is its transaction's id (plus the database's
/// offset) times [`IDS_PER_TRANSACTION`]: when those ids would not be above every copied one
/// (a new cluster's transaction counter is behind an old one's), raises the target's offset so
/// that they are, since a client following `after=` would never see the new events otherwise.
/// (SQLite continues after the highest id; a copy within one cluster, or from SQLite, is
/// usually ahead already.)
async fn keep_event_ids_ahead(
    source: &DatabaseTransaction,
    target: &DatabaseTransaction,
) -> Result<(), DbErr> {
    if target.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let highest: Option<i64> = invoice_event::Entity::find()
        .select_only()
        .column_as(invoice_event::Column::Id.max(), "highest")
        .into_tuple()
        .one(source)
        .await?
        .flatten();
    let Some(highest) = highest else {
        return Ok(());
    };
    let row = target
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            format!(
                "SELECT pg_current_xact_id()::text::bigint, {}",
                super::events::OFFSET
            ),
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("no transaction id".into()))?;
    let (transaction, offset): (i64, i64) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
    // Every later transaction of the cluster has a larger id than this one.
    let first_new = transaction.saturating_add(offset);
    let needed = highest / IDS_PER_TRANSACTION + 1;
    if first_new >= needed {
        return Ok(());
    }
    target
        .execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "UPDATE invoice_event_id_offset SET transactions = $1",
            [(needed - transaction).into()],
        ))
        .await?;
    Ok(())
}

/// Copies one table in id order, one multi-row INSERT per batch; returns its row count and
/// the checksum of the rows read.
async fn copy_table<E>(
    source: &DatabaseTransaction,
    target: &DatabaseTransaction,
    progress: &mut dyn Progress,
) -> Result<TableCopy, CopyError>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let table = E::default().table_name().to_owned();
    let total = count(source, &table).await?;
    progress.start(&table, total);
    let batch = BATCH_ROWS.min(BATCH_PARAMETERS / E::Column::iter().count().max(1));
    let mut pages = Pages::<E>::new(batch);
    let mut hasher = Sha256::new();
    let mut rows = 0;
    while let Some(written) = pages.next(source).await? {
        rows += written.len() as u64;
        for row in &written {
            hash_row::<E>(&mut hasher, row);
        }
        E::insert_many(written)
            .exec_without_returning(target)
            .await?;
        if rows < total {
            progress.advanced(rows);
        }
    }
    progress.advanced(rows);
    Ok(TableCopy {
        table,
        rows,
        source_checksum: short_hex(hasher),
        target_checksum: String::new(),
    })
}

/// A table's rows in id order, a batch at a time, each row as the copy writes it
/// ([`normalized`]): what the copy reads from the source and the check reads back.
struct Pages<E: EntityTrait> {
    batch: usize,
    after: Option<i64>,
    entity: std::marker::PhantomData<E>,
}

impl<E> Pages<E>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E>,
{
    fn new(batch: usize) -> Self {
        Pages {
            batch,
            after: None,
            entity: std::marker::PhantomData,
        }
    }

    /// The rows after the last batch; `None` when there are no more.
    async fn next(
        &mut self,
        db: &DatabaseTransaction,
    ) -> Result<Option<Vec<E::ActiveModel>>, DbErr> {
        let id = id_column::<E>()?;
        let mut query = E::find().order_by_asc(id).limit(self.batch as u64);
        if let Some(after) = self.after {
            query = query.filter(id.gt(after));
        }
        let page = query.all(db).await?;
        let Some(last) = page.last() else {
            return Ok(None);
        };
        self.after = Some(id_of::<E>(last)?);
        Ok(Some(page.into_iter().map(normalized::<E>).collect()))
    }
}

/// The row count and checksum of a table as `db` holds it, read as [`copy_table`] reads.
async fn checksum<E>(db: &DatabaseTransaction) -> Result<(u64, String), DbErr>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E>,
{
    let mut pages = Pages::<E>::new(BATCH_ROWS);
    let mut hasher = Sha256::new();
    let mut rows = 0;
    while let Some(read) = pages.next(db).await? {
        rows += read.len() as u64;
        for row in &read {
            hash_row::<E>(&mut hasher, row);
        }
    }
    Ok((rows, short_hex(hasher)))
}

fn short_hex(hasher: Sha256) -> String {
    hex::encode(&hasher.finalize()[..8])
}

/// A row as the copy writes it: timestamps to the microsecond, PostgreSQL's precision (SQLite
/// keeps nanoseconds as text; the API shows milliseconds), so a copy either way holds the
/// same values and checks equal.
fn normalized<E>(model: E::Model) -> E::ActiveModel
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E>,
{
    let mut row = model.into_active_model();
    for column in E::Column::iter() {
        if let Some(Value::ChronoDateTimeUtc(Some(at))) = row.get(column).into_value() {
            let micros = at.timestamp_micros();
            if let Some(truncated) = chrono::DateTime::from_timestamp_micros(micros) {
                row.set(column, Value::ChronoDateTimeUtc(Some(truncated)));
            }
        }
    }
    row
}

/// Adds one row's values, column by column, to a checksum. A decimal counts by its value, not
/// its scale: PostgreSQL's `NUMERIC(14, 2)` keeps `12500` as `12500.00` (the API shows both as
/// `12500`).
fn hash_row<E>(hasher: &mut Sha256, row: &E::ActiveModel)
where
    E: EntityTrait,
    E::ActiveModel: ActiveModelTrait<Entity = E>,
{
    for column in E::Column::iter() {
        let value = match row.get(column).into_value() {
            Some(Value::Decimal(Some(decimal))) => Some(Value::Decimal(Some(decimal.normalize()))),
            other => other,
        };
        hasher.update(format!("{value:?}\u{1f}"));
    }
    hasher.update("\n");
}

/// Every copied table has one integer primary key, `id`.
fn id_column<E: EntityTrait>() -> Result<E::Column, DbErr> {
    let mut keys = E::PrimaryKey::iter();
    match (keys.next(), keys.next()) {
        (Some(key), None) => Ok(key.into_column()),
        _ => Err(DbErr::Custom(format!(
            "table {} has no single-column primary key",
            E::default().table_name()
        ))),
    }
}

fn id_of<E: EntityTrait>(model: &E::Model) -> Result<i64, DbErr>
where
    E::Model: sea_orm::ModelTrait<Entity = E>,
{
    use sea_orm::ModelTrait;
    match model.get(id_column::<E>()?) {
        Value::BigInt(Some(id)) => Ok(id),
        Value::Int(Some(id)) => Ok(id.into()),
        other => Err(DbErr::Custom(format!(
            "table {}: an id that is not an integer ({other:?})",
            E::default().table_name()
        ))),
    }
}

/// The target's triggers, off while the copy writes (inside its transaction, so a failed copy
/// leaves them as they were).
enum Triggers {
    /// PostgreSQL: `ALTER TABLE … DISABLE TRIGGER USER` on these tables.
    Disabled(Vec<String>),
    /// SQLite has no switch: the triggers are dropped and made again from their definitions.
    Dropped(Vec<String>),
}

impl Triggers {
    async fn suspend(db: &DatabaseTransaction) -> Result<Self, DbErr> {
        if db.get_database_backend() == DatabaseBackend::Postgres {
            let tables = copied_table_names();
            for table in &tables {
                db.execute_unprepared(&format!("ALTER TABLE \"{table}\" DISABLE TRIGGER USER"))
                    .await?;
            }
            return Ok(Triggers::Disabled(tables));
        }
        let rows = db
            .query_all_raw(Statement::from_string(
                DatabaseBackend::Sqlite,
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name",
            ))
            .await?;
        let mut definitions = Vec::new();
        for row in rows {
            let name: String = row.try_get_by_index(0)?;
            definitions.push(row.try_get_by_index::<String>(1)?);
            db.execute_unprepared(&format!("DROP TRIGGER \"{name}\""))
                .await?;
        }
        Ok(Triggers::Dropped(definitions))
    }

    async fn restore(self, db: &DatabaseTransaction) -> Result<(), DbErr> {
        match self {
            Triggers::Disabled(tables) => {
                for table in tables {
                    db.execute_unprepared(&format!("ALTER TABLE \"{table}\" ENABLE TRIGGER USER"))
                        .await?;
                }
            }
            Triggers::Dropped(definitions) => {
                for definition in definitions {
                    db.execute_unprepared(&definition).await?;
                }
            }
        }
        Ok(())
    }
}

/// Every table's id counter continues after its highest id (`store::ids`).
async fn continue_id_counters(db: &DatabaseTransaction, tables: &[TableCopy]) -> Result<(), DbErr> {
    for table in tables.iter().filter(|table| table.rows > 0) {
        super::ids::continue_after_highest(db, &table.table).await?;
    }
    Ok(())
}
