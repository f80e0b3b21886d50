//! The checks an invoice's creation must pass, from the token to the references, each written
//! once as a SQL condition; and the statements made of them.
//!
//! A create's happy path is one statement: an `INSERT … SELECT` whose `WHERE` is every check
//! of [`Check::CREATE`], so a valid request costs a single round trip. When it inserts
//! nothing, [`failed_create_check`] selects the same conditions as columns (one flag per
//! check) and names the first that failed, in the contract's order; the operation maps that
//! check to its answer. Both statements are made from the same conditions, so what one inserts
//! the other accepts: the fast and the precise paths cannot disagree.
//!
//! A change of an invoice's project or references asks the project's checks the same way
//! ([`project_checks`]).
//!
//! The statements are written out once per backend (when first used) rather than built per
//! request: building them with sea-query cost about a tenth of the server's CPU per create,
//! and one fixed text is also one prepared statement per connection.

use super::invoices::{InvoiceWriteError, insert_error};
use crate::domain::invoice::References;
use chrono::{DateTime, Duration, Utc};
use entity::invoice;
use sea_orm::{ActiveEnum, ConnectionTrait, DatabaseBackend, DbErr, QueryResult, Statement, Value};
use std::sync::LazyLock;

/// One check of an invoice's creation, in the contract's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// The token exists, is not revoked and has not expired.
    TokenLive,
    /// The token's user is a member of the company named.
    Member,
    /// The membership grants the action on some project (its own or any).
    Permitted,
    /// The project exists in the company (another company's project is missing).
    ProjectFound,
    /// The membership grants the action on any project, or the user is the project's PM or
    /// Account.
    CoversProject,
    /// The project is not archived.
    ProjectActive,
    /// The project's job order is not blank (by Rust's `str::trim`: every Unicode
    /// `White_Space` character is passed to the database's trim).
    HasJobOrder,
    /// The budget area, when given, is an enabled area of the project.
    BudgetAreaUsable,
    /// The VAT rate, when given, is the company's and not archived.
    VatRateUsable,
    /// The payment term, when given, is the company's and not archived.
    PaymentTermUsable,
}

impl Check {
    /// What a create must pass, in the order the contract answers them.
    pub const CREATE: [Check; 10] = [
        Check::TokenLive,
        Check::Member,
        Check::Permitted,
        Check::ProjectFound,
        Check::CoversProject,
        Check::ProjectActive,
        Check::HasJobOrder,
        Check::BudgetAreaUsable,
        Check::VatRateUsable,
        Check::PaymentTermUsable,
    ];

    /// What the project and references of a changed invoice must pass, in order (the
    /// caller's permissions are already known then).
    pub const PROJECT: [Check; 6] = [
        Check::ProjectFound,
        Check::ProjectActive,
        Check::HasJobOrder,
        Check::BudgetAreaUsable,
        Check::VatRateUsable,
        Check::PaymentTermUsable,
    ];

    /// The check as a SQL condition on the rows `memberships`, `projects` (and, for the
    /// token, `api_tokens`) and the named `{parameters}`; never NULL.
    fn condition(self) -> &'static str {
        match self {
            Check::TokenLive => {
                "(api_tokens.revoked_at IS NULL \
                 AND (api_tokens.expires_at IS NULL OR {expires_after_margin}))"
            }
            Check::Member => "(memberships.id IS NOT NULL)",
            Check::Permitted => {
                "EXISTS (SELECT 1 FROM membership_permissions AS p \
                 WHERE p.membership_id = memberships.id AND p.permission IN ({other}, {own}))"
            }
            Check::ProjectFound => "(projects.id IS NOT NULL)",
            Check::CoversProject => {
                "(EXISTS (SELECT 1 FROM membership_permissions AS p \
                 WHERE p.membership_id = memberships.id AND p.permission = {other}) \
                 OR COALESCE(memberships.user_id IN (projects.pm_user_id, projects.account_user_id), FALSE))"
            }
            Check::ProjectActive => "COALESCE(NOT projects.archived, FALSE)",
            Check::HasJobOrder => "COALESCE({trim}(projects.job_order, {whitespace}) <> '', FALSE)",
            Check::BudgetAreaUsable => {
                "({budget_area} IS NULL OR EXISTS (SELECT 1 FROM budget_areas AS b \
                 WHERE b.project_id = projects.id AND b.uid = {budget_area} AND b.enabled))"
            }
            Check::VatRateUsable => {
                "({vat_rate} IS NULL OR EXISTS (SELECT 1 FROM vat_rates AS v \
                 WHERE v.id = {vat_rate} AND v.company_id = projects.company_id AND NOT v.archived))"
            }
            Check::PaymentTermUsable => {
                "({payment_term} IS NULL OR EXISTS (SELECT 1 FROM payment_terms AS t \
                 WHERE t.id = {payment_term} AND t.company_id = projects.company_id \
                 AND NOT t.archived))"
            }
        }
    }
}

