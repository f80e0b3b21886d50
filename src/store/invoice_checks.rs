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
    /// token, `api_tokens`) and the named `{parameters}`; never NULL. A reference not given
    /// passes its check: its condition is then `TRUE`, and its table is not read.
    fn condition(self, given: Given) -> &'static str {
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
                "(every_project.membership_id IS NOT NULL \
                 OR COALESCE(memberships.user_id IN (projects.pm_user_id, projects.account_user_id), FALSE))"
            }
            Check::ProjectActive => "COALESCE(NOT projects.archived, FALSE)",
            Check::HasJobOrder => "COALESCE({trim}(projects.job_order, {whitespace}) <> '', FALSE)",
            Check::BudgetAreaUsable if given.budget_area => {
                "EXISTS (SELECT 1 FROM budget_areas AS b \
                 WHERE b.project_id = projects.id AND b.uid = {budget_area} AND b.enabled)"
            }
            Check::VatRateUsable if given.vat_rate => {
                "EXISTS (SELECT 1 FROM vat_rates AS v \
                 WHERE v.id = {vat_rate} AND v.company_id = projects.company_id AND NOT v.archived)"
            }
            Check::PaymentTermUsable if given.payment_term => {
                "EXISTS (SELECT 1 FROM payment_terms AS t \
                 WHERE t.id = {payment_term} AND t.company_id = projects.company_id \
                 AND NOT t.archived)"
            }
            Check::BudgetAreaUsable | Check::VatRateUsable | Check::PaymentTermUsable => "TRUE",
        }
    }
}

/// Which of the optional references a request gives; each combination has statements of its
/// own, without the conditions of the references not given. One statement for all, with
/// `{reference} IS NULL OR …`, made PostgreSQL plan it again on every execution (its generic
/// plan looked costlier than the custom ones, which fold the `IS NULL` away): PATCH ran about a
/// fifth slower (`BENCHMARKS.md`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Given {
    pub budget_area: bool,
    pub vat_rate: bool,
    pub payment_term: bool,
}

impl Given {
    pub fn of(refs: References<'_>) -> Given {
        Given {
            budget_area: refs.budget_area_uid.is_some(),
            vat_rate: refs.vat_rate_id.is_some(),
            payment_term: refs.payment_term_id.is_some(),
        }
    }

    /// Every combination, by [`Given::index`].
    const EVERY: [Given; 8] = {
        let mut every = [Given {
            budget_area: false,
            vat_rate: false,
            payment_term: false,
        }; 8];
        let mut i = 0;
        while i < 8 {
            every[i] = Given {
                budget_area: i & 1 != 0,
                vat_rate: i & 2 != 0,
                payment_term: i & 4 != 0,
            };
            i += 1;
        }
        every
    };

    fn index(self) -> usize {
        usize::from(self.budget_area)
            | usize::from(self.vat_rate) << 1
            | usize::from(self.payment_term) << 2
    }
}

/// The rows a create is checked against: the token found by its hash, and (when there are
/// any) the company named, the user's membership there, the project in that company and the
/// membership's permission on every project. That permission is joined (at most one row: a
/// membership holds a permission once) rather than asked with `EXISTS` beside the PM/Account
/// rule: in an `OR`, PostgreSQL read every membership's grant of it to answer one request.
const CREATE_ROWS: &str = "\
FROM api_tokens \
LEFT JOIN companies ON companies.slug = {company_slug} \
LEFT JOIN memberships ON memberships.user_id = api_tokens.user_id \
AND memberships.company_id = companies.id \
LEFT JOIN projects ON projects.id = {project} AND projects.company_id = memberships.company_id \
LEFT JOIN membership_permissions AS every_project ON every_project.membership_id = memberships.id \
AND every_project.permission = {other} \
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
{value}, {exchange_rate}, {issue_date}, {payment_date}, {notes}, {budget_area_uid}, \
{vat_rate_id}, {payment_term_id}, memberships.user_id, {now}, {now} ";

/// Every check's condition, joined by `AND`.
fn all_of(checks: &[Check], given: Given) -> String {
    let conditions: Vec<&str> = checks.iter().map(|c| c.condition(given)).collect();
    conditions.join(" AND ")
}

