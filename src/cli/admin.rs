//! `invoices-api admin …`: the operator's commands for companies, users, members, tokens and
//! reference data. `add` prints the new id (a token add, the token); `list` prints a table, or
//! JSON with `--json`; a change prints one line saying what changed.

use super::output::{Format, render};
use crate::domain::event::EventType;
use crate::domain::permission::Permission;
use crate::store::admin::change::{self, ProjectChanges, Reference};
use crate::store::admin::{self, NewProject, import, list};
use crate::store::webhooks;
use crate::webhooks::MAX_URL_CHARS;
use clap::builder::TypedValueParser;
use clap::{Args, Subcommand};
use entity::budget::BudgetStatus;
use entity::budget_area::BudgetAreaType;
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;

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
    /// Budgets of projects: the versions of a project's plan, with their totals.
    #[command(subcommand)]
    Budget(BudgetCmd),
    /// Budget areas of budgets.
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
    /// Webhook endpoints: URLs a company's invoice events are posted to, signed.
    #[command(subcommand)]
    Webhook(WebhookCmd),
    /// Create or update companies, users, members, projects, reference data and invoices from
    /// a JSON file (README: "Importing a company"); running it again changes nothing.
    Import {
        /// The JSON file.
        file: std::path::PathBuf,
    },
    /// Print a company as an import file (JSON), every record with its id: what `import`
    /// takes on another deployment.
    Export(CompanyArg),
}

/// How a list is printed.
#[derive(Args, Debug)]
pub struct ListFormat {
    /// Print JSON (an array of objects) instead of a table.
    #[arg(long)]
    json: bool,
}

impl ListFormat {
    fn format(&self) -> Format {
        if self.json {
            Format::Json
        } else {
            Format::Table
        }
    }
}

/// A company, by slug.
#[derive(Args, Debug)]
pub struct CompanyArg {
    /// The company's slug.
    #[arg(long)]
    company: String,
}

/// What a list of a company's records takes.
#[derive(Args, Debug)]
pub struct CompanyList {
    #[command(flatten)]
    company: CompanyArg,
    #[command(flatten)]
    format: ListFormat,
}

/// A record, by id.
#[derive(Args, Debug)]
pub struct IdArg {
    /// The record's id (see `list`).
    #[arg(long)]
    id: i64,
}

/// A record to rename.
#[derive(Args, Debug)]
pub struct RenameArgs {
    /// The record's id (see `list`).
    #[arg(long)]
    id: i64,
    /// The new name (1 to 255 characters).
    #[arg(long)]
    name: String,
}

/// Renaming, archiving and unarchiving a record of reference data, by id.
#[derive(Subcommand, Debug)]
pub enum ArchivableChange {
    /// Rename it.
    Rename(RenameArgs),
    /// Archive it: new invoices can't use it, and a project's invoices are frozen.
    Archive(IdArg),
    /// Unarchive it.
    Unarchive(IdArg),
}

