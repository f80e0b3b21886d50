//! A database that cannot take writes for now, through no fault of the request: it is full,
//! read-only, out of memory, or takes no more connections (which stops reads too). Such a refusal passes when there is
//! room again (an operator frees disk, a standby is promoted, connections close), without a
//! restart, so the API answers it as a 503 to retry, not as a bug; and this node remembers it
//! for `/health` and logs it without flooding the log.

use sea_orm::sqlx::postgres::PgDatabaseError;
use sea_orm::sqlx::sqlite::SqliteError;
use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Why the storage refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StorageRefusal {
    /// No room left: SQLite's `SQLITE_FULL`, PostgreSQL's `53100 disk_full`.
    Full,
    /// It takes reads only: SQLite's `SQLITE_READONLY`, PostgreSQL's `25006
    /// read_only_sql_transaction` (a standby, or `default_transaction_read_only`).
    ReadOnly,
    /// PostgreSQL's `53200 out_of_memory`.
    OutOfMemory,
    /// No connection could be had in time: PostgreSQL's `53300 too_many_connections` (which
    /// the driver retries until the pool's acquire timeout), or every connection of this
    /// node's pool busy for as long.
    NoConnection,
}

/// SQLite's primary result codes (the low byte of an extended code).
const SQLITE_READONLY: i64 = 8;
const SQLITE_FULL: i64 = 13;

impl StorageRefusal {
    /// The refusal `err` reports, if it is one.
    pub fn of(err: &DbErr) -> Option<Self> {
        if let DbErr::ConnectionAcquire(ConnAcquireErr::Timeout) = err {
            return Some(StorageRefusal::NoConnection);
        }
        let (DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e))) = err
        else {
            return None;
        };
        let database = match e.as_ref() {
            sea_orm::sqlx::Error::Database(database) => database,
            sea_orm::sqlx::Error::PoolTimedOut => return Some(StorageRefusal::NoConnection),
            _ => return None,
        };
        if database.try_downcast_ref::<SqliteError>().is_some() {
            let code: i64 = database.code()?.parse().ok()?;
            return match code & 0xff {
                SQLITE_FULL => Some(StorageRefusal::Full),
                SQLITE_READONLY => Some(StorageRefusal::ReadOnly),
                _ => None,
            };
        }
        match database.try_downcast_ref::<PgDatabaseError>()?.code() {
            "53100" => Some(StorageRefusal::Full),
            "25006" => Some(StorageRefusal::ReadOnly),
            "53200" => Some(StorageRefusal::OutOfMemory),
            "53300" => Some(StorageRefusal::NoConnection),
            _ => None,
        }
    }

    /// Its name in `/health`, the metrics and the log.
    pub fn label(self) -> &'static str {
        match self {
            StorageRefusal::Full => "storage_full",
            StorageRefusal::ReadOnly => "storage_read_only",
            StorageRefusal::OutOfMemory => "storage_out_of_memory",
            StorageRefusal::NoConnection => "storage_no_connections",
        }
    }

    /// What a client is told: the condition, never its internals.
    pub fn message(self) -> &'static str {
        match self {
            StorageRefusal::Full => "The storage is full and cannot take writes now. Retry later.",
            StorageRefusal::ReadOnly => {
                "The storage is read-only and cannot take writes now. Retry later."
            }
            StorageRefusal::OutOfMemory => {
                "The storage is out of memory and cannot take writes now. Retry later."
            }
            StorageRefusal::NoConnection => {
                "The storage takes no more connections now and cannot answer. Retry later."
            }
        }
    }
}

/// At most one log line per this long while refusals go on (the rest are counted in it).
pub const LOG_EVERY: Duration = Duration::from_secs(10);
/// How long a refusal keeps the storage degraded when no write has gone through since.
pub const DEGRADED_FOR: Duration = Duration::from_secs(60);

/// What this node saw of the storage's refusals.
#[derive(Debug, Default)]
pub struct StorageWatch {
    state: Mutex<WatchState>,
}

#[derive(Debug, Default)]
struct WatchState {
    /// The latest refusal, unless a write went through after it.
    last: Option<(StorageRefusal, Instant)>,
    /// The latest refusal logged.
    logged: Option<(StorageRefusal, Instant)>,
    /// Refusals since then that were not logged.
    unlogged: u64,
}

impl StorageWatch {
    /// Notes a refusal, and logs it with its cause, in the caller's span (which names the
    /// request), unless one of the same kind was logged less than [`LOG_EVERY`] ago: those are
    /// counted in the next line.
    pub fn refused(&self, refusal: StorageRefusal, cause: &str) {
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.last = Some((refusal, now));
        let due = state.logged.is_none_or(|(kind, at)| {
            kind != refusal || now.saturating_duration_since(at) >= LOG_EVERY
        });
        if !due {
            state.unlogged += 1;
            return;
        }
        state.logged = Some((refusal, now));
        let unlogged = std::mem::take(&mut state.unlogged);
        drop(state);
        tracing::error!(
            reason = refusal.label(),
            error = %cause,
            refusals_not_logged = unlogged,
            "the storage cannot take requests now"
        );
    }

    /// Notes that a write went through: the storage takes writes again.
    pub fn wrote(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.last = None;
    }

    /// Why the storage is degraded now: a refusal less than [`DEGRADED_FOR`] ago, with no write
    /// through since.
    pub fn degraded(&self) -> Option<StorageRefusal> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (refusal, at) = state.last?;
        (at.elapsed() < DEGRADED_FOR).then_some(refusal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_degrades_the_storage_until_a_write_goes_through() {
        let watch = StorageWatch::default();
        assert_eq!(watch.degraded(), None);
        watch.refused(StorageRefusal::Full, "disk full");
        watch.refused(StorageRefusal::Full, "disk full");
        assert_eq!(watch.degraded(), Some(StorageRefusal::Full));
        watch.wrote();
        assert_eq!(watch.degraded(), None);
    }

    #[test]
    fn a_flood_of_refusals_is_logged_once_with_the_rest_counted() {
        let watch = StorageWatch::default();
        for _ in 0..1000 {
            watch.refused(StorageRefusal::Full, "disk full");
        }
        let state = watch.state.lock().expect("not poisoned");
        assert_eq!(state.unlogged, 999);
        assert!(matches!(state.logged, Some((StorageRefusal::Full, _))));
    }
}
