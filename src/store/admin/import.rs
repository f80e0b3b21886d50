//! `admin import FILE`: a JSON file declares companies with their users, members and
//! permissions, projects and their budget areas, VAT rates, payment terms and invoice contacts.
//! Records are matched by natural keys: users by email, companies by slug, members by company
//! and user, projects, VAT rates and payment terms by the `key` the file gives them (stored as
//! their `external_id`), budget areas by uid and invoice contacts by email, each within the
//! company. A keyed record not found by its key takes over the one record of that name without
//! a key (made with `add` before any import). What is missing is created and what differs is
//! updated; nothing is deleted, and tokens are never imported. Running a file twice changes
//! nothing the second time.
//!
//! The file is read and checked whole before anything is written (every mistake named by its
//! place, `companies[0].projects[3].pm`); then it is written in one transaction, whose checks
//! against the database (a PM must be a member) roll everything back when one fails.

use super::import_invoices::{self, InvoiceEntry};
use super::write::{Outcome, write_row};
use super::{
    AdminError, CONTACT_TEXT_MAX, contact_alias, email_address, insert_permissions, membership_of,
    name, vat_rate_value,
};
use crate::domain::company::CompanySlug;
use crate::domain::permission::Permission;
use chrono::{DateTime, Utc};
use entity::budget::BudgetStatus;
use entity::budget_area::BudgetAreaType;
use entity::{
    ExactDecimal, budget, budget_area, company, invoice_contact, membership, membership_permission,
    payment_term, project, user, vat_rate,
};
use rust_decimal::Decimal;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ModelTrait, QueryFilter, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;

/// The whole file.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ImportFile {
    #[serde(default)]
    pub users: Vec<UserEntry>,
    #[serde(default)]
    pub companies: Vec<CompanyEntry>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    pub email: String,
    pub name: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CompanyEntry {
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub members: Vec<MemberEntry>,
    #[serde(default)]
    pub projects: Vec<ProjectEntry>,
    #[serde(default)]
    pub vat_rates: Vec<VatRateEntry>,
    #[serde(default)]
    pub payment_terms: Vec<PaymentTermEntry>,
    #[serde(default)]
    pub invoice_contacts: Vec<ContactEntry>,
    /// The company's invoices (`store::admin::import_invoices`).
    #[serde(default)]
    pub invoices: Vec<InvoiceEntry>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MemberEntry {
    /// The user's email.
    pub user: String,
    /// Exactly the permissions the member holds after the import.
    #[serde(default)]
    pub permissions: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectEntry {
    /// The id it has in the system it comes from: stored under it (README, "Importing a
    /// company").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub job_order: Option<String>,
    pub pm: String,
    pub account: String,
    #[serde(default)]
    pub archived: bool,
    /// Areas of the project's baseline budget (made when the project has none).
    #[serde(default)]
    pub budget_areas: Vec<BudgetAreaEntry>,
    /// The project's budgets, each with its areas, keyed by version.
    #[serde(default)]
    pub budgets: Vec<BudgetEntry>,
}

/// A budget's status, by the original's names.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum BudgetStatusName {
    #[default]
    Draft,
    Submitted,
    Approved,
}

/// A budget area's type, by the original's names.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize)]
pub enum BudgetAreaTypeName {
    #[default]
    #[serde(rename = "DEFAULT")]
    Default,
    #[serde(rename = "CONTINGENCY-DISCOUNT")]
    ContingencyDiscount,
    #[serde(rename = "TRAVEL-CORE-COST-EXPENSES")]
    TravelCoreCostExpenses,
    #[serde(rename = "PM")]
    Pm,
}

/// The totals of a budget or a budget area (external cost, cost, price, days): JSON numbers,
/// read from their exact text; 0 when left out.
fn totals(given: [&Option<serde_json::Number>; 4]) -> Result<super::Totals, AdminError> {
    let value = |n: &Option<serde_json::Number>| n.as_ref().map_or(Ok(Decimal::ZERO), decimal);
    super::Totals {
        external_cost: value(given[0])?,
        cost: value(given[1])?,
        price: value(given[2])?,
        days: value(given[3])?,
    }
    .checked()
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetEntry {
    /// The id it has in the system it comes from: stored under it (README, "Importing a
    /// company").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    pub version: i32,
    #[serde(default)]
    pub status: BudgetStatusName,
    #[serde(default)]
    pub is_baseline: bool,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default = "euro")]
    pub currency: String,
    #[serde(default)]
    pub is_currency_enabled: bool,
    #[serde(default)]
    pub final_net_price: Option<serde_json::Number>,
    #[serde(default)]
    pub total_external_cost: Option<serde_json::Number>,
    #[serde(default)]
    pub total_cost: Option<serde_json::Number>,
    #[serde(default)]
    pub total_price: Option<serde_json::Number>,
    #[serde(default)]
    pub total_days: Option<serde_json::Number>,
    #[serde(default)]
    pub price_list_id: Option<i64>,
    #[serde(default)]
    pub budget_areas: Vec<BudgetAreaEntry>,
}

