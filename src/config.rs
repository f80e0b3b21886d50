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
    /// Web origins whose pages may call the API from a browser (CORS); none by default.
    pub cors_allowed_origins: Vec<String>,
    /// Where the metrics are served (`GET /metrics`); nowhere by default.
    pub metrics_bind: Option<String>,
    /// How webhooks are delivered.
    pub webhooks: crate::webhooks::WebhookSettings,
    /// Serve reads only (`--read-only`).
    pub read_only: bool,
}

impl Settings {
    pub fn new(database_url: Option<String>, bind: impl Into<String>, limits: Limits) -> Self {
        Settings {
            database_url: database_url.unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            bind: bind.into(),
            limits,
            database_pool_size: None,
            cors_allowed_origins: Vec::new(),
            metrics_bind: None,
            webhooks: crate::webhooks::WebhookSettings::default(),
            read_only: false,
        }
    }
}

/// A web origin as browsers send it in `Origin`: `http` or `https`, a host, an optional port,
/// nothing after (`https://app.example.com`, `http://localhost:3000`).
pub fn parse_origin(raw: &str) -> Result<String, String> {
    let rest = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))
        .ok_or_else(|| {
            format!("{raw:?} is not an origin: it must start with https:// or http://")
        })?;
    let well_formed = !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if well_formed {
        Ok(raw.to_owned())
    } else {
        Err(format!(
            "{raw:?} is not an origin: a scheme, a host and an optional port, with no path"
        ))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_a_scheme_a_host_and_a_port_at_most() {
        for ok in [
            "https://app.example.com",
            "http://localhost:3000",
            "http://[::1]:8080",
        ] {
            assert_eq!(parse_origin(ok).as_deref(), Ok(ok));
        }
        for bad in [
            "app.example.com",
            "https://",
            "https://app.example.com/",
            "https://app.example.com/path",
            "ftp://x",
            "*",
            "https://a b",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }
}
