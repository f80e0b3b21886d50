//! Structured logs with tracing-subscriber, to stderr.

use crate::config::LogFormat;
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// What the server logs unless `RUST_LOG` says otherwise. PostgreSQL's "already exists,
/// skipping" notices from start-up migrations are not worth a line.
pub const SERVER_FILTER: &str =
    "info,sqlx=warn,sqlx::postgres::notice=warn,sea_orm=warn,sea_orm_migration=warn";

/// What operator commands log: only problems, so stdout and stderr stay readable.
pub const COMMAND_FILTER: &str = "warn,sqlx::postgres::notice=error";

/// Installs the global subscriber once; later calls change nothing.
pub fn init(format: LogFormat, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _already_set = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// A client's request id is kept when it is 1–128 visible ASCII characters.
pub fn acceptable_request_id(value: &[u8]) -> Option<String> {
    let ok = !value.is_empty() && value.len() <= 128 && value.iter().all(u8::is_ascii_graphic);
    ok.then(|| String::from_utf8_lossy(value).into_owned())
}

/// A fresh request id: 32 hexadecimal digits.
pub fn new_request_id() -> String {
    use rand::RngExt;
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