impl BudgetEntry {
    fn totals(&self) -> Result<super::Totals, AdminError> {
        totals([
            &self.total_external_cost,
            &self.total_cost,
            &self.total_price,
            &self.total_days,
        ])
    }
}

fn euro() -> String {
    "EUR".to_owned()
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetAreaEntry {
    /// The id it has in the system it comes from: stored under it (README, "Importing a
    /// company").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    pub uid: String,
    pub name: String,
    #[serde(default = "enabled")]
    pub enabled: bool,
    #[serde(default, rename = "type")]
    pub area_type: BudgetAreaTypeName,
    #[serde(default)]
    pub total_external_cost: Option<serde_json::Number>,
    #[serde(default)]
    pub total_cost: Option<serde_json::Number>,
    #[serde(default)]
    pub total_price: Option<serde_json::Number>,
    #[serde(default)]
    pub total_days: Option<serde_json::Number>,
    #[serde(default)]
    pub price_list_id: Option<i64>,
}

impl BudgetAreaEntry {
    fn totals(&self) -> Result<super::Totals, AdminError> {
        totals([
            &self.total_external_cost,
            &self.total_cost,
            &self.total_price,
            &self.total_days,
        ])
    }
}

fn enabled() -> bool {
    true
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VatRateEntry {
    /// The id it has in the system it comes from: stored under it (README, "Importing a
    /// company").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    pub key: String,
    pub name: String,
    /// A JSON number, read from its exact text.
    pub rate: serde_json::Number,
    #[serde(default)]
    pub archived: bool,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentTermEntry {
    /// The id it has in the system it comes from: stored under it (README, "Importing a
    /// company").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    pub key: String,
    pub name: String,
    pub days: u16,
    #[serde(default)]
    pub archived: bool,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ContactEntry {
    /// The id it has in the system it comes from: stored under it (README, "Importing a
    /// company").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    pub email: String,
    pub alias: String,
}

/// A mistake in the file, at its place.
#[derive(Debug)]
pub struct Mistake {
    pub place: String,
    pub message: String,
}

impl fmt::Display for Mistake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Every mistake found, each at its place.
    #[error("{}", describe(.0))]
    Mistakes(Vec<Mistake>),
    #[error(transparent)]
    Admin(#[from] AdminError),
}

impl From<sea_orm::DbErr> for ImportError {
    fn from(err: sea_orm::DbErr) -> Self {
        ImportError::Admin(AdminError::Db(err))
    }
}

/// The most mistakes named in one message.
const MISTAKES_SHOWN: usize = 10;

fn describe(mistakes: &[Mistake]) -> String {
    let shown: Vec<String> = mistakes
        .iter()
        .take(MISTAKES_SHOWN)
        .map(Mistake::to_string)
        .collect();
    let more = mistakes.len().saturating_sub(MISTAKES_SHOWN);
    if more > 0 {
        format!("{} (and {more} more)", shown.join("; "))
    } else {
        shown.join("; ")
    }
}

pub(super) fn mistake(place: impl Into<String>, message: impl fmt::Display) -> ImportError {
    ImportError::Mistakes(vec![Mistake {
        place: place.into(),
        message: message.to_string(),
    }])
}

/// Reads the file's JSON; a mistake of shape names its place.
pub fn parse(json: &str) -> Result<ImportFile, ImportError> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let place = err.path().to_string();
        let place = if place == "." || place == "?" {
            "file".to_owned()
        } else {
            place
        };
        mistake(place, err.into_inner())
    })
}

/// What an import did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.created + self.updated == 0 {
            write!(f, "no changes ({} records unchanged)", self.unchanged)
        } else {
            write!(
                f,
                "{} created, {} updated, {} unchanged",
                self.created, self.updated, self.unchanged
            )
        }
    }
}

