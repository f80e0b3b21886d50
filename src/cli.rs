//! The operator's command line.

use crate::config::{Limits, LogFormat, Settings};
use crate::domain::permission::Permission;
use crate::startup::Application;
use crate::store::admin::{self, NewProject};
use crate::store::database;
use crate::{api, demo, telemetry};
use clap::{Args, Parser, Subcommand};
use rust_decimal::Decimal;
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
    /// Apply pending migrations and exit.
    Migrate,
    /// Create demo data (idempotent); print a fresh token and a curl line.
    Demo,
    /// Manage companies, users, memberships, tokens and reference data.
    #[command(subcommand)]
    Admin(Admin),
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

#[derive(Subcommand, Debug)]
pub enum Admin {
    /// Companies.
    #[command(subcommand)]
    Company(CompanyCmd),
    /// Users.
    #[command(subcommand)]
    User(UserCmd),
    /// Memberships of users in companies, with their permissions.
    #[command(subcommand)]
    Member(MemberCmd),
    /// Personal access tokens.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Projects.
    #[command(subcommand)]
    Project(ProjectCmd),
    /// Budget areas of projects.
    #[command(subcommand)]
    BudgetArea(BudgetAreaCmd),
    /// VAT rates.
    #[command(subcommand)]
    VatRate(VatRateCmd),
    /// Payment terms.
    #[command(subcommand)]
    PaymentTerm(PaymentTermCmd),
    /// Invoice contacts: the addresses a company sends invoices to.
    #[command(subcommand)]
    InvoiceContact(InvoiceContactCmd),
}

#[derive(Subcommand, Debug)]
pub enum CompanyCmd {
    /// Add a company; prints its id.
    Add {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Add a user; prints its id.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum MemberCmd {
    /// Make a user a member of a company; prints the membership id.
    Add {
        /// Company slug.
        #[arg(long)]
        company: String,
        /// User email.
        #[arg(long)]
        user: String,
        /// A permission to grant (repeatable), e.g. invoices.create.
        #[arg(long = "permission")]
        permissions: Vec<Permission>,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCmd {
    /// Issue a token; prints the token itself, shown this once.
    Add {
        /// User email.
        #[arg(long)]
        user: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// Revoke a user's active token of this name.
    Revoke {
        /// User email.
        #[arg(long)]
        user: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ProjectCmd {
    /// Add a project; prints its id.
    Add {
        /// Company slug.
        #[arg(long)]
        company: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        job_order: Option<String>,
        /// Email of the PM (a member of the company).
        #[arg(long)]
        pm: String,
        /// Email of the Account (a member of the company).
        #[arg(long)]
        account: String,
        #[arg(long)]
        archived: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum BudgetAreaCmd {
    /// Add a budget area to a project; prints its id.
    Add {
        /// Project id.
        #[arg(long)]
        project: i64,
        #[arg(long)]
        uid: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        disabled: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum VatRateCmd {
    /// Add a VAT rate; prints its id.
    Add {
        /// Company slug.
        #[arg(long)]
        company: String,
        #[arg(long)]
        name: String,
        /// Percentage, e.g. 22 or 5.5.
        #[arg(long, value_parser = parse_decimal)]
        rate: Decimal,
        #[arg(long)]
        archived: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum PaymentTermCmd {
    /// Add a payment term; prints its id.
    Add {
        /// Company slug.
        #[arg(long)]
        company: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        days: u16,
        #[arg(long)]
        archived: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum InvoiceContactCmd {
    /// Add an invoice contact; prints its id.
    Add {
        /// Company slug.
        #[arg(long)]
        company: String,
        /// The contact's email address (at most 50 characters).
        #[arg(long)]
        email: String,
        /// The contact's alias (1 to 50 characters).
        #[arg(long)]
        alias: String,
    },
}

fn parse_decimal(raw: &str) -> Result<Decimal, String> {
    Decimal::from_str_exact(raw.trim()).map_err(|_| format!("{raw:?} is not a decimal number"))
}

/// Runs the command line; errors print one line on stderr and exit non-zero.
pub fn main() -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let parsed = Cli::try_parse_from(&args).and_then(|cli| match cli.command {
        Some(_) => Ok(cli),
        // No command means `serve`, with the flags and variables `serve` reads.
        None => {
            args.push("serve".into());
            Cli::try_parse_from(&args)
        }
    });
    let cli = match parsed {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            // --help and --version
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            let rendered = err.render().to_string();
            let first = rendered
                .lines()
                .next()
                .unwrap_or("error: invalid arguments");
            eprintln!("{first}");
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
                ..Settings::new(Some(database_url.clone()), &args.bind, args.limits())
            };
            let app = Application::build(&settings).await?;
            app.run_until_stopped().await
        }
        Command::Openapi => {
            print!("{}", api::spec_yaml()?);
            Ok(())
        }
        Command::Migrate => {
            db().await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Demo => demo::run(&db().await?).await,
        Command::Admin(admin_cmd) => {
            let db = db().await?;
            let line = run_admin(&db, admin_cmd).await?;
            println!("{line}");
            Ok(())
        }
    }
}

/// Runs one `admin` command; returns its one line of output.
async fn run_admin(db: &sea_orm::DatabaseConnection, command: Admin) -> anyhow::Result<String> {
    let line = match command {
        Admin::Company(CompanyCmd::Add { slug, name }) => {
            admin::add_company(db, &slug, &name).await?.to_string()
        }
        Admin::User(UserCmd::Add { email, name }) => {
            admin::add_user(db, &email, &name).await?.to_string()
        }
        Admin::Member(MemberCmd::Add {
            company,
            user,
            permissions,
        }) => admin::add_member(db, &company, &user, &permissions)
            .await?
            .to_string(),
        Admin::Token(TokenCmd::Add {
            user,
            name,
            expires_in_days,
        }) => admin::add_token(db, &user, &name, expires_in_days).await?,
        Admin::Token(TokenCmd::Revoke { user, name }) => {
            let n = admin::revoke_token(db, &user, &name).await?;
            format!("revoked {n} token(s)")
        }
        Admin::Project(ProjectCmd::Add {
            company,
            name,
            job_order,
            pm,
            account,
            archived,
        }) => admin::add_project(
            db,
            NewProject {
                company_slug: &company,
                name: &name,
                job_order: job_order.as_deref(),
                pm_email: &pm,
                account_email: &account,
                archived,
            },
        )
        .await?
        .to_string(),
        Admin::BudgetArea(BudgetAreaCmd::Add {
            project,
            uid,
            name,
            disabled,
        }) => admin::add_budget_area(db, project, &uid, &name, !disabled)
            .await?
            .to_string(),
        Admin::VatRate(VatRateCmd::Add {
            company,
            name,
            rate,
            archived,
        }) => admin::add_vat_rate(db, &company, &name, rate, archived)
            .await?
            .to_string(),
        Admin::PaymentTerm(PaymentTermCmd::Add {
            company,
            name,
            days,
            archived,
        }) => admin::add_payment_term(db, &company, &name, days, archived)
            .await?
            .to_string(),
        Admin::InvoiceContact(InvoiceContactCmd::Add {
            company,
            email,
            alias,
        }) => admin::add_invoice_contact(db, &company, &email, &alias)
            .await?
            .to_string(),
    };
    Ok(line)
}