#[derive(Subcommand, Debug)]
pub enum CompanyCmd {
    /// Add a company; prints its id.
    Add {
        /// The slug clients send in `Wethod-Company` (1–100 of a-z, 0-9 and -).
        #[arg(long)]
        slug: String,
        /// The company's name.
        #[arg(long)]
        name: String,
    },
    /// List the companies.
    List(ListFormat),
    /// Rename a company.
    Rename {
        /// The company's slug.
        #[arg(long)]
        slug: String,
        /// The new name.
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Add a user; prints its id.
    Add {
        /// The user's email address (stored lowercased).
        #[arg(long)]
        email: String,
        /// The user's name.
        #[arg(long)]
        name: String,
    },
    /// List the users.
    List(ListFormat),
    /// Rename a user.
    Rename {
        /// The user's email address.
        #[arg(long)]
        email: String,
        /// The new name.
        #[arg(long)]
        name: String,
    },
}

/// A member: a user in a company.
#[derive(Args, Debug)]
pub struct MemberArgs {
    /// The company's slug.
    #[arg(long)]
    company: String,
    /// The user's email address.
    #[arg(long)]
    user: String,
}

/// The permissions a command grants or revokes.
#[derive(Args, Debug)]
pub struct PermissionArgs {
    /// A permission (repeatable).
    #[arg(long = "permission", value_parser = permission_parser())]
    permissions: Vec<Permission>,
}

fn permission_parser() -> impl clap::builder::TypedValueParser<Value = Permission> {
    clap::builder::PossibleValuesParser::new(Permission::ALL.map(Permission::as_str))
        .try_map(|name| name.parse::<Permission>())
}

#[derive(Subcommand, Debug)]
pub enum MemberCmd {
    /// Make a user a member of a company; prints the membership id.
    Add {
        #[command(flatten)]
        member: MemberArgs,
        #[command(flatten)]
        permissions: PermissionArgs,
    },
    /// List a company's members with their permissions.
    List(CompanyList),
    /// Grant permissions to a member.
    Grant {
        #[command(flatten)]
        member: MemberArgs,
        #[command(flatten)]
        permissions: PermissionArgs,
    },
    /// Revoke permissions of a member.
    Revoke {
        #[command(flatten)]
        member: MemberArgs,
        #[command(flatten)]
        permissions: PermissionArgs,
    },
    /// Remove a member from a company (refused while they are a project's PM or Account).
    Remove {
        #[command(flatten)]
        member: MemberArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCmd {
    /// Issue a token; prints the token itself, shown this once.
    Add {
        /// The user's email address.
        #[arg(long)]
        user: String,
        /// A name for the token, unique among the user's active tokens.
        #[arg(long)]
        name: String,
        /// Days until the token expires (1 or more); it never expires without this flag.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        expires_in_days: Option<u32>,
    },
    /// List a user's tokens: name, created, last used, expiry, revoked (never the secret).
    List {
        /// The user's email address.
        #[arg(long)]
        user: String,
        #[command(flatten)]
        format: ListFormat,
    },
    /// Revoke a user's active token of this name.
    Revoke {
        /// The user's email address.
        #[arg(long)]
        user: String,
        /// The token's name.
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ProjectCmd {
    /// Add a project; prints its id.
    Add {
        /// The company's slug.
        #[arg(long)]
        company: String,
        /// The project's name.
        #[arg(long)]
        name: String,
        /// The project's job order code (invoices need one).
        #[arg(long)]
        job_order: Option<String>,
        /// Email of the PM (a member of the company).
        #[arg(long)]
        pm: String,
        /// Email of the Account (a member of the company).
        #[arg(long)]
        account: String,
        /// Add it archived (no invoices can be created for it).
        #[arg(long)]
        archived: bool,
    },
    /// List a company's projects.
    List(CompanyList),
    #[command(flatten)]
    Change(ArchivableChange),
    /// Change a project's PM, Account or job order.
    Set {
        /// The project's id (see `list`).
        #[arg(long)]
        id: i64,
        /// Email of the new PM (a member of the company).
        #[arg(long)]
        pm: Option<String>,
        /// Email of the new Account (a member of the company).
        #[arg(long)]
        account: Option<String>,
        /// The new job order code.
        #[arg(long, conflicts_with = "no_job_order")]
        job_order: Option<String>,
        /// Remove the job order (invoices then can't be created for the project).
        #[arg(long)]
        no_job_order: bool,
    },
}

/// The totals of a budget or a budget area (exact decimals, at most 2 places).
#[derive(Args, Debug)]
pub struct TotalsArgs {
    /// The total external cost.
    #[arg(long, default_value = "0")]
    total_external_cost: Decimal,
    /// The total cost.
    #[arg(long, default_value = "0")]
    total_cost: Decimal,
    /// The total price.
    #[arg(long, default_value = "0")]
    total_price: Decimal,
    /// The total days.
    #[arg(long, default_value = "0")]
    total_days: Decimal,
}

impl TotalsArgs {
    fn totals(&self) -> admin::Totals {
        admin::Totals {
            external_cost: self.total_external_cost,
            cost: self.total_cost,
            price: self.total_price,
            days: self.total_days,
        }
    }
}

/// A budget's status, by the original's names.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
#[value(rename_all = "UPPER")]
pub enum BudgetStatusArg {
    Draft,
    Submitted,
    Approved,
}

/// A budget area's type, by the original's names.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum BudgetAreaTypeArg {
    #[value(name = "DEFAULT")]
    Default,
    #[value(name = "CONTINGENCY-DISCOUNT")]
    ContingencyDiscount,
    #[value(name = "TRAVEL-CORE-COST-EXPENSES")]
    TravelCoreCostExpenses,
    #[value(name = "PM")]
    Pm,
}

#[derive(Subcommand, Debug)]
pub enum BudgetCmd {
    /// Add a budget to a project; prints its id.
    Add {
        /// The project's id.
        #[arg(long)]
        project: i64,
        /// Its version, unique within the project.
        #[arg(long, default_value_t = 1)]
        version: i32,
        /// Where it is in its approval.
        #[arg(long, value_enum, default_value = "DRAFT")]
        status: BudgetStatusArg,
        /// It is the project's baseline.
        #[arg(long)]
        baseline: bool,
        /// Its notes.
        #[arg(long)]
        notes: Option<String>,
        /// An ISO 4217 code.
        #[arg(long, default_value = "EUR")]
        currency: String,
        /// Its currency is enabled.
        #[arg(long)]
        currency_enabled: bool,
        /// The final net price.
        #[arg(long, default_value = "0")]
        final_net_price: Decimal,
        #[command(flatten)]
        totals: TotalsArgs,
        /// The id of its price list.
        #[arg(long)]
        price_list: Option<i64>,
    },
    /// List the budgets of a company's projects.
    List {
        #[command(flatten)]
        company: CompanyArg,
        /// Only those of this project (its id).
        #[arg(long)]
        project: Option<i64>,
        #[command(flatten)]
        format: ListFormat,
    },
}

#[derive(Subcommand, Debug)]
pub enum BudgetAreaCmd {
    /// Add a budget area to a budget (or to a project's baseline budget, made if it has
    /// none); prints its id.
    #[command(group(clap::ArgGroup::new("parent").required(true).args(["budget", "project"])))]
    Add {
        /// The budget's id.
        #[arg(long)]
        budget: Option<i64>,
        /// A project's id: the area goes into the project's baseline budget (else its latest;
        /// a new one, version 1, when it has none).
        #[arg(long)]
        project: Option<i64>,
        /// The UID invoices name it by, unique in the company.
        #[arg(long)]
        uid: String,
        /// The budget area's name.
        #[arg(long)]
        name: String,
        /// Add it disabled (invoices can't use it).
        #[arg(long)]
        disabled: bool,
        /// Its kind.
        #[arg(long = "type", value_enum, default_value = "DEFAULT")]
        area_type: BudgetAreaTypeArg,
        #[command(flatten)]
        totals: TotalsArgs,
        /// The id of its price list.
        #[arg(long)]
        price_list: Option<i64>,
    },
    /// List the budget areas of a company's projects.
    List {
        #[command(flatten)]
        company: CompanyArg,
        /// Only those of this project (its id).
        #[arg(long)]
        project: Option<i64>,
        #[command(flatten)]
        format: ListFormat,
    },
    /// Rename a budget area.
    Rename(RenameArgs),
    /// Enable a budget area: invoices may use it.
    Enable(IdArg),
    /// Disable a budget area: invoices can't use it.
    Disable(IdArg),
}

#[derive(Subcommand, Debug)]
pub enum VatRateCmd {
    /// Add a VAT rate; prints its id.
    Add {
        /// The company's slug.
        #[arg(long)]
        company: String,
        /// The VAT rate's name.
        #[arg(long)]
        name: String,
        /// The rate in percent, 0 to 100, at most 4 decimal places (22, 5.5).
        #[arg(long, value_parser = parse_decimal, allow_hyphen_values = true)]
        rate: Decimal,
        /// Add it archived (invoices can't use it).
        #[arg(long)]
        archived: bool,
    },
    /// List a company's VAT rates.
    List(CompanyList),
    #[command(flatten)]
    Change(ArchivableChange),
}

#[derive(Subcommand, Debug)]
pub enum PaymentTermCmd {
    /// Add a payment term; prints its id.
    Add {
        /// The company's slug.
        #[arg(long)]
        company: String,
        /// The payment term's name.
        #[arg(long)]
        name: String,
        /// Days to pay (0 to 65535).
        #[arg(long, allow_hyphen_values = true)]
        days: u16,
        /// Add it archived (invoices can't use it).
        #[arg(long)]
        archived: bool,
    },
    /// List a company's payment terms.
    List(CompanyList),
    #[command(flatten)]
    Change(ArchivableChange),
}

#[derive(Subcommand, Debug)]
pub enum InvoiceContactCmd {
    /// Add an invoice contact; prints its id.
    Add {
        /// The company's slug.
        #[arg(long)]
        company: String,
        /// The contact's email address (at most 50 characters).
        #[arg(long)]
        email: String,
        /// The contact's alias (1 to 50 characters).
        #[arg(long)]
        alias: String,
    },
    /// List a company's invoice contacts.
    List(CompanyList),
}

#[derive(Subcommand, Debug)]
pub enum WebhookCmd {
    /// Register an endpoint; prints its signing secret (`whsec_…`), shown this once. It receives
    /// the events of every change committed from now on (on PostgreSQL, also of changes
    /// committed a moment before, while their events were not visible yet).
    Add {
        #[command(flatten)]
        company: CompanyArg,
        /// The URL events are posted to: http:// or https://, at most 2000 characters.
        #[arg(long, value_parser = parse_webhook_url)]
        url: String,
        /// An event type to send, such as `invoice.paid` (repeat the flag for several);
        /// every type without it.
        #[arg(long = "event", value_parser = parse_event_type)]
        events: Vec<EventType>,
    },
    /// List a company's endpoints, and how their deliveries went (never the secret).
    List(CompanyList),
    /// Remove an endpoint; what it was still owed is not sent.
    Remove {
        #[command(flatten)]
        company: CompanyArg,
        #[command(flatten)]
        id: IdArg,
    },
    /// Queue an endpoint's events again from a cursor (a receiver that lost data asks for
    /// this): every event of its types with an id above `--since` is sent again, with its
    /// original `webhook-id`, as a new delivery with a fresh retry schedule.
    Replay {
        #[command(flatten)]
        company: CompanyArg,
        #[command(flatten)]
        id: IdArg,
        /// The last event the receiver has (the number in `evt_<id>`); 0 for all.
        #[arg(long, value_parser = clap::value_parser!(i64).range(0..))]
        since: i64,
    },
    /// Pause an endpoint: its events wait, none is sent until it is enabled.
    Disable {
        #[command(flatten)]
        company: CompanyArg,
        #[command(flatten)]
        id: IdArg,
    },
    /// Resume a paused endpoint: it gets its backlog, then every new event.
    Enable {
        #[command(flatten)]
        company: CompanyArg,
        #[command(flatten)]
        id: IdArg,
    },
}

fn parse_webhook_url(raw: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(raw.trim()).map_err(|e| format!("{raw:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "{raw:?} must be an http:// or https:// URL with a host"
        ));
    }
    if raw.chars().count() > MAX_URL_CHARS {
        return Err(format!(
            "the URL must be at most {MAX_URL_CHARS} characters"
        ));
    }
    Ok(url.to_string())
}

fn parse_event_type(raw: &str) -> Result<EventType, String> {
    EventType::parse(raw).ok_or_else(|| {
        let names: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
        format!("{raw:?} is not an event type: one of {}", names.join(", "))
    })
}

fn parse_decimal(raw: &str) -> Result<Decimal, String> {
    Decimal::from_str_exact(raw.trim()).map_err(|_| format!("{raw:?} is not a decimal number"))
}

/// Runs one `admin` command; returns what it prints.
pub async fn run(db: &DatabaseConnection, command: Admin) -> anyhow::Result<String> {
    Ok(match command {
        Admin::Company(command) => company(db, command).await?,
        Admin::User(command) => user(db, command).await?,
        Admin::Member(command) => member(db, command).await?,
        Admin::Token(command) => token(db, command).await?,
        Admin::Project(command) => project(db, command).await?,
        Admin::Budget(command) => budget(db, command).await?,
        Admin::BudgetArea(command) => budget_area(db, command).await?,
        Admin::VatRate(command) => vat_rate(db, command).await?,
        Admin::PaymentTerm(command) => payment_term(db, command).await?,
        Admin::InvoiceContact(command) => invoice_contact(db, command).await?,
        Admin::Webhook(command) => webhook(db, command).await?,
        Admin::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let parsed = import::parse(&text)?;
            format!("imported: {}", import::apply(db, &parsed).await?)
        }
        Admin::Export(CompanyArg { company }) => {
            serde_json::to_string_pretty(&admin::export::export(db, &company).await?)?
        }
    })
}

async fn company(db: &DatabaseConnection, command: CompanyCmd) -> anyhow::Result<String> {
    Ok(match command {
        CompanyCmd::Add { slug, name } => admin::add_company(db, &slug, &name).await?.to_string(),
        CompanyCmd::List(format) => render(&list::companies(db).await?, format.format())?,
        CompanyCmd::Rename { slug, name } => {
            change::rename_company(db, &slug, &name).await?;
            format!("renamed company {slug}")
        }
    })
}

async fn user(db: &DatabaseConnection, command: UserCmd) -> anyhow::Result<String> {
    Ok(match command {
        UserCmd::Add { email, name } => admin::add_user(db, &email, &name).await?.to_string(),
        UserCmd::List(format) => render(&list::users(db).await?, format.format())?,
        UserCmd::Rename { email, name } => {
            change::rename_user(db, &email, &name).await?;
            format!("renamed user {email}")
        }
    })
}

async fn member(db: &DatabaseConnection, command: MemberCmd) -> anyhow::Result<String> {
    Ok(match command {
        MemberCmd::Add {
            member,
            permissions,
        } => admin::add_member(db, &member.company, &member.user, &permissions.permissions)
            .await?
            .to_string(),
        MemberCmd::List(CompanyList { company, format }) => {
            render(&list::members(db, &company.company).await?, format.format())?
        }
        MemberCmd::Grant {
            member,
            permissions,
        } => {
            let added =
                change::grant(db, &member.company, &member.user, &permissions.permissions).await?;
            format!(
                "granted {added} permission(s) to {} in {}",
                member.user, member.company
            )
        }
        MemberCmd::Revoke {
            member,
            permissions,
        } => {
            let removed =
                change::revoke(db, &member.company, &member.user, &permissions.permissions).await?;
            format!(
                "revoked {removed} permission(s) of {} in {}",
                member.user, member.company
            )
        }
        MemberCmd::Remove { member } => {
            change::remove_member(db, &member.company, &member.user).await?;
            format!("removed {} from {}", member.user, member.company)
        }
    })
}

async fn token(db: &DatabaseConnection, command: TokenCmd) -> anyhow::Result<String> {
    Ok(match command {
        TokenCmd::Add {
            user,
            name,
            expires_in_days,
        } => admin::add_token(db, &user, &name, expires_in_days).await?,
        TokenCmd::List { user, format } => {
            render(&list::tokens(db, &user).await?, format.format())?
        }
        TokenCmd::Revoke { user, name } => {
            let n = admin::revoke_token(db, &user, &name).await?;
            format!("revoked {n} token(s)")
        }
    })
}

async fn project(db: &DatabaseConnection, command: ProjectCmd) -> anyhow::Result<String> {
    Ok(match command {
        ProjectCmd::Add {
            company,
            name,
            job_order,
            pm,
            account,
            archived,
        } => {
            let new = NewProject {
                company_slug: &company,
                name: &name,
                job_order: job_order.as_deref(),
                pm_email: &pm,
                account_email: &account,
                archived,
            };
            admin::add_project(db, new).await?.to_string()
        }
        ProjectCmd::List(CompanyList { company, format }) => render(
            &list::projects(db, &company.company).await?,
            format.format(),
        )?,
        ProjectCmd::Change(change) => archivable(db, Reference::Project, change).await?,
        ProjectCmd::Set {
            id,
            pm,
            account,
            job_order,
            no_job_order,
        } => {
            let changes = ProjectChanges {
                pm_email: pm,
                account_email: account,
                job_order: if no_job_order {
                    Some(None)
                } else {
                    job_order.map(Some)
                },
            };
            change::change_project(db, id, changes).await?;
            format!("changed project {id}")
        }
    })
}

/// Renames, archives or unarchives a record of reference data; says what it did.
async fn archivable(
    db: &DatabaseConnection,
    kind: Reference,
    change: ArchivableChange,
) -> anyhow::Result<String> {
    let (id, done) = match change {
        ArchivableChange::Rename(RenameArgs { id, name }) => {
            change::rename(db, kind, id, &name).await?;
            (id, "renamed")
        }
        ArchivableChange::Archive(IdArg { id }) => {
            change::set_in_use(db, kind, id, false).await?;
            (id, "archived")
        }
        ArchivableChange::Unarchive(IdArg { id }) => {
            change::set_in_use(db, kind, id, true).await?;
            (id, "unarchived")
        }
    };
    Ok(format!("{done} {} {id}", kind.what()))
}

async fn budget(db: &DatabaseConnection, command: BudgetCmd) -> anyhow::Result<String> {
    Ok(match command {
        BudgetCmd::Add {
            project,
            version,
            status,
            baseline,
            notes,
            currency,
            currency_enabled,
            final_net_price,
            totals,
            price_list,
        } => {
            let new = admin::NewBudget {
                version,
                status: match status {
                    BudgetStatusArg::Draft => BudgetStatus::Draft,
                    BudgetStatusArg::Submitted => BudgetStatus::Submitted,
                    BudgetStatusArg::Approved => BudgetStatus::Approved,
                },
                is_baseline: baseline,
                notes,
                currency,
                is_currency_enabled: currency_enabled,
                final_net_price,
                totals: totals.totals(),
                price_list_id: price_list,
            };
            admin::add_budget(db, project, new).await?.to_string()
        }
        BudgetCmd::List {
            company,
            project,
            format,
        } => render(
            &list::budgets(db, &company.company, project).await?,
            format.format(),
        )?,
    })
}

async fn budget_area(db: &DatabaseConnection, command: BudgetAreaCmd) -> anyhow::Result<String> {
    Ok(match command {
        BudgetAreaCmd::Add {
            budget,
            project,
            uid,
            name,
            disabled,
            area_type,
            totals,
            price_list,
        } => {
            let new = admin::NewBudgetArea {
                area_type: match area_type {
                    BudgetAreaTypeArg::Default => BudgetAreaType::Default,
                    BudgetAreaTypeArg::ContingencyDiscount => BudgetAreaType::ContingencyDiscount,
                    BudgetAreaTypeArg::TravelCoreCostExpenses => {
                        BudgetAreaType::TravelCoreCostExpenses
                    }
                    BudgetAreaTypeArg::Pm => BudgetAreaType::Pm,
                },
                totals: totals.totals(),
                price_list_id: price_list,
                ..admin::NewBudgetArea::named(&uid, &name, !disabled)
            };
            let id = match (budget, project) {
                (Some(budget), _) => admin::add_budget_area(db, budget, new).await?,
                (None, Some(project)) => {
                    admin::add_budget_area_to_project(db, project, new).await?
                }
                (None, None) => anyhow::bail!("give --budget or --project"),
            };
            id.to_string()
        }
        BudgetAreaCmd::List {
            company,
            project,
            format,
        } => render(
            &list::budget_areas(db, &company.company, project).await?,
            format.format(),
        )?,
        BudgetAreaCmd::Rename(rename) => {
            archivable(db, Reference::BudgetArea, ArchivableChange::Rename(rename)).await?
        }
        BudgetAreaCmd::Enable(IdArg { id }) => {
            change::set_in_use(db, Reference::BudgetArea, id, true).await?;
            format!("enabled budget area {id}")
        }
        BudgetAreaCmd::Disable(IdArg { id }) => {
            change::set_in_use(db, Reference::BudgetArea, id, false).await?;
            format!("disabled budget area {id}")
        }
    })
}

async fn vat_rate(db: &DatabaseConnection, command: VatRateCmd) -> anyhow::Result<String> {
    Ok(match command {
        VatRateCmd::Add {
            company,
            name,
            rate,
            archived,
        } => admin::add_vat_rate(db, &company, &name, rate, archived)
            .await?
            .to_string(),
        VatRateCmd::List(CompanyList { company, format }) => render(
            &list::vat_rates(db, &company.company).await?,
            format.format(),
        )?,
        VatRateCmd::Change(change) => archivable(db, Reference::VatRate, change).await?,
    })
}

async fn payment_term(db: &DatabaseConnection, command: PaymentTermCmd) -> anyhow::Result<String> {
    Ok(match command {
        PaymentTermCmd::Add {
            company,
            name,
            days,
            archived,
        } => admin::add_payment_term(db, &company, &name, days, archived)
            .await?
            .to_string(),
        PaymentTermCmd::List(CompanyList { company, format }) => render(
            &list::payment_terms(db, &company.company).await?,
            format.format(),
        )?,
        PaymentTermCmd::Change(change) => archivable(db, Reference::PaymentTerm, change).await?,
    })
}

async fn invoice_contact(
    db: &DatabaseConnection,
    command: InvoiceContactCmd,
) -> anyhow::Result<String> {
    Ok(match command {
        InvoiceContactCmd::Add {
            company,
            email,
            alias,
        } => admin::add_invoice_contact(db, &company, &email, &alias)
            .await?
            .to_string(),
        InvoiceContactCmd::List(CompanyList { company, format }) => render(
            &list::invoice_contacts(db, &company.company).await?,
            format.format(),
        )?,
    })
}

async fn webhook(db: &DatabaseConnection, command: WebhookCmd) -> anyhow::Result<String> {
    Ok(match command {
        WebhookCmd::Add {
            company,
            url,
            events,
        } => {
            let secret = crate::webhooks::new_secret();
            webhooks::add_endpoint(db, &company.company, &url, &secret, &events).await?;
            secret
        }
        WebhookCmd::List(CompanyList { company, format }) => render(
            &list::webhooks(db, &company.company).await?,
            format.format(),
        )?,
        WebhookCmd::Remove { company, id } => {
            webhooks::remove_endpoint(db, &company.company, id.id).await?;
            format!("removed webhook endpoint {}", id.id)
        }
        WebhookCmd::Replay { company, id, since } => {
            let queued = webhooks::replay(db, &company.company, id.id, since).await?;
            format!(
                "queued {queued} deliveries again for webhook endpoint {}",
                id.id
            )
        }
        WebhookCmd::Disable { company, id } => {
            webhooks::set_disabled(db, &company.company, id.id, true).await?;
            format!("disabled webhook endpoint {}", id.id)
        }
        WebhookCmd::Enable { company, id } => {
            webhooks::set_disabled(db, &company.company, id.id, false).await?;
            format!("enabled webhook endpoint {}", id.id)
        }
    })
}