impl Summary {
    fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Created => self.created += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
        }
    }
}

/// Checks the whole file without the database: every value's rules, and no key twice where it
/// must be unique. Returns every mistake found.
pub fn check(file: &ImportFile) -> Result<(), ImportError> {
    let mut mistakes = Vec::new();
    let mut note = |place: String, result: Result<(), AdminError>| {
        if let Err(err) = result {
            mistakes.push(Mistake {
                place,
                message: err.to_string(),
            });
        }
    };
    let mut emails = Unique::default();
    for (i, u) in file.users.iter().enumerate() {
        let at = format!("users[{i}]");
        note(
            format!("{at}.email"),
            email_address(&u.email, 320).and_then(|e| emails.add(e)),
        );
        note(format!("{at}.name"), name(&u.name, "name").map(drop));
    }
    let mut slugs = Unique::default();
    for (c, company) in file.companies.iter().enumerate() {
        let at = format!("companies[{c}]");
        note(
            format!("{at}.slug"),
            CompanySlug::parse(&company.slug)
                .map_err(|m| AdminError::Invalid(format!("slug {m}")))
                .and_then(|s| slugs.add(s.as_str().to_owned())),
        );
        note(format!("{at}.name"), name(&company.name, "name").map(drop));
        let mut members = Unique::default();
        for (m, member) in company.members.iter().enumerate() {
            let at = format!("{at}.members[{m}]");
            note(
                format!("{at}.user"),
                email_address(&member.user, 320).and_then(|e| members.add(e)),
            );
            for (p, permission) in member.permissions.iter().enumerate() {
                note(
                    format!("{at}.permissions[{p}]"),
                    permission
                        .parse::<Permission>()
                        .map(drop)
                        .map_err(AdminError::Invalid),
                );
            }
        }
        let (mut keys, mut uids) = (Unique::default(), Unique::default());
        let (mut project_ids, mut budget_ids, mut area_ids) = (Ids::new(), Ids::new(), Ids::new());
        for (p, project) in company.projects.iter().enumerate() {
            let at = format!("{at}.projects[{p}]");
            note(format!("{at}.id"), project_ids.add(project.id));
            note(
                format!("{at}.key"),
                name(&project.key, "key").and_then(|k| keys.add(k)),
            );
            note(format!("{at}.name"), name(&project.name, "name").map(drop));
            if let Some(job_order) = &project.job_order {
                note(
                    format!("{at}.job_order"),
                    name(job_order, "job order").map(drop),
                );
            }
            note(
                format!("{at}.pm"),
                email_address(&project.pm, 320).map(drop),
            );
            note(
                format!("{at}.account"),
                email_address(&project.account, 320).map(drop),
            );
            let areas = project
                .budget_areas
                .iter()
                .enumerate()
                .map(|(b, area)| (format!("{at}.budget_areas[{b}]"), area));
            let mut versions = Unique::default();
            let mut budget_areas = Vec::new();
            for (b, budget) in project.budgets.iter().enumerate() {
                let at = format!("{at}.budgets[{b}]");
                note(format!("{at}.id"), budget_ids.add(budget.id));
                let version = (budget.version >= 1)
                    .then(|| budget.version.to_string())
                    .ok_or_else(|| AdminError::Invalid("version must be 1 or more".into()));
                note(
                    format!("{at}.version"),
                    version.and_then(|v| versions.add(v)),
                );
                note(
                    format!("{at}.currency"),
                    super::currency(&budget.currency).map(drop),
                );
                if let Some(price) = &budget.final_net_price {
                    note(
                        format!("{at}.final_net_price"),
                        decimal(price)
                            .and_then(|d| super::amount(d, "final net price"))
                            .map(drop),
                    );
                }
                note(at.clone(), budget.totals().map(drop));
                for (a, area) in budget.budget_areas.iter().enumerate() {
                    budget_areas.push((format!("{at}.budget_areas[{a}]"), area));
                }
            }
            for (at, area) in areas.chain(budget_areas) {
                note(format!("{at}.id"), area_ids.add(area.id));
                note(
                    format!("{at}.uid"),
                    name(&area.uid, "uid").and_then(|u| uids.add(u)),
                );
                note(format!("{at}.name"), name(&area.name, "name").map(drop));
                note(at.clone(), area.totals().map(drop));
            }
        }
        let (mut keys, mut ids) = (Unique::default(), Ids::new());
        for (v, rate) in company.vat_rates.iter().enumerate() {
            let at = format!("{at}.vat_rates[{v}]");
            note(format!("{at}.id"), ids.add(rate.id));
            note(
                format!("{at}.key"),
                name(&rate.key, "key").and_then(|k| keys.add(k)),
            );
            note(format!("{at}.name"), name(&rate.name, "name").map(drop));
            note(
                format!("{at}.rate"),
                decimal(&rate.rate).and_then(vat_rate_value).map(drop),
            );
        }
        let (mut keys, mut ids) = (Unique::default(), Ids::new());
        for (t, term) in company.payment_terms.iter().enumerate() {
            let at = format!("{at}.payment_terms[{t}]");
            note(format!("{at}.id"), ids.add(term.id));
            note(
                format!("{at}.key"),
                name(&term.key, "key").and_then(|k| keys.add(k)),
            );
            note(format!("{at}.name"), name(&term.name, "name").map(drop));
        }
        let (mut contacts, mut ids) = (Unique::default(), Ids::new());
        for (k, contact) in company.invoice_contacts.iter().enumerate() {
            let at = format!("{at}.invoice_contacts[{k}]");
            note(format!("{at}.id"), ids.add(contact.id));
            note(
                format!("{at}.email"),
                email_address(&contact.email, CONTACT_TEXT_MAX).and_then(|e| contacts.add(e)),
            );
            note(
                format!("{at}.alias"),
                contact_alias(&contact.alias).map(drop),
            );
        }
    }
    for (c, company) in file.companies.iter().enumerate() {
        import_invoices::check(&format!("companies[{c}]"), &company.invoices, &mut mistakes);
    }
    if mistakes.is_empty() {
        Ok(())
    } else {
        Err(ImportError::Mistakes(mistakes))
    }
}

