//! When this node last refreshed each token's `last_used_at` on the path that doesn't read the
//! token row.

use crate::store::access;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

/// When this node last refreshed each token's `last_used_at` on a path that doesn't read the
/// token row (the one-statement create), so that path writes it at most once a minute per
/// token, as the lookup in `store::access` does. Holds only tokens that were valid.
#[derive(Default)]
pub struct LastUsedMemo {
    refreshed: Mutex<HashMap<String, DateTime<Utc>>>,
}

impl LastUsedMemo {
    /// Whether `last_used_at` is due for a refresh at `now`; when it is, records it as done.
    pub fn take_due(&self, token_hash: &str, now: DateTime<Utc>) -> bool {
        let Ok(mut refreshed) = self.refreshed.lock() else {
            return true;
        };
        match refreshed.get_mut(token_hash) {
            Some(at) if now - *at < access::LAST_USED_GRANULARITY => false,
            Some(at) => {
                *at = now;
                true
            }
            None => {
                refreshed.insert(token_hash.to_owned(), now);
                true
            }
        }
    }

    /// Forgets tokens not refreshed lately, so memory follows the active tokens.
    pub fn forget_idle(&self, now: DateTime<Utc>) {
        if let Ok(mut refreshed) = self.refreshed.lock() {
            refreshed.retain(|_, at| now - *at < access::LAST_USED_GRANULARITY);
        }
    }
}
