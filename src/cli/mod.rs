//! The operator's command line.

mod admin;
mod copy;
mod migration_status;
mod output;

use crate::config::{Limits, LogFormat, Settings};
use crate::startup::Application;
use crate::store::database;
use crate::{api, demo, telemetry};
use clap::error::ErrorKind;
use clap::{Args, CommandFactory, Parser, Subcommand};
use std::ffi::OsString;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "invoices-api", version, about = "Self-hostable invoices API")]
pub struct Cli {
    /// Database to use: sqlite://FILE or postgres://… [default: sqlite://invoices.db]
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Log format on stderr.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the API (the default command).
    Serve(ServeArgs),
    /// Print the OpenAPI spec as YAML.
    Openapi,
    /// Apply pending migrations and exit (a database newer than this release by expand steps
    /// only is left as it is).
    Migrate(MigrateArgs),
    /// Copy the embedded SQLite database to a new file while the server keeps serving, check
    /// the copy, and print its path.
    Backup(BackupArgs),
    /// Copy a whole deployment into an empty database (SQLite or PostgreSQL, either way):
    /// every table, every id; checked table by table before it commits.
    Copy(CopyArgs),
    /// Create demo data (idempotent); print a fresh token and a curl line.
    Demo(DemoArgs),
    /// Manage companies, users, memberships, tokens and reference data.
    #[command(subcommand)]
    Admin(admin::Admin),
    /// Print the completion script of this command line for a shell.
    Completions(CompletionsArgs),
    /// Print the manual page (roff), as `man` reads it.
    Manpage,
}

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// List the applied and pending migrations, which of them this binary knows, and their
    /// kinds (expand or contract), and apply nothing.
    #[arg(long)]
    pub status: bool,
    /// With --status: print JSON (an array of objects) instead of a table.
    #[arg(long, requires = "status")]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct BackupArgs {
    /// The new file to write the copy to (it must not exist).
    #[arg(long)]
    pub to: std::path::PathBuf,
}

#[derive(Args, Debug)]
pub struct CopyArgs {
    /// The database to copy: sqlite://FILE or postgres://… (read in one snapshot; it may keep
    /// serving, but writes made during the copy are not copied: serve it --read-only first).
    #[arg(long)]
    pub from: String,
    /// The database to copy into: migrated first, and it must hold no data.
    #[arg(long)]
    pub to: String,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// The address the server listens on, for the curl line printed.
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Largest request body accepted, in bytes (413 above).
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 65536)]
    pub max_body_bytes: usize,
    /// Longest a request may take, in seconds (503 after).
    #[arg(long, env = "REQUEST_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout_secs: u64,
    /// Requests per minute per token (429 above); 0 means no limit.
    #[arg(long, env = "RATE_LIMIT_PER_MINUTE", default_value_t = 0)]
    pub rate_limit_per_minute: u32,
    /// Database connections of this node at most; 0 means the default (SQLite 4, PostgreSQL 8).
    /// With several nodes on one PostgreSQL, keep nodes × size under its `max_connections`.
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = 0)]
    pub database_pool_size: u32,
    /// Longest a request head (request line and headers) may take to arrive, in seconds; the
    /// connection is dropped after.
    #[arg(long, env = "HEAD_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub head_timeout_secs: u64,
    /// Open connections at most; more wait in the listen backlog.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Open connections at most from one client IP address; more are closed at once.
    #[arg(long, env = "MAX_CONNECTIONS_PER_CLIENT", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections_per_client: u32,
    /// A web origin whose pages may call the API from a browser (CORS), such as
    /// `https://app.example.com`; repeat the flag, or separate origins with commas in the
    /// variable. None by default: browsers then refuse cross-origin calls.
    #[arg(long = "cors-allow-origin", env = "CORS_ALLOW_ORIGINS", value_delimiter = ',', value_parser = crate::config::parse_origin)]
    pub cors_allow_origins: Vec<String>,
    /// Streams one HTTP/2 connection may have open at once.
    #[arg(long, env = "HTTP2_MAX_STREAMS", default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..))]
    pub http2_max_streams: u32,
    /// Address to serve Prometheus metrics on (`GET /metrics`), apart from the API's listener;
    /// off by default.
    #[arg(long, env = "METRICS_BIND")]
    pub metrics_bind: Option<String>,
    /// The waits before each retry of a failed webhook delivery, separated by commas; their
    /// number is the number of retries (at most 20, each from 1ms to 7 days).
    #[arg(long, env = "WEBHOOK_RETRY_SCHEDULE", default_value = crate::webhooks::DEFAULT_RETRY_SCHEDULE, value_parser = crate::webhooks::parse_schedule)]
    pub webhook_retry_schedule: crate::webhooks::RetrySchedule,
    /// Serve reads only, as during a move to another database (README, "Moving to
    /// PostgreSQL"): every write answers 503 `unavailable` with `Retry-After`; the node
    /// migrates nothing (the schema must be current) and delivers no webhooks.
    #[arg(long, env = "READ_ONLY", default_value_t = false)]
    pub read_only: bool,
}