/// Values already seen where each must be unique.
#[derive(Default)]
struct Unique(HashSet<String>);

impl Unique {
    fn add(&mut self, value: String) -> Result<(), AdminError> {
        if self.0.insert(value.clone()) {
            Ok(())
        } else {
            Err(AdminError::Invalid(format!("{value:?} is given twice")))
        }
    }
}

/// The ids the file gives one kind of record: each at least 1, none twice.
struct Ids(Unique);

impl Ids {
    fn new() -> Self {
        Ids(Unique::default())
    }

    fn add(&mut self, id: Option<i64>) -> Result<(), AdminError> {
        match id {
            None => Ok(()),
            Some(id) if id < 1 => Err(AdminError::Invalid(format!(
                "an id must be 1 or more, not {id}"
            ))),
            Some(id) => self.0.add(id.to_string()),
        }
    }
}

/// The stored record an entry means once its `id` is taken into account. Without an id, the
/// one its natural key found (`by_key`). With an id: the record under that id, which must be
/// this company's (another company's is a mistake naming it) and the one the key found, if
/// any; or none, and the record is made under that id (a record the key found under another
/// id is a mistake: the file and the database disagree).
async fn with_id<E>(
    db: &impl ConnectionTrait,
    id: Option<i64>,
    [id_column, company_column]: [E::Column; 2],
    company: &company::Model,
    by_key: Option<E::Model>,
    place: &str,
) -> Result<Option<E::Model>, ImportError>
where
    E: EntityTrait,
    E::Model: ModelTrait<Entity = E>,
{
    let Some(id) = id else {
        return Ok(by_key);
    };
    let number = |model: &E::Model, column: E::Column| match model.get(column) {
        sea_orm::Value::BigInt(Some(n)) => n,
        _ => 0,
    };
    let table = E::default().table_name().to_owned();
    let stored = E::find().filter(id_column.eq(id)).one(db).await?;
    match (stored, by_key) {
        (Some(stored), _) if number(&stored, company_column) != company.id => Err(mistake(
            format!("{place}.id"),
            format!("{table} id {id} is another company's record"),
        )),
        (stored, Some(found)) if number(&found, id_column) != id => Err(mistake(
            format!("{place}.id"),
            format!(
                "this record is stored in {} under id {}, not {id}{}",
                company.slug,
                number(&found, id_column),
                if stored.is_some() {
                    " (which is another record)"
                } else {
                    ""
                }
            ),
        )),
        (stored, _) => Ok(stored),
    }
}

