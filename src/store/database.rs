//! Opening the database and bringing its schema up to date.

use anyhow::Context;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::sqlx::{self, Connection as _};
use sea_orm::{ConnectOptions, Database, DatabaseBackend, DatabaseConnection, DbErr, RuntimeErr};
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

/// The embedded default: a SQLite file in the working directory, created on first use.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://invoices.db";

/// Connections per node when not configured. SQLite: a few serve concurrent reads (writes take
/// turns anyway). PostgreSQL: 8, measured on 2 cores against 4 and 16: 16 connections had the
/// same throughput but a p99 two to seven times longer (BENCHMARKS.md), and a smaller pool per
/// node leaves room under the server's `max_connections` for more nodes.
pub const DEFAULT_SQLITE_POOL_SIZE: u32 = 4;
pub const DEFAULT_POSTGRES_POOL_SIZE: u32 = 8;

/// Opens a pool on `url` (`sqlite://…` or `postgres://…`) of `pool_size` connections at most
/// (`None`: the backend's default).
pub async fn connect(
    url: &str,
    pool_size: Option<NonZeroU32>,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5));
    if url.starts_with("sqlite:") {
        // SQLite allows one writer at a time: creates take turns in the server (`WriteTurns`),
        // other writers queue on the busy timeout instead of failing with "database is locked".
        // WAL lets readers go on during a write. synchronous=NORMAL in WAL mode never loses a
        // committed transaction when the process crashes (only on power loss or an OS crash
        // may the last commits roll back), which is what an acknowledged 201 needs.
        options
            .max_connections(pool_size.map_or(DEFAULT_SQLITE_POOL_SIZE, NonZeroU32::get))
            .min_connections(1);
        options.map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    } else {
        options
            .max_connections(pool_size.map_or(DEFAULT_POSTGRES_POOL_SIZE, NonZeroU32::get))
            .min_connections(1);
    }
    Database::connect(options).await
}

/// Turns for the hot write (the one-statement create) on SQLite, which takes one writer at a
/// time. Left to SQLite, concurrent writers each open a read snapshot and then poll for the
/// write lock (the busy timeout); with every connection of the pool doing that, checkpoints
/// could not restart the WAL, which grew past 300 MB in 15 s of creates. Writers on this node
/// take turns here instead, in arrival order, and the WAL stays at its 4 MB checkpoint size.
/// PostgreSQL needs no turns.
#[derive(Clone, Default)]
pub struct WriteTurns(Option<Arc<Turns>>);

/// The one turn, and how many writers wait for it.
struct Turns {
    turn: Semaphore,
    waiting: AtomicUsize,
}

/// Counts a writer as waiting until dropped (also when its request is cancelled).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl WriteTurns {
    pub fn for_backend(backend: DatabaseBackend) -> Self {
        WriteTurns((backend == DatabaseBackend::Sqlite).then(|| {
            Arc::new(Turns {
                turn: Semaphore::new(1),
                waiting: AtomicUsize::new(0),
            })
        }))
    }

    /// Waits for this writer's turn, which lasts until the permit is dropped (`None`: no
    /// turns on this backend).
    pub async fn take(&self) -> Option<SemaphorePermit<'_>> {
        let turns = self.0.as_ref()?;
        turns.waiting.fetch_add(1, Ordering::Relaxed);
        let _waiting = Waiting(&turns.waiting);
        // The semaphore is never closed, so acquiring only fails if it were: go on unqueued.
        turns.turn.acquire().await.ok()
    }

    /// How many writers wait for their turn now (always 0 on PostgreSQL).
    pub fn waiting(&self) -> usize {
        self.0
            .as_ref()
            .map_or(0, |turns| turns.waiting.load(Ordering::Relaxed))
    }
}

/// Key of the PostgreSQL advisory lock that serialises migrations across nodes.
const MIGRATION_LOCK_KEY: i64 = 0x696e_766f_6963_6573; // "invoices"