/// Every check's condition as a column, in order.
fn flags_of(checks: &[Check], given: Given) -> String {
    let flags: Vec<String> = (0..checks.len())
        .map(|i| format!("{} AS check_{i}", checks[i].condition(given)))
        .collect();
    flags.join(", ")
}

/// Values by the name of the parameter they are bound to.
type Named = Vec<(&'static str, Value)>;

/// A statement written out for one backend: its spots filled, its `{name}`s numbered in the
/// order they first appear (`$n` on PostgreSQL, `?n` on SQLite).
struct Written {
    sql: String,
    /// The parameters' names, by number (the first is `$1`).
    parameters: Vec<String>,
}

impl Written {
    fn new(sql: &str, backend: DatabaseBackend) -> Written {
        let (expires_after_margin, trim, mark) = match backend {
            DatabaseBackend::Postgres => ("api_tokens.expires_at > {expires_margin}", "btrim", "$"),
            // SQLite keeps timestamps as text: compare them as instants.
            _ => (
                "julianday(api_tokens.expires_at) > julianday({expires_margin})",
                "trim",
                "?",
            ),
        };
        let filled = sql
            .replace("{expires_after_margin}", expires_after_margin)
            .replace("{trim}", trim);
        let mut written = Written {
            sql: String::with_capacity(filled.len()),
            parameters: Vec::new(),
        };
        let mut rest = filled.as_str();
        while let Some((before, after)) = rest.split_once('{') {
            let Some((name, after)) = after.split_once('}') else {
                break;
            };
            let number = match written.parameters.iter().position(|p| p == name) {
                Some(i) => i + 1,
                None => {
                    written.parameters.push(name.to_owned());
                    written.parameters.len()
                }
            };
            written.sql.push_str(before);
            written.sql.push_str(mark);
            written.sql.push_str(&number.to_string());
            rest = after;
        }
        written.sql.push_str(rest);
        written
    }

    /// The statement with `values` bound to its parameters (values it doesn't use are left).
    fn bind(&self, backend: DatabaseBackend, values: &Named) -> Result<Statement, DbErr> {
        let bound = self
            .parameters
            .iter()
            .map(|name| {
                let value = values.iter().find(|(n, _)| n == name);
                value
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| DbErr::Custom(format!("no value for the parameter {name}")))
            })
            .collect::<Result<Vec<Value>, DbErr>>()?;
        Ok(Statement::from_sql_and_values(
            backend,
            self.sql.as_str(),
            bound,
        ))
    }
}

/// The three statements for one backend and one combination of references.
struct Statements {
    insert: Written,
    create_flags: Written,
    project_flags: Written,
}

impl Statements {
    fn insert(given: Given) -> String {
        format!(
            "{GUARDED_INSERT}{CREATE_ROWS} AND {} RETURNING id, company_id, created_by_user_id",
            all_of(&Check::CREATE, given)
        )
    }

    fn new(backend: DatabaseBackend, given: Given) -> Self {
        let create_flags = format!("SELECT {} {CREATE_ROWS}", flags_of(&Check::CREATE, given));
        // Whether the user leads the project decides the permission of a move.
        let project_flags = format!(
            "SELECT {}, COALESCE(memberships.user_id IN \
             (projects.pm_user_id, projects.account_user_id), FALSE) AS leads {PROJECT_ROWS}",
            flags_of(&Check::PROJECT, given)
        );
        Statements {
            insert: Written::new(&Self::insert(given), backend),
            create_flags: Written::new(&create_flags, backend),
            project_flags: Written::new(&project_flags, backend),
        }
    }