fn decimal(number: &serde_json::Number) -> Result<Decimal, AdminError> {
    let text = number.to_string();
    Decimal::from_str_exact(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(|_| AdminError::Invalid(format!("{text} is not an exact decimal number")))
}

/// Applies a checked file in one transaction; returns what it did.
pub async fn apply(db: &DatabaseConnection, file: &ImportFile) -> Result<Summary, ImportError> {
    check(file)?;
    let txn = super::super::begin_write(db).await?;
    let now = super::write::now();
    let mut summary = Summary::default();
    for user in &file.users {
        summary.count(upsert_user(&txn, user, now).await?);
    }
    for (c, entry) in file.companies.iter().enumerate() {
        let at = format!("companies[{c}]");
        let (company, outcome) = upsert_company(&txn, entry, now).await?;
        summary.count(outcome);
        for (m, member) in entry.members.iter().enumerate() {
            let at = format!("{at}.members[{m}]");
            summary.count(upsert_member(&txn, &company, member, &at, now).await?);
        }
        for (p, project) in entry.projects.iter().enumerate() {
            let at = format!("{at}.projects[{p}]");
            let (project_id, outcome) = upsert_project(&txn, &company, project, &at, now).await?;
            summary.count(outcome);
            for (b, area) in project.budget_areas.iter().enumerate() {
                let at = format!("{at}.budget_areas[{b}]");
                let outcome = upsert_budget_area(&txn, &company, project_id, None, area, &at, now);
                summary.count(outcome.await?);
            }
            for (b, budget) in project.budgets.iter().enumerate() {
                let at = format!("{at}.budgets[{b}]");
                let (budget_id, outcome) =
                    upsert_budget(&txn, &company, project_id, budget, &at, now).await?;
                summary.count(outcome);
                for (a, area) in budget.budget_areas.iter().enumerate() {
                    let at = format!("{at}.budget_areas[{a}]");
                    let budget = Some(budget_id);
                    let outcome =
                        upsert_budget_area(&txn, &company, project_id, budget, area, &at, now);
                    summary.count(outcome.await?);
                }
            }
        }
        for (v, rate) in entry.vat_rates.iter().enumerate() {
            let at = format!("{at}.vat_rates[{v}]");
            summary.count(upsert_vat_rate(&txn, &company, rate, &at, now).await?);
        }
        for (t, term) in entry.payment_terms.iter().enumerate() {
            let at = format!("{at}.payment_terms[{t}]");
            summary.count(upsert_payment_term(&txn, &company, term, &at, now).await?);
        }
        for (k, contact) in entry.invoice_contacts.iter().enumerate() {
            let at = format!("{at}.invoice_contacts[{k}]");
            summary.count(upsert_contact(&txn, &company, contact, &at, now).await?);
        }
        for (i, invoice) in entry.invoices.iter().enumerate() {
            let at = format!("{at}.invoices[{i}]");
            summary.count(import_invoices::upsert(&txn, &company, invoice, &at).await?);
        }
    }
    // Rows stored under the file's ids: new rows made afterwards get ids above them.
    for table in ID_TABLES {
        crate::store::ids::continue_after_highest(&txn, table).await?;
    }
    txn.commit().await?;
    Ok(summary)
}

/// The tables whose records an import may store under ids the file gives.
const ID_TABLES: [&str; 7] = [
    "projects",
    "budgets",
    "budget_areas",
    "vat_rates",
    "payment_terms",
    "invoice_contacts",
    "invoices",
];

/// The company's record of `E` with this key (`columns`: company, key, name); else the one
/// record of this name without a key (made by `add`), which the import takes over; else none.
async fn keyed<E: EntityTrait>(
    db: &impl ConnectionTrait,
    [company, key_column, name_column]: [E::Column; 3],
    company_id: i64,
    key: &str,
    name: &str,
) -> Result<Option<E::Model>, sea_orm::DbErr> {
    let of_company = || E::find().filter(company.eq(company_id));
    if let Some(found) = of_company().filter(key_column.eq(key)).one(db).await? {
        return Ok(Some(found));
    }
    let mut unkeyed = of_company()
        .filter(name_column.eq(name))
        .filter(key_column.is_null())
        .all(db)
        .await?;
    Ok(if unkeyed.len() == 1 {
        unkeyed.pop()
    } else {
        None
    })
}

async fn upsert_user(
    db: &impl ConnectionTrait,
    entry: &UserEntry,
    now: DateTime<Utc>,
) -> Result<Outcome, ImportError> {
    let email = email_address(&entry.email, 320)?;
    let name = name(&entry.name, "name")?;
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?;
    let (_, outcome) = write_row(db, found, now, |row: &mut user::ActiveModel| {
        row.email.set_ne(email);
        row.name.set_ne(name);
    })
    .await?;
    Ok(outcome)
}

async fn upsert_company(
    db: &impl ConnectionTrait,
    entry: &CompanyEntry,
    now: DateTime<Utc>,
) -> Result<(company::Model, Outcome), ImportError> {
    let name = name(&entry.name, "name")?;
    let found = company::Entity::find()
        .filter(company::Column::Slug.eq(entry.slug.as_str()))
        .one(db)
        .await?;
    Ok(write_row(db, found, now, |row: &mut company::ActiveModel| {
        row.slug.set_ne(entry.slug.clone());
        row.name.set_ne(name);
    })
    .await?)
}

/// The user with this email, declared in the file or already stored.
async fn user_at(
    db: &impl ConnectionTrait,
    email: &str,
    place: &str,
) -> Result<user::Model, ImportError> {
    let email = email_address(email, 320)?;
    user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| mistake(place, format!("no user {email:?} (declare it in `users`)")))
}