/// Applies every pending migration, or leaves a newer schema this release may serve as it is
/// (`store::schema`). On PostgreSQL, nodes starting together take turns: each holds a
/// session-level advisory lock on a connection of its own while it migrates, and the lock goes
/// away with that session even if the node dies.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return super::schema::migrate_if_ours(db).await;
    }
    // The lock's session is a connection of its own, outside the pool: the migrations need a
    // pooled connection while the lock is held, and the pool may have only one.
    let options = db.get_postgres_connection_pool().connect_options();
    let mut lock_session = sqlx::PgConnection::connect_with(&options)
        .await
        .map_err(|e| DbErr::Conn(RuntimeErr::SqlxError(e.into())))?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK_KEY)
        .execute(&mut lock_session)
        .await
        .map_err(|e| DbErr::Exec(RuntimeErr::SqlxError(e.into())))?;
    let migrated = super::schema::migrate_if_ours(db).await;
    // Closing the session releases the lock server-side even if the unlock fails.
    let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATION_LOCK_KEY)
        .execute(&mut lock_session)
        .await;
    let _ = lock_session.close().await;
    migrated
}

/// SQLite has no advisory lock: processes opening one file together take turns on an
/// exclusive lock of a file beside it (`<database>.migrate-lock`), held from before the first
/// connection (switching a new file to WAL needs the database to itself) until migrations are
/// done, and released when dropped. `None` for anything but a SQLite file.
async fn sqlite_startup_lock(url: &str) -> Result<Option<std::fs::File>, DbErr> {
    let Ok(options) = SqliteConnectOptions::from_str(url) else {
        return Ok(None);
    };
    let path = options.get_filename().to_string_lossy().into_owned();
    if !url.starts_with("sqlite:") || path.is_empty() || path == ":memory:" {
        return Ok(None);
    }
    let lock_path = format!("{path}.migrate-lock");
    tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)?;
        file.lock()?;
        Ok(file)
    })
    .await
    .map_err(|e| DbErr::Custom(format!("startup lock task failed: {e}")))?
    .map(Some)
    .map_err(|e| DbErr::Custom(format!("could not take the startup lock: {e}")))
}

/// Opens the database with the default pool and migrates it: what every command does first.
pub async fn open(url: &str) -> anyhow::Result<DatabaseConnection> {
    open_with_pool(url, None).await
}

/// Opens the database with a pool of `pool_size` connections at most (`None`: the default)
/// and migrates it. Errors name the database (without its password) and say why.
pub async fn open_with_pool(
    url: &str,
    pool_size: Option<NonZeroU32>,
) -> anyhow::Result<DatabaseConnection> {
    reachable(url)
        .await
        .map_err(|why| anyhow::anyhow!("cannot open {}: {why}", redacted(url)))?;
    let context = || format!("cannot open {}", redacted(url));
    let startup_lock = sqlite_startup_lock(url).await.with_context(context)?;
    let db = connect(url, pool_size).await.with_context(context)?;
    migrate(&db)
        .await
        .map_err(|err| match err {
            // A refusal of the schema (store::schema) says itself what to do.
            DbErr::Custom(why) => anyhow::anyhow!(why),
            other => other.into(),
        })
        .with_context(|| format!("cannot migrate {}", redacted(url)))?;
    drop(startup_lock);
    Ok(db)
}

/// Opens the database for a read-only node: without migrating it, and only when its schema is
/// one this release serves as it is (current, or newer by expand steps).
pub async fn open_read_only(
    url: &str,
    pool_size: Option<NonZeroU32>,
) -> anyhow::Result<DatabaseConnection> {
    reachable(url)
        .await
        .map_err(|why| anyhow::anyhow!("cannot open {}: {why}", redacted(url)))?;
    let db = connect(url, pool_size)
        .await
        .with_context(|| format!("cannot open {}", redacted(url)))?;
    super::schema::servable_as_it_is(&db)
        .await
        .map_err(|err| match err {
            DbErr::Custom(why) => anyhow::anyhow!(why),
            other => other.into(),
        })
        .with_context(|| format!("cannot serve {} read-only", redacted(url)))?;
    Ok(db)
}