    fn of(backend: DatabaseBackend, given: Given) -> &'static Statements {
        static POSTGRES: LazyLock<[Statements; 8]> = LazyLock::new(|| {
            Given::EVERY.map(|given| Statements::new(DatabaseBackend::Postgres, given))
        });
        static SQLITE: LazyLock<[Statements; 8]> = LazyLock::new(|| {
            Given::EVERY.map(|given| Statements::new(DatabaseBackend::Sqlite, given))
        });
        match backend {
            DatabaseBackend::Postgres => &POSTGRES[given.index()],
            _ => &SQLITE[given.index()],
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
    fn given(&self) -> Given {
        Given::of(References {
            budget_area_uid: self.draft.budget_area_uid.as_deref(),
            vat_rate_id: self.draft.vat_rate_id,
            payment_term_id: self.draft.payment_term_id,
        })
    }

    /// The values of the checks' parameters, and of the draft's.
    fn values(&self) -> Named {
        let draft = self.draft;
        vec![
            ("token", self.token.token_hash.into()),
            ("expires_margin", (self.token.now + EXPIRY_MARGIN).into()),
            ("company_slug", self.token.company_slug.into()),
            ("project", draft.project_id.into()),
            ("other", self.permissions.0.into()),
            ("own", self.permissions.1.into()),
            ("whitespace", WHITESPACE.as_str().into()),
            ("budget_area", draft.budget_area_uid.clone().into()),
            ("vat_rate", draft.vat_rate_id.into()),
            ("payment_term", draft.payment_term_id.into()),
            ("status", draft.status.to_value().into()),
            ("invoice_number", draft.invoice_number.clone().into()),
            ("purchase_order", draft.purchase_order.clone().into()),
            ("value", draft.value.into()),
            ("exchange_rate", draft.exchange_rate.into()),
            ("issue_date", draft.issue_date.into()),
            ("payment_date", draft.payment_date.into()),
            ("notes", draft.notes.clone().into()),
            ("budget_area_uid", draft.budget_area_uid.clone().into()),
            ("vat_rate_id", draft.vat_rate_id.into()),
            ("payment_term_id", draft.payment_term_id.into()),
            ("now", draft.created_at.into()),
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
    let statement = Statements::of(backend, request.given())
        .insert
        .bind(backend, &request.values())?;
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
    let statement = Statements::of(backend, request.given())
        .create_flags
        .bind(backend, &request.values())?;
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
    let values: Named = vec![
        ("company", company_id.into()),
        ("user", user_id.into()),
        ("project", project_id.into()),
        ("whitespace", WHITESPACE.as_str().into()),
        ("budget_area", refs.budget_area_uid.into()),
        ("vat_rate", refs.vat_rate_id.into()),
        ("payment_term", refs.payment_term_id.into()),
    ];
    let statement = Statements::of(backend, Given::of(refs))
        .project_flags
        .bind(backend, &values)?;
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
    fn parameters_are_numbered_in_order_of_first_use() {
        let written = Written::new("a = {x} AND b = {y} OR a = {x}", DatabaseBackend::Postgres);
        assert_eq!(written.sql, "a = $1 AND b = $2 OR a = $1");
        assert_eq!(written.parameters, ["x", "y"]);
        let written = Written::new("{trim}({x})", DatabaseBackend::Sqlite);
        assert_eq!(written.sql, "trim(?1)");
    }

    #[test]
    fn every_parameter_of_every_statement_is_numbered() {
        for backend in [DatabaseBackend::Postgres, DatabaseBackend::Sqlite] {
            for given in Given::EVERY {
                let s = Statements::new(backend, given);
                for written in [&s.insert, &s.create_flags, &s.project_flags] {
                    assert!(!written.sql.contains('{'), "{}", written.sql);
                }
            }
        }
    }

    #[test]
    fn the_insert_asks_every_check_of_a_create() {
        for given in Given::EVERY {
            let insert = Statements::insert(given);
            let (_, conditions) = insert.split_once(" WHERE ").expect("a WHERE");
            for check in Check::CREATE {
                let condition = check.condition(given);
                assert!(conditions.contains(condition), "{check:?} missing");
            }
        }
    }

    #[test]
    fn only_the_references_given_are_looked_up() {
        let tables = ["budget_areas", "vat_rates", "payment_terms"];
        for given in Given::EVERY {
            let expected = [given.budget_area, given.vat_rate, given.payment_term];
            let s = Statements::new(DatabaseBackend::Postgres, given);
            for written in [&s.insert, &s.create_flags, &s.project_flags] {
                for (table, read) in tables.iter().zip(expected) {
                    assert_eq!(
                        written.sql.contains(table),
                        read,
                        "{given:?}: {}",
                        written.sql
                    );
                }
            }
            assert_eq!(Given::EVERY[given.index()], given);
        }
    }
}