async fn upsert_member(
    db: &impl ConnectionTrait,
    company: &company::Model,
    entry: &MemberEntry,
    at: &str,
    now: DateTime<Utc>,
) -> Result<Outcome, ImportError> {
    let user = user_at(db, &entry.user, &format!("{at}.user")).await?;
    let mut wanted: Vec<String> = entry
        .permissions
        .iter()
        .filter_map(|p| p.parse::<Permission>().ok())
        .map(|p| p.as_str().to_owned())
        .collect();
    wanted.sort();
    wanted.dedup();
    let (membership_id, created) = match membership_of(db, company.id, user.id).await? {
        Some(found) => (found.id, false),
        None => {
            let fill = |row: &mut membership::ActiveModel| {
                row.company_id = Set(company.id);
                row.user_id = Set(user.id);
            };
            let (created, _) = write_row(db, None, now, fill).await?;
            (created.id, true)
        }
    };
    let held: Vec<String> = membership_permission::Entity::find()
        .filter(membership_permission::Column::MembershipId.eq(membership_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.permission)
        .collect();
    let extra: Vec<&String> = held.iter().filter(|p| !wanted.contains(p)).collect();
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|p| !held.contains(p))
        .map(String::as_str)
        .collect();
    if !extra.is_empty() {
        membership_permission::Entity::delete_many()
            .filter(membership_permission::Column::MembershipId.eq(membership_id))
            .filter(
                membership_permission::Column::Permission.is_in(extra.iter().map(|p| p.as_str())),
            )
            .exec(db)
            .await?;
    }
    insert_permissions(db, membership_id, &missing).await?;
    Ok(if created {
        Outcome::Created
    } else if extra.is_empty() && missing.is_empty() {
        Outcome::Unchanged
    } else {
        Outcome::Updated
    })
}

