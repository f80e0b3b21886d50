//! Settings shared by every command, from flags or the environment.

use crate::store::database::DEFAULT_DATABASE_URL;

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
}

impl Settings {
    pub fn new(database_url: Option<String>, bind: impl Into<String>) -> Self {
        Settings {
            database_url: database_url.unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            bind: bind.into(),
        }
    }
}