/// Opens the database without migrating it (for `migrate --status`).
pub async fn open_unmigrated(url: &str) -> anyhow::Result<DatabaseConnection> {
    reachable(url)
        .await
        .map_err(|why| anyhow::anyhow!("cannot open {}: {why}", redacted(url)))?;
    connect(url, NonZeroU32::new(1))
        .await
        .with_context(|| format!("cannot open {}", redacted(url)))
}

/// How long one attempt to reach the database server may take before it is reported.
const FIRST_CONTACT_TIMEOUT: Duration = Duration::from_secs(5);

/// Fails at once, saying why, when the database can't be reached: a SQLite file in a folder
/// that doesn't exist; a PostgreSQL server that refuses the connection, an unknown host, a
/// failed authentication, a missing database. The pool itself only reports that it timed out
/// waiting for a connection. The URL is shown without its password.
async fn reachable(url: &str) -> Result<(), String> {
    if url.starts_with("sqlite:") {
        let Ok(options) = SqliteConnectOptions::from_str(url) else {
            return Ok(());
        };
        let file = options.get_filename();
        let folder = match file.parent() {
            Some(folder) if !folder.as_os_str().is_empty() => folder,
            _ => return Ok(()),
        };
        if file.as_os_str() != ":memory:" && !folder.is_dir() {
            return Err(format!("the folder {} does not exist", folder.display()));
        }
        return Ok(());
    }
    if url.starts_with("postgres") {
        let attempt = tokio::time::timeout(FIRST_CONTACT_TIMEOUT, sqlx::PgConnection::connect(url));
        return match attempt.await {
            Ok(Ok(connection)) => {
                let _ = connection.close().await;
                Ok(())
            }
            Ok(Err(err)) => Err(postgres_failure(&err)),
            Err(_) => Err(format!(
                "no answer within {} s",
                FIRST_CONTACT_TIMEOUT.as_secs()
            )),
        };
    }
    Ok(())
}

/// Why PostgreSQL could not be reached, in the words an operator acts on.
fn postgres_failure(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused (is the server running, on that host and port?)".to_owned()
        }
        sqlx::Error::Io(io) => format!("{io} (is the host name right?)"),
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("28P01") | Some("28000") => format!("authentication failed: {}", db.message()),
            Some("3D000") => format!("no such database: {}", db.message()),
            _ => db.message().to_owned(),
        },
        other => other.to_string(),
    }
}

/// `url` with its password, if any, replaced by `***`.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{DatabaseBackend, WriteTurns, redacted};

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            redacted("postgres://app:s3cret@db:5432/invoices"),
            "postgres://app:***@db:5432/invoices"
        );
        assert_eq!(
            redacted("postgres://app@db/invoices"),
            "postgres://app@db/invoices"
        );
        assert_eq!(redacted("sqlite://invoices.db"), "sqlite://invoices.db");
    }

    #[tokio::test]
    async fn writers_waiting_for_the_turn_are_counted_until_they_get_it_or_give_up() {
        let turns = WriteTurns::for_backend(DatabaseBackend::Sqlite);
        let first = turns.take().await;
        assert!(first.is_some());
        assert_eq!(turns.waiting(), 0);
        let second = {
            let turns = turns.clone();
            tokio::spawn(async move { turns.take().await.is_some() })
        };
        let cancelled = {
            let turns = turns.clone();
            tokio::spawn(async move { turns.take().await.is_some() })
        };
        while turns.waiting() < 2 {
            tokio::task::yield_now().await;
        }
        cancelled.abort();
        let _ = cancelled.await;
        assert_eq!(turns.waiting(), 1);
        drop(first);
        assert!(second.await.expect("joined"));
        assert_eq!(turns.waiting(), 0);
        assert_eq!(
            WriteTurns::for_backend(DatabaseBackend::Postgres).waiting(),
            0
        );
    }
}