async fn upsert_project(
    db: &impl ConnectionTrait,
    company: &company::Model,
    entry: &ProjectEntry,
    at: &str,
    now: DateTime<Utc>,
) -> Result<(i64, Outcome), ImportError> {
    let mut roles = [0; 2];
    for (slot, (role, email)) in roles
        .iter_mut()
        .zip([("pm", &entry.pm), ("account", &entry.account)])
    {
        let place = format!("{at}.{role}");
        let user = user_at(db, email, &place).await?;
        if membership_of(db, company.id, user.id).await?.is_none() {
            return Err(mistake(
                place,
                format!("{} is not a member of {}", user.email, company.slug),
            ));
        }
        *slot = user.id;
    }
    let name = name(&entry.name, "name")?;
    let job_order = entry
        .job_order
        .as_deref()
        .map(|j| super::name(j, "job order"))
        .transpose()?;
    let key = super::name(&entry.key, "key")?;
    let columns = [
        project::Column::CompanyId,
        project::Column::ExternalId,
        project::Column::Name,
    ];
    let found = keyed::<project::Entity>(db, columns, company.id, &key, &name).await?;
    let columns = [project::Column::Id, project::Column::CompanyId];
    let found = with_id::<project::Entity>(db, entry.id, columns, company, found, at).await?;
    let (row, outcome) = write_row(db, found, now, |row: &mut project::ActiveModel| {
        if let Some(id) = entry.id {
            row.id.set_ne(id);
        }
        row.company_id.set_ne(company.id);
        row.external_id.set_ne(Some(key));
        row.name.set_ne(name);
        row.job_order.set_ne(job_order);
        row.pm_user_id.set_ne(roles[0]);
        row.account_user_id.set_ne(roles[1]);
        row.archived.set_ne(entry.archived);
    })
    .await?;
    Ok((row.id, outcome))
}

/// A project's budget, by version: made, or changed to what the file says.
async fn upsert_budget(
    db: &impl ConnectionTrait,
    company: &company::Model,
    project_id: i64,
    entry: &BudgetEntry,
    at: &str,
    now: DateTime<Utc>,
) -> Result<(i64, Outcome), ImportError> {
    let new = super::NewBudget {
        version: entry.version,
        status: match entry.status {
            BudgetStatusName::Draft => BudgetStatus::Draft,
            BudgetStatusName::Submitted => BudgetStatus::Submitted,
            BudgetStatusName::Approved => BudgetStatus::Approved,
        },
        is_baseline: entry.is_baseline,
        notes: entry.notes.clone(),
        currency: entry.currency.clone(),
        is_currency_enabled: entry.is_currency_enabled,
        final_net_price: entry
            .final_net_price
            .as_ref()
            .map_or(Ok(Decimal::ZERO), decimal)?,
        totals: entry.totals()?,
        price_list_id: entry.price_list_id,
    };
    let fill = new.checked_fill(company.id, project_id)?;
    let found = budget::Entity::find()
        .filter(budget::Column::ProjectId.eq(project_id))
        .filter(budget::Column::Version.eq(entry.version))
        .one(db)
        .await?;
    let columns = [budget::Column::Id, budget::Column::CompanyId];
    let found = with_id::<budget::Entity>(db, entry.id, columns, company, found, at).await?;
    let (row, outcome) = write_row(db, found, now, |row: &mut budget::ActiveModel| {
        if let Some(id) = entry.id {
            row.id.set_ne(id);
        }
        fill(row);
    })
    .await?;
    Ok((row.id, outcome))
}

/// A budget area, by uid: made, or changed to what the file says; in `budget_id` when given,
/// else where it is while its project stays, else in the project's baseline budget.
async fn upsert_budget_area(
    db: &impl ConnectionTrait,
    company: &company::Model,
    project_id: i64,
    budget_id: Option<i64>,
    entry: &BudgetAreaEntry,
    at: &str,
    now: DateTime<Utc>,
) -> Result<Outcome, ImportError> {
    let new = super::NewBudgetArea {
        uid: &entry.uid,
        name: &entry.name,
        enabled: entry.enabled,
        area_type: match entry.area_type {
            BudgetAreaTypeName::Default => BudgetAreaType::Default,
            BudgetAreaTypeName::ContingencyDiscount => BudgetAreaType::ContingencyDiscount,
            BudgetAreaTypeName::TravelCoreCostExpenses => BudgetAreaType::TravelCoreCostExpenses,
            BudgetAreaTypeName::Pm => BudgetAreaType::Pm,
        },
        totals: entry.totals()?,
        price_list_id: entry.price_list_id,
    };
    let found = budget_area::Entity::find()
        .filter(budget_area::Column::CompanyId.eq(company.id))
        .filter(budget_area::Column::Uid.eq(entry.uid.trim()))
        .one(db)
        .await?;
    // An area stays in its budget while its project stays; else it goes into the project's.
    let kept = found
        .as_ref()
        .filter(|area| area.project_id == project_id)
        .and_then(|area| area.budget_id);
    let budget_id = match budget_id.or(kept) {
        Some(budget_id) => budget_id,
        None => super::budget_of_project(db, project_id).await?,
    };
    let fill = new.checked_fill(company.id, project_id, budget_id)?;
    let columns = [budget_area::Column::Id, budget_area::Column::CompanyId];
    let found = with_id::<budget_area::Entity>(db, entry.id, columns, company, found, at).await?;
    let (_, outcome) = write_row(db, found, now, |row: &mut budget_area::ActiveModel| {
        if let Some(id) = entry.id {
            row.id.set_ne(id);
        }
        fill(row);
    })
    .await?;
    Ok(outcome)
}