/// The rows a create is checked against: the token found by its hash, and (when there are
/// any) the company named, the user's membership there and the project in that company.
const CREATE_ROWS: &str = "\
FROM api_tokens \
LEFT JOIN companies ON companies.slug = {company_slug} \
LEFT JOIN memberships ON memberships.user_id = api_tokens.user_id \
AND memberships.company_id = companies.id \
LEFT JOIN projects ON projects.id = {project} AND projects.company_id = memberships.company_id \
WHERE api_tokens.token_hash = {token}";

/// The rows a change is checked against: the caller's membership and the project in its
/// company.
const PROJECT_ROWS: &str = "\
FROM memberships \
LEFT JOIN projects ON projects.id = {project} AND projects.company_id = memberships.company_id \
WHERE memberships.user_id = {user} AND memberships.company_id = {company}";

/// The insert: the company and the creator come from the rows; everything else is the draft's.
const GUARDED_INSERT: &str = "\
INSERT INTO invoices (company_id, project_id, status, invoice_number, purchase_order, value, \
exchange_rate, issue_date, payment_date, notes, budget_area_uid, vat_rate_id, payment_term_id, \
created_by_user_id, created_at, updated_at) \
SELECT memberships.company_id, {project}, {status}, {invoice_number}, {purchase_order}, \
{value}, {exchange_rate}, {issue_date}, {payment_date}, {notes}, {budget_area}, {vat_rate}, \
{payment_term}, memberships.user_id, {now}, {now} ";

/// The parameters of the create's checks, in the order their values are given.
const CHECK_PARAMETERS: [&str; 10] = [
    "token",
    "expires_margin",
    "company_slug",
    "project",
    "other",
    "own",
    "whitespace",
    "budget_area",
    "vat_rate",
    "payment_term",
];

/// The draft's own parameters of the insert, after [`CHECK_PARAMETERS`].
const DRAFT_PARAMETERS: [&str; 9] = [
    "status",
    "invoice_number",
    "purchase_order",
    "value",
    "exchange_rate",
    "issue_date",
    "payment_date",
    "notes",
    "now",
];

/// The parameters of [`project_checks`], in order.
const PROJECT_PARAMETERS: [&str; 7] = [
    "company",
    "user",
    "project",
    "whitespace",
    "budget_area",
    "vat_rate",
    "payment_term",
];

/// Every check's condition, joined by `AND`.
fn all_of(checks: &[Check]) -> String {
    let conditions: Vec<&str> = checks.iter().map(|c| c.condition()).collect();
    conditions.join(" AND ")
}

/// Every check's condition as a column, in order.
fn flags_of(checks: &[Check]) -> String {
    let flags: Vec<String> = (0..checks.len())
        .map(|i| format!("{} AS check_{i}", checks[i].condition()))
        .collect();
    flags.join(", ")
}

/// The statement for one backend: its spots filled, its `{name}`s numbered as `parameters`
/// lists them (`$n` on PostgreSQL, `?n` on SQLite).
fn for_backend(sql: &str, parameters: &[&str], backend: DatabaseBackend) -> String {
    let (expires_after_margin, trim, mark) = match backend {
        DatabaseBackend::Postgres => ("api_tokens.expires_at > {expires_margin}", "btrim", "$"),
        // SQLite keeps timestamps as text: compare them as instants.
        _ => (
            "julianday(api_tokens.expires_at) > julianday({expires_margin})",
            "trim",
            "?",
        ),
    };
    let mut sql = sql
        .replace("{expires_after_margin}", expires_after_margin)
        .replace("{trim}", trim);
    for (i, name) in parameters.iter().enumerate() {
        sql = sql.replace(&format!("{{{name}}}"), &format!("{mark}{}", i + 1));
    }
    debug_assert!(!sql.contains('{'), "a parameter is not numbered: {sql}");
    sql
}

