//! A per-token request budget: `limit` requests a minute.
//!
//! - On SQLite (one node) it is kept in this node's memory, as a token bucket: bursts of up to
//!   `limit`, refilled continuously.
//! - On PostgreSQL every node shares it through the database, per calendar minute (UTC, from
//!   second 0): a node takes the budget in leases of [`lease_size`] requests from the shared
//!   count (`store::rate_limit`, one statement per lease) and admits a request only against a
//!   unit it holds. So all nodes together never admit more than `limit` in a minute. A node's
//!   leftover units (the token's next requests went to other nodes) are lost when the minute
//!   ends: the token may then get up to `nodes × (lease − 1)` fewer requests in that minute.

use crate::store::rate_limit as shared;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How many requests of its budget a node takes at once on PostgreSQL: a twentieth of the
/// limit, from 1 to 50, so a token costs the database one statement per that many requests.
pub fn lease_size(limit: NonZeroU32) -> u32 {
    (limit.get() / 20).clamp(1, 50)
}

/// The budget of every token, where the database says it is kept.
pub enum TokenRateLimiter {
    /// This node's memory: SQLite.
    InMemory {
        limiter: DefaultKeyedRateLimiter<String>,
        clock: DefaultClock,
    },
    /// Shared through PostgreSQL by every node.
    Shared(SharedBudget),
}

impl TokenRateLimiter {
    /// `limit` requests a minute per token, kept as fits `db` (see the module's documentation).
    pub fn per_minute(limit: NonZeroU32, db: &DatabaseConnection) -> Self {
        match db.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                TokenRateLimiter::Shared(SharedBudget::new(db.clone(), limit))
            }
            _ => Self::in_memory(limit),
        }
    }

    /// `limit` requests a minute per token, counted by this node alone.
    pub fn in_memory(limit: NonZeroU32) -> Self {
        TokenRateLimiter::InMemory {
            limiter: governor::RateLimiter::dashmap(Quota::per_minute(limit)),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one request from the token's budget; when it is spent, how long until the next
    /// request is allowed.
    pub async fn check(&self, token_hash: &str) -> Result<(), Duration> {
        match self {
            TokenRateLimiter::InMemory { limiter, clock } => limiter
                .check_key(&token_hash.to_owned())
                .map_err(|not_until| not_until.wait_time_from(clock.now())),
            TokenRateLimiter::Shared(budget) => budget.check(token_hash).await,
        }
    }

    /// Forgets what is no longer needed (called once a minute): in memory, tokens whose budget
    /// is full again (unknown ones too: the budget is taken before the token is looked up); on
    /// PostgreSQL, this node's leases of past minutes and the shared counts of minutes before
    /// the last.
    pub async fn forget_idle(&self) {
        match self {
            TokenRateLimiter::InMemory { limiter, .. } => limiter.retain_recent(),
            TokenRateLimiter::Shared(budget) => budget.forget_past().await,
        }
    }
}

/// What this node holds of a token's budget in one minute.
#[derive(Clone, Copy, Debug, Default)]
struct Lease {
    window: i64,
    /// Requests it may still admit without asking the database.
    units: u32,
    /// The shared count reached the limit: once `units` are used, refuse until the minute ends.
    spent: bool,
}

/// The budget shared through PostgreSQL (see the module's documentation).
pub struct SharedBudget {
    db: DatabaseConnection,
    limit: NonZeroU32,
    /// Each token's lease on this node, behind a lock of its own: one lease is taken at a time
    /// per token, so a node holds at most `lease − 1` units it may not use.
    leases: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Lease>>>>,
}

/// The current minute, since the Unix epoch, and the time left in it.
fn minute_now() -> (i64, Duration) {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let window = i64::try_from(since_epoch.as_secs() / 60).unwrap_or(i64::MAX);
    let into = Duration::from_secs(since_epoch.as_secs() % 60)
        + Duration::from_nanos(u64::from(since_epoch.subsec_nanos()));
    (window, Duration::from_secs(60).saturating_sub(into))
}

impl SharedBudget {
    fn new(db: DatabaseConnection, limit: NonZeroU32) -> Self {
        SharedBudget {
            db,
            limit,
            leases: Mutex::default(),
        }
    }

    /// The map of leases; a panic while it was held leaves plain entries behind: still usable.
    fn leases(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<tokio::sync::Mutex<Lease>>>> {
        self.leases
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn check(&self, token_hash: &str) -> Result<(), Duration> {
        let slot = Arc::clone(self.leases().entry(token_hash.to_owned()).or_default());
        let mut lease = slot.lock().await;
        let (window, left) = minute_now();
        if lease.window != window {
            *lease = Lease {
                window,
                ..Lease::default()
            };
        }
        if lease.units == 0 && !lease.spent {
            let size = lease_size(self.limit);
            match shared::lease(&self.db, token_hash, window, size, self.limit.get()).await {
                Ok(Some(granted)) => {
                    lease.units = granted;
                    lease.spent = granted < size;
                }
                // No such token: its 401 follows, and this node keeps nothing of it.
                Ok(None) => {
                    drop(lease);
                    self.leases().remove(token_hash);
                    return Ok(());
                }
                // The request meets the same database next and gets its own answer; the budget
                // is not a reason to refuse it.
                Err(err) => {
                    tracing::warn!(error = %err, "could not take a rate-limit lease; admitting");
                    return Ok(());
                }
            }
        }
        match lease.units.checked_sub(1) {
            Some(rest) => {
                lease.units = rest;
                Ok(())
            }
            None => Err(left),
        }
    }

    async fn forget_past(&self) {
        let (window, _) = minute_now();
        // A lease being taken now is kept; the others are dropped once their minute is over.
        self.leases()
            .retain(|_, slot| slot.try_lock().map_or(true, |lease| lease.window == window));
        if let Err(err) = shared::purge_before(&self.db, window - 1).await {
            tracing::warn!(error = %err, "could not purge past rate-limit counts");
        }
    }
}