impl ServeArgs {
    fn limits(&self) -> Limits {
        Limits {
            max_body_bytes: self.max_body_bytes,
            request_timeout: std::time::Duration::from_secs(self.request_timeout_secs),
            rate_limit_per_minute: std::num::NonZeroU32::new(self.rate_limit_per_minute),
            connections: crate::config::ConnectionLimits {
                head_timeout: std::time::Duration::from_secs(self.head_timeout_secs),
                max_connections: self.max_connections as usize,
                max_connections_per_client: self.max_connections_per_client as usize,
            },
            http2_max_streams: self.http2_max_streams,
        }
    }
}

/// Runs the command line; errors print one line on stderr and exit non-zero.
pub fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let cli = match parse(&args) {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            // --help and --version
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("{}", one_line(&err, &args));
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: could not start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", format!("{err:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

/// Runs one parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let Some(command) = cli.command else {
        anyhow::bail!("no command given");
    };
    let filter = match command {
        Command::Serve(_) => telemetry::SERVER_FILTER,
        _ => telemetry::COMMAND_FILTER,
    };
    telemetry::init(cli.log_format, filter);
    let database_url = cli
        .database_url
        .unwrap_or_else(|| database::DEFAULT_DATABASE_URL.to_owned());
    let db = || database::open(&database_url);
    match command {
        Command::Serve(args) => {
            let settings = Settings {
                database_pool_size: std::num::NonZeroU32::new(args.database_pool_size),
                cors_allowed_origins: args.cors_allow_origins.clone(),
                metrics_bind: args.metrics_bind.clone(),
                webhooks: crate::webhooks::WebhookSettings {
                    retry_schedule: args.webhook_retry_schedule.clone(),
                    ..Default::default()
                },
                read_only: args.read_only,
                ..Settings::new(Some(database_url.clone()), &args.bind, args.limits())
            };
            let app = Application::build(&settings).await?;
            app.run_until_stopped().await
        }
        Command::Openapi => say(api::spec_yaml()?.trim_end()),
        Command::Completions(args) => {
            let mut script = Vec::new();
            clap_complete::generate(args.shell, &mut Cli::command(), "invoices-api", &mut script);
            say(String::from_utf8_lossy(&script).trim_end())
        }
        Command::Manpage => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut page)?;
            say(String::from_utf8_lossy(&page).trim_end())
        }
        Command::Migrate(args) if args.status => {
            let db = database::open_unmigrated(&database_url).await?;
            say(&migration_status::report(&db, args.json).await?)
        }
        Command::Migrate(_) => {
            let db = db().await?;
            let version = crate::store::schema::version(&db)
                .await?
                .unwrap_or_default();
            say(&format!("schema at {version}"))
        }
        Command::Backup(args) => {
            let copy = crate::store::backup::backup(&db().await?, &args.to).await?;
            say(&copy.display().to_string())
        }
        Command::Copy(args) => say(&copy::run(&args.from, &args.to).await?),
        Command::Demo(args) => say(&demo::run(&db().await?, &args.bind).await?),
        Command::Admin(command) => say(&admin::run(&db().await?, command).await?),
    }
}