async fn upsert_vat_rate(
    db: &impl ConnectionTrait,
    company: &company::Model,
    entry: &VatRateEntry,
    at: &str,
    now: DateTime<Utc>,
) -> Result<Outcome, ImportError> {
    let key = name(&entry.key, "key")?;
    let name = name(&entry.name, "name")?;
    let rate = vat_rate_value(decimal(&entry.rate)?)?;
    let columns = [
        vat_rate::Column::CompanyId,
        vat_rate::Column::ExternalId,
        vat_rate::Column::Name,
    ];
    let found = keyed::<vat_rate::Entity>(db, columns, company.id, &key, &name).await?;
    let columns = [vat_rate::Column::Id, vat_rate::Column::CompanyId];
    let found = with_id::<vat_rate::Entity>(db, entry.id, columns, company, found, at).await?;
    let (_, outcome) = write_row(db, found, now, |row: &mut vat_rate::ActiveModel| {
        if let Some(id) = entry.id {
            row.id.set_ne(id);
        }
        row.company_id.set_ne(company.id);
        row.external_id.set_ne(Some(key));
        row.name.set_ne(name);
        row.rate.set_ne(ExactDecimal(rate));
        row.archived.set_ne(entry.archived);
    })
    .await?;
    Ok(outcome)
}

async fn upsert_payment_term(
    db: &impl ConnectionTrait,
    company: &company::Model,
    entry: &PaymentTermEntry,
    at: &str,
    now: DateTime<Utc>,
) -> Result<Outcome, ImportError> {
    let key = name(&entry.key, "key")?;
    let name = name(&entry.name, "name")?;
    let days = i32::from(entry.days);
    let columns = [
        payment_term::Column::CompanyId,
        payment_term::Column::ExternalId,
        payment_term::Column::Name,
    ];
    let found = keyed::<payment_term::Entity>(db, columns, company.id, &key, &name).await?;
    let columns = [payment_term::Column::Id, payment_term::Column::CompanyId];
    let found = with_id::<payment_term::Entity>(db, entry.id, columns, company, found, at).await?;
    let (_, outcome) = write_row(db, found, now, |row: &mut payment_term::ActiveModel| {
        if let Some(id) = entry.id {
            row.id.set_ne(id);
        }
        row.company_id.set_ne(company.id);
        row.external_id.set_ne(Some(key));
        row.name.set_ne(name);
        row.days.set_ne(days);
        row.archived.set_ne(entry.archived);
    })
    .await?;
    Ok(outcome)
}

async fn upsert_contact(
    db: &impl ConnectionTrait,
    company: &company::Model,
    entry: &ContactEntry,
    at: &str,
    now: DateTime<Utc>,
) -> Result<Outcome, ImportError> {
    let email = email_address(&entry.email, CONTACT_TEXT_MAX)?;
    let alias = contact_alias(&entry.alias)?;
    let mut found = invoice_contact::Entity::find()
        .filter(invoice_contact::Column::CompanyId.eq(company.id))
        .filter(invoice_contact::Column::Email.eq(email.as_str()))
        .all(db)
        .await?;
    if found.len() > 1 {
        return Err(mistake(
            format!("{at}.email"),
            format!(
                "{} has several contacts with this email; the import can't tell which",
                company.slug
            ),
        ));
    }
    let columns = [
        invoice_contact::Column::Id,
        invoice_contact::Column::CompanyId,
    ];
    let found =
        with_id::<invoice_contact::Entity>(db, entry.id, columns, company, found.pop(), at).await?;
    let fill = |row: &mut invoice_contact::ActiveModel| {
        if let Some(id) = entry.id {
            row.id.set_ne(id);
        }
        row.company_id.set_ne(company.id);
        row.email.set_ne(email);
        row.alias.set_ne(alias);
    };
    let (_, outcome) = write_row(db, found, now, fill).await?;
    Ok(outcome)
}