/// The three statements, written out for one backend.
struct Statements {
    insert: String,
    create_flags: String,
    project_flags: String,
}

impl Statements {
    fn new(backend: DatabaseBackend) -> Self {
        let insert_parameters: Vec<&str> = CHECK_PARAMETERS
            .iter()
            .chain(&DRAFT_PARAMETERS)
            .copied()
            .collect();
        let insert = format!(
            "{GUARDED_INSERT}{CREATE_ROWS} AND {} RETURNING id, company_id, created_by_user_id",
            all_of(&Check::CREATE)
        );
        let create_flags = format!("SELECT {} {CREATE_ROWS}", flags_of(&Check::CREATE));
        // Whether the user leads the project decides the permission of a move.
        let project_flags = format!(
            "SELECT {}, COALESCE(memberships.user_id IN \
             (projects.pm_user_id, projects.account_user_id), FALSE) AS leads {PROJECT_ROWS}",
            flags_of(&Check::PROJECT)
        );
        Statements {
            insert: for_backend(&insert, &insert_parameters, backend),
            create_flags: for_backend(&create_flags, &CHECK_PARAMETERS, backend),
            project_flags: for_backend(&project_flags, &PROJECT_PARAMETERS, backend),
        }
    }

    fn of(backend: DatabaseBackend) -> &'static Statements {
        static POSTGRES: LazyLock<Statements> =
            LazyLock::new(|| Statements::new(DatabaseBackend::Postgres));
        static SQLITE: LazyLock<Statements> =
            LazyLock::new(|| Statements::new(DatabaseBackend::Sqlite));
        match backend {
            DatabaseBackend::Postgres => &POSTGRES,
            _ => &SQLITE,
        }
    }
}

/// The characters Rust's `str::trim` removes (Unicode `White_Space`).
static WHITESPACE: LazyLock<String> = LazyLock::new(|| {
    (0..=char::MAX as u32)
        .filter_map(char::from_u32)
        .filter(|c| c.is_whitespace())
        .collect()
});

/// A token as presented, and the company the request names: the caller, not yet looked up.
#[derive(Clone, Copy, Debug)]
pub struct TokenInCompany<'a> {
    pub token_hash: &'a str,
    pub company_slug: &'a str,
    pub now: DateTime<Utc>,
}

/// A token expiring within this margin counts as expired here, and is left to the exact check
/// of the token (`store::access`): SQLite compares the stored timestamps through `julianday`,
/// a float.
const EXPIRY_MARGIN: Duration = Duration::seconds(1);

/// What a create is checked for: who asks, for which action's permissions, and the draft.
pub struct CreateRequest<'a> {
    pub token: TokenInCompany<'a>,
    /// The permission on every project, and the one on the projects the user leads.
    pub permissions: (&'a str, &'a str),
    /// The row to insert; its company, creator and id are found by the statement.
    pub draft: &'a invoice::Model,
}

impl CreateRequest<'_> {
    fn check_values(&self) -> Vec<Value> {
        let draft = self.draft;
        vec![
            self.token.token_hash.into(),
            (self.token.now + EXPIRY_MARGIN).into(),
            self.token.company_slug.into(),
            draft.project_id.into(),
            self.permissions.0.into(),
            self.permissions.1.into(),
            WHITESPACE.as_str().into(),
            draft.budget_area_uid.clone().into(),
            draft.vat_rate_id.into(),
            draft.payment_term_id.into(),
        ]
    }

    fn draft_values(&self) -> Vec<Value> {
        let draft = self.draft;
        vec![
            draft.status.to_value().into(),
            draft.invoice_number.clone().into(),
            draft.purchase_order.clone().into(),
            draft.value.into(),
            draft.exchange_rate.into(),
            draft.issue_date.into(),
            draft.payment_date.into(),
            draft.notes.clone().into(),
            draft.created_at.into(),
        ]
    }
}

