//! Settings shared by every command, from flags or the environment.

pub use crate::connections::ConnectionLimits;
use crate::store::database::DEFAULT_DATABASE_URL;
use std::num::NonZeroU32;
use std::time::Duration;

/// How log lines are written (to stderr).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per event, for log collectors.
    Json,
}

/// What `serve` needs.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// Address to listen on; port 0 picks a free port.
    pub bind: String,
    pub limits: Limits,
    /// Database connections of this node at most; `None` is the backend's default.
    pub database_pool_size: Option<NonZeroU32>,
}

impl Settings {
    pub fn new(database_url: Option<String>, bind: impl Into<String>, limits: Limits) -> Self {
        Settings {
            database_url: database_url.unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            bind: bind.into(),
            limits,
            database_pool_size: None,
        }
    }
}

/// What protects the service from oversized, slow or too many requests.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest request body accepted (413 above).
    pub max_body_bytes: usize,
    /// Longest a request may take, reading its body included (503 after).
    pub request_timeout: Duration,
    /// Requests per minute per token (429 above); `None` is no limit.
    pub rate_limit_per_minute: Option<NonZeroU32>,
    /// How long a request head may take, and how many connections may be open.
    pub connections: ConnectionLimits,
    /// Streams one HTTP/2 connection may have open at once (more are refused).
    pub http2_max_streams: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 64 * 1024,
            request_timeout: Duration::from_secs(30),
            rate_limit_per_minute: None,
            connections: ConnectionLimits::default(),
            http2_max_streams: 32,
        }
    }
}
