//! The create's happy path as one statement: an `INSERT … SELECT` whose `WHERE` is every check
//! a create must pass, from the token to the references, so a valid request costs a single
//! round trip to the database.
//!
//! It inserts nothing when any check fails, and does not say which: the caller then runs the
//! checks one by one, in the contract's order, to answer precisely. So each condition here must
//! be at least as strict as the check it stands for (`store::access::identify_and_record_use`,
//! `api::access::Caller`, `api::invoices::checks`): being stricter only sends a valid request
//! down the slower path; being looser would insert what the checks refuse. The black-box tests
//! of every refusal hold it to that, since every create passes through here first.
//!
//! The SQL is written out once per backend rather than built per request: building it with
//! sea-query cost about a tenth of the server's CPU per create, and one fixed text is also one
//! prepared statement per connection.

use super::invoices::{InvoiceWriteError, draft, insert_error};
use crate::domain::invoice::NewInvoice;
use crate::domain::permission::Action;
use chrono::{DateTime, Duration, Utc};
use entity::invoice;
use sea_orm::{ActiveEnum, ConnectionTrait, DatabaseBackend, Statement, Value};
use std::sync::LazyLock;

/// A token as presented, and the company the request names: the caller, not yet looked up.
#[derive(Clone, Copy, Debug)]
pub struct TokenInCompany<'a> {
    pub token_hash: &'a str,
    pub company_slug: &'a str,
    pub now: DateTime<Utc>,
}

/// A token expiring within this margin is left to the exact check: SQLite compares the stored
/// timestamps through `julianday`, a float.
const EXPIRY_MARGIN: Duration = Duration::seconds(1);

/// The statement, with `$n` parameters (numbered as `values` lists them) and two backend
/// specific spots: how an expiry is compared, and the name of the two-argument trim.
///
/// - the token: found by its hash, not revoked, not expiring within the margin;
/// - the company named, and the token's user a member of it;
/// - the project in that company (a project of another company is missing);
/// - `invoices.create_other`, or `invoices.create` on a project the user is PM or Account of;
/// - the project not archived, with a job order that is not blank by Rust's `str::trim`
///   (every Unicode `White_Space` character is passed to the database's trim);
/// - each reference given: an enabled budget area of the project, a VAT rate and a payment
///   term of the company that are not archived.
///
/// The company and the creator come from the tables; everything else is the draft's.
const GUARDED_INSERT: &str = "\
INSERT INTO invoices (company_id, project_id, status, invoice_number, purchase_order, value, \
exchange_rate, issue_date, payment_date, notes, budget_area_uid, vat_rate_id, payment_term_id, \
created_by_user_id, created_at, updated_at) \
SELECT projects.company_id, projects.id, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
api_tokens.user_id, $12, $12 \
FROM projects \
JOIN companies ON companies.id = projects.company_id \
JOIN api_tokens ON api_tokens.token_hash = $13 AND api_tokens.revoked_at IS NULL \
AND (api_tokens.expires_at IS NULL OR {expires_after_14}) \
JOIN memberships ON memberships.user_id = api_tokens.user_id \
AND memberships.company_id = companies.id \
WHERE companies.slug = $15 AND projects.id = $16 \
AND (EXISTS (SELECT 1 FROM membership_permissions AS p \
WHERE p.membership_id = memberships.id AND p.permission = $17) \
OR (EXISTS (SELECT 1 FROM membership_permissions AS p \
WHERE p.membership_id = memberships.id AND p.permission = $18) \
AND api_tokens.user_id IN (projects.pm_user_id, projects.account_user_id))) \
AND NOT projects.archived AND projects.job_order IS NOT NULL \
AND {trim}(projects.job_order, $19) <> '' \
AND ($9 IS NULL OR EXISTS (SELECT 1 FROM budget_areas AS b \
WHERE b.project_id = projects.id AND b.uid = $9 AND b.enabled)) \
AND ($10 IS NULL OR EXISTS (SELECT 1 FROM vat_rates AS v \
WHERE v.id = $10 AND v.company_id = projects.company_id AND NOT v.archived)) \
AND ($11 IS NULL OR EXISTS (SELECT 1 FROM payment_terms AS t \
WHERE t.id = $11 AND t.company_id = projects.company_id AND NOT t.archived)) \
RETURNING id, company_id, created_by_user_id";

static POSTGRES: LazyLock<String> = LazyLock::new(|| {
    GUARDED_INSERT
        .replace("{expires_after_14}", "api_tokens.expires_at > $14")
        .replace("{trim}", "btrim")
});

// SQLite keeps timestamps as text: compare them as instants. Its numbered parameters are `?n`.
static SQLITE: LazyLock<String> = LazyLock::new(|| {
    GUARDED_INSERT
        .replace(
            "{expires_after_14}",
            "julianday(api_tokens.expires_at) > julianday($14)",
        )
        .replace("{trim}", "trim")
        .replace('$', "?")
});

/// The characters Rust's `str::trim` removes (Unicode `White_Space`).
static WHITESPACE: LazyLock<String> = LazyLock::new(|| {
    (0..=char::MAX as u32)
        .filter_map(char::from_u32)
        .filter(|c| c.is_whitespace())
        .collect()
});

/// Inserts a draft of `new` when every check of a create holds, and returns it; `None` when
/// one doesn't.
pub async fn insert_draft_if_allowed(
    db: &impl ConnectionTrait,
    token: TokenInCompany<'_>,
    new: &NewInvoice,
) -> Result<Option<invoice::Model>, InvoiceWriteError> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => POSTGRES.as_str(),
        _ => SQLITE.as_str(),
    };
    // The company and the creator are not known yet: they come back with the id.
    let row = draft(0, 0, new.clone(), token.now);
    let values: Vec<Value> = vec![
        row.status.to_value().into(),
        row.invoice_number.clone().into(),
        row.purchase_order.clone().into(),
        row.value.into(),
        row.exchange_rate.into(),
        row.issue_date.into(),
        row.payment_date.into(),
        row.notes.clone().into(),
        row.budget_area_uid.clone().into(),
        row.vat_rate_id.into(),
        row.payment_term_id.into(),
        row.created_at.into(),
        token.token_hash.into(),
        (token.now + EXPIRY_MARGIN).into(),
        token.company_slug.into(),
        row.project_id.into(),
        Action::Create.other().as_str().into(),
        Action::Create.own().as_str().into(),
        WHITESPACE.as_str().into(),
    ];
    // `query_all_raw` reads to the end, which finishes the statement and so commits it; on
    // SQLite an `INSERT … RETURNING` left unfinished (its rows not all read) keeps its
    // transaction open, and the WAL then cannot be checkpointed past it.
    let found = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .map_err(insert_error)?;
    let Some(ids) = found.first() else {
        return Ok(None);
    };
    Ok(Some(invoice::Model {
        id: ids.try_get_by_index(0)?,
        company_id: ids.try_get_by_index(1)?,
        created_by_user_id: ids.try_get_by_index(2)?,
        ..row
    }))
}