/// Inserts the draft when every check of [`Check::CREATE`] holds, and returns it; `None` when
/// one doesn't ([`failed_create_check`] says which).
pub async fn insert_draft_if_allowed(
    db: &impl ConnectionTrait,
    request: &CreateRequest<'_>,
) -> Result<Option<invoice::Model>, InvoiceWriteError> {
    let backend = db.get_database_backend();
    let mut values = request.check_values();
    values.extend(request.draft_values());
    let statement =
        Statement::from_sql_and_values(backend, Statements::of(backend).insert.as_str(), values);
    // `query_all_raw` reads to the end, which finishes the statement and so commits it; on
    // SQLite an `INSERT … RETURNING` left unfinished (its rows not all read) keeps its
    // transaction open, and the WAL then cannot be checkpointed past it.
    let found = db.query_all_raw(statement).await.map_err(insert_error)?;
    let Some(ids) = found.first() else {
        return Ok(None);
    };
    Ok(Some(invoice::Model {
        id: ids.try_get_by_index(0)?,
        company_id: ids.try_get_by_index(1)?,
        created_by_user_id: ids.try_get_by_index(2)?,
        ..request.draft.clone()
    }))
}

/// The first check of [`Check::CREATE`] the request fails now, in order; `None` when all hold.
pub async fn failed_create_check(
    db: &impl ConnectionTrait,
    request: &CreateRequest<'_>,
) -> Result<Option<Check>, DbErr> {
    let backend = db.get_database_backend();
    let statement = Statement::from_sql_and_values(
        backend,
        Statements::of(backend).create_flags.as_str(),
        request.check_values(),
    );
    match db.query_one_raw(statement).await? {
        Some(row) => first_failed(&row, &Check::CREATE),
        // No token has this hash.
        None => Ok(Some(Check::TokenLive)),
    }
}

/// How a changed invoice's project and references fare.
#[derive(Clone, Copy, Debug)]
pub struct ProjectChecks {
    /// The first check of [`Check::PROJECT`] that fails, in order.
    pub failed: Option<Check>,
    /// Whether the user is the project's PM or Account.
    pub user_leads: bool,
}

/// The checks of [`Check::PROJECT`] on this project of the company, with these references,
/// for this member; `None` when the user is not a member of the company.
pub async fn project_checks(
    db: &impl ConnectionTrait,
    company_id: i64,
    user_id: i64,
    project_id: i64,
    refs: References<'_>,
) -> Result<Option<ProjectChecks>, DbErr> {
    let backend = db.get_database_backend();
    let values: Vec<Value> = vec![
        company_id.into(),
        user_id.into(),
        project_id.into(),
        WHITESPACE.as_str().into(),
        refs.budget_area_uid.into(),
        refs.vat_rate_id.into(),
        refs.payment_term_id.into(),
    ];
    let statement = Statement::from_sql_and_values(
        backend,
        Statements::of(backend).project_flags.as_str(),
        values,
    );
    let Some(row) = db.query_one_raw(statement).await? else {
        return Ok(None);
    };
    Ok(Some(ProjectChecks {
        failed: first_failed(&row, &Check::PROJECT)?,
        user_leads: row.try_get_by_index(Check::PROJECT.len())?,
    }))
}

/// The first of `checks` whose flag in `row` (one column each, in order) is false.
fn first_failed(row: &QueryResult, checks: &[Check]) -> Result<Option<Check>, DbErr> {
    for (i, check) in checks.iter().enumerate() {
        if !row.try_get_by_index::<bool>(i)? {
            return Ok(Some(*check));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parameter_of_every_statement_is_numbered() {
        for backend in [DatabaseBackend::Postgres, DatabaseBackend::Sqlite] {
            let s = Statements::new(backend);
            for sql in [&s.insert, &s.create_flags, &s.project_flags] {
                assert!(!sql.contains('{'), "{sql}");
            }
        }
    }

    #[test]
    fn the_insert_asks_every_check_of_a_create() {
        let s = Statements::new(DatabaseBackend::Postgres);
        let (_, conditions) = s.insert.split_once(" WHERE ").expect("a WHERE");
        for check in Check::CREATE {
            let condition = for_backend(
                check.condition(),
                &[CHECK_PARAMETERS.as_slice(), DRAFT_PARAMETERS.as_slice()].concat(),
                DatabaseBackend::Postgres,
            );
            assert!(conditions.contains(&condition), "{check:?} missing");
        }
    }
}
