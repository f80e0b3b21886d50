//! A per-token request budget: `limit` requests a minute.
//!
//! - On SQLite (one node) it is kept in this node's memory, as a token bucket: bursts of up to
//!   `limit`, refilled continuously.
//! - On PostgreSQL every node shares it through the database, per calendar minute (UTC, from
//!   second 0): a node takes the budget in leases of [`lease_size`] requests from the shared
//!   count (`store::rate_limit`, one statement per lease) and admits a request only against a
//!   unit it holds. So all nodes together never admit more than `limit` in a minute. A lease
//!   used up within a quarter of a second makes the next one twice as large, up to
//!   [`largest_lease`] (a twentieth of the limit), so a busy token costs a few statements a
//!   second and its requests rarely wait for one; it is back to [`lease_size`] when it slows
//!   down, and each minute. A node's leftover units (the token's next requests went to other
//!   nodes) are lost when the minute ends: the token may then get up to `nodes × (lease − 1)`
//!   fewer requests in that minute, `lease` being the node's last (at most half a second of the
//!   token's requests on it, or the first size).

use crate::store::rate_limit as shared;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How many requests of its budget a node first takes at once on PostgreSQL: a twentieth of
/// the limit, from 1 to 50, so a token costs the database one statement per that many requests.
pub fn lease_size(limit: NonZeroU32) -> u32 {
    (limit.get() / 20).clamp(1, 50)
}

/// The most a node takes at once: a twentieth of the limit (at least 1).
pub fn largest_lease(limit: NonZeroU32) -> u32 {
    (limit.get() / 20).max(1)
}

/// A lease used up sooner than this after it was taken makes the next one twice as large (up
/// to [`largest_lease`]): a token busy on a node would otherwise make every request on it
/// wait, several times a second, for the statement that takes the next lease.
const LEASE_LASTS_AT_LEAST: Duration = Duration::from_millis(250);

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
    /// The last lease taken in this minute: how many it asked for, and when.
    last: Option<(u32, Instant)>,
}

impl Lease {
    /// How many to ask for next: the first size, or twice the last one's when that one was
    /// used up within [`LEASE_LASTS_AT_LEAST`] (at most `largest`).
    fn next_size(&self, first: u32, largest: u32) -> u32 {
        match self.last {
            Some((size, taken)) if taken.elapsed() < LEASE_LASTS_AT_LEAST => {
                size.saturating_mul(2).clamp(first, largest.max(first))
            }
            _ => first,
        }
    }
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
            let size = lease.next_size(lease_size(self.limit), largest_lease(self.limit));
            match shared::lease(&self.db, token_hash, window, size, self.limit.get()).await {
                Ok(Some(granted)) => {
                    lease.units = granted;
                    lease.spent = granted < size;
                    lease.last = Some((size, Instant::now()));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_used_up_quickly_makes_the_next_twice_as_large_up_to_the_largest() {
        let quick = |size| Lease {
            last: Some((size, Instant::now())),
            ..Lease::default()
        };
        assert_eq!(Lease::default().next_size(50, 5000), 50);
        assert_eq!(quick(50).next_size(50, 5000), 100);
        assert_eq!(quick(4000).next_size(50, 5000), 5000);
        assert_eq!(quick(3).next_size(3, 3), 3);
        let a_second_ago = Instant::now().checked_sub(Duration::from_secs(1));
        if let Some(taken) = a_second_ago {
            let slow = Lease {
                last: Some((800, taken)),
                ..Lease::default()
            };
            assert_eq!(slow.next_size(50, 5000), 50);
        }
    }

    #[test]
    fn leases_start_at_a_twentieth_of_the_limit_from_1_to_50_and_grow_to_a_twentieth() {
        let limit = |n| NonZeroU32::new(n).expect("not zero");
        assert_eq!((lease_size(limit(60)), largest_lease(limit(60))), (3, 3));
        assert_eq!((lease_size(limit(10)), largest_lease(limit(10))), (1, 1));
        assert_eq!(
            (lease_size(limit(100_000)), largest_lease(limit(100_000))),
            (50, 5000)
        );
    }
}