/// Parses the command line. `serve` is the default command: without a command, or with flags
/// only `serve` knows (`invoices-api --bind 0.0.0.0:8080`), the line is read as `serve`'s. A
/// line that names a command is never re-read, so its mistakes are reported against that
/// command (`admin company add --nme x` names `--nme`, with clap's tip).
fn parse(args: &[OsString]) -> Result<Cli, clap::Error> {
    let first = Cli::try_parse_from(args);
    let serve_may_know = match &first {
        Ok(cli) => cli.command.is_none(),
        Err(err) => err.kind() == ErrorKind::UnknownArgument && !names_a_command(args),
    };
    if !serve_may_know {
        return first;
    }
    let mut as_serve = args.to_vec();
    as_serve.insert(1.min(as_serve.len()), "serve".into());
    Cli::try_parse_from(&as_serve)
}

/// Whether the line names a command, however wrong the rest of it is (clap's partial parse).
fn names_a_command(args: &[OsString]) -> bool {
    Cli::command()
        .ignore_errors(true)
        .try_get_matches_from(args)
        .is_ok_and(|matches| matches.subcommand_name().is_some())
}

/// clap's message on one line: what is wrong, the flag or value at fault, clap's tip, and the
/// usage of the command typed; a command missing its subcommand lists them.
fn one_line(err: &clap::Error, args: &[OsString]) -> String {
    if err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        || err.kind() == ErrorKind::MissingSubcommand
    {
        return missing_subcommand(args);
    }
    let rendered = err.render().to_string();
    let mut parts: Vec<String> = Vec::new();
    for line in rendered.lines().map(str::trim) {
        if line.is_empty() || line.starts_with("For more information") {
            continue;
        }
        match line.strip_prefix("Usage:") {
            Some(usage) => parts.push(format!("usage:{usage}")),
            None if line.starts_with("tip:") => parts.push(line.to_owned()),
            // A usage of several lines continues with the command's other forms.
            None if parts.last().is_some_and(|last| last.starts_with("usage:")) => {
                parts.push(format!("or {line}"))
            }
            None => parts.push(line.to_owned()),
        }
    }
    if parts.is_empty() {
        "error: invalid arguments (see --help)".to_owned()
    } else {
        format!("{} (see --help)", parts.join("; "))
    }
}

/// "`admin company` needs a subcommand: add, list, rename".
fn missing_subcommand(args: &[OsString]) -> String {
    let mut command = Cli::command();
    let mut path = Vec::new();
    for arg in args.iter().skip(1).filter_map(|a| a.to_str()) {
        let Some(sub) = command.find_subcommand(arg).cloned() else {
            continue;
        };
        path.push(arg.to_owned());
        command = sub;
    }
    let names: Vec<&str> = command
        .get_subcommands()
        .map(|c| c.get_name())
        .filter(|name| *name != "help")
        .collect();
    format!(
        "error: `{}` needs a subcommand: {} (see `invoices-api {} --help`)",
        path.join(" "),
        names.join(", "),
        path.join(" ")
    )
}

/// Prints `text` and a newline on stdout. A reader that went away (`| head`) is not an error.
fn say(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{text}").and_then(|()| stdout.flush()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(err.into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every flag and argument of every command explains itself in `--help`.
    #[test]
    fn every_flag_has_help_text() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if id != "help" && id != "version" && arg.get_help().is_none() {
                    missing.push(format!("{path} --{id}"));
                }
            }
            for sub in command.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "invoices-api", &mut missing);
        assert!(missing.is_empty(), "without help: {missing:?}");
    }
}
