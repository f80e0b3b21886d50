//! A per-token request budget, kept in this node's memory.
//!
//! With several nodes behind a load balancer each node keeps its own budget, so a token may
//! get up to `nodes × limit` requests a minute in all.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;

/// Requests per minute per token, with bursts of up to the same number. Tokens are known by
/// their hash, which is at hand before the token is looked up.
pub struct TokenRateLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl TokenRateLimiter {
    pub fn per_minute(limit: NonZeroU32) -> Self {
        TokenRateLimiter {
            limiter: RateLimiter::dashmap(Quota::per_minute(limit)),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one request from the token's budget; when it is spent, how long until the next
    /// request is allowed.
    pub fn check(&self, token_hash: &str) -> Result<(), Duration> {
        self.limiter
            .check_key(&token_hash.to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Forgets tokens whose budget is full again, so memory follows the tokens seen lately
    /// (unknown ones too: the budget is taken before the token is looked up).
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
    }
}
