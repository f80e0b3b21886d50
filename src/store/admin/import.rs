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
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde::Deserialize;
use std::collections::HashSet;
use std::fmt;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportFile {
    #[serde(default)]
    pub users: Vec<UserEntry>,
    #[serde(default)]
    pub companies: Vec<CompanyEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    pub email: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
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
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberEntry {
    /// The user's email.
    pub user: String,
    /// Exactly the permissions the member holds after the import.
    #[serde(default)]
    pub permissions: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectEntry {
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
#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum BudgetStatusName {
    #[default]
    Draft,
    Submitted,
    Approved,
}

/// A budget area's type, by the original's names.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetEntry {
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetAreaEntry {
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VatRateEntry {
    pub key: String,
    pub name: String,
    /// A JSON number, read from its exact text.
    pub rate: serde_json::Number,
    #[serde(default)]
    pub archived: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentTermEntry {
    pub key: String,
    pub name: String,
    pub days: u16,
    #[serde(default)]
    pub archived: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactEntry {
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

fn mistake(place: impl Into<String>, message: impl fmt::Display) -> ImportError {
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
        for (p, project) in company.projects.iter().enumerate() {
            let at = format!("{at}.projects[{p}]");
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
                note(
                    format!("{at}.uid"),
                    name(&area.uid, "uid").and_then(|u| uids.add(u)),
                );
                note(format!("{at}.name"), name(&area.name, "name").map(drop));
                note(at.clone(), area.totals().map(drop));
            }
        }
        let mut keys = Unique::default();
        for (v, rate) in company.vat_rates.iter().enumerate() {
            let at = format!("{at}.vat_rates[{v}]");
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
        let mut keys = Unique::default();
        for (t, term) in company.payment_terms.iter().enumerate() {
            let at = format!("{at}.payment_terms[{t}]");
            note(
                format!("{at}.key"),
                name(&term.key, "key").and_then(|k| keys.add(k)),
            );
            note(format!("{at}.name"), name(&term.name, "name").map(drop));
        }
        let mut contacts = Unique::default();
        for (k, contact) in company.invoice_contacts.iter().enumerate() {
            let at = format!("{at}.invoice_contacts[{k}]");
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
            for area in &project.budget_areas {
                let outcome = upsert_budget_area(&txn, &company, project_id, None, area, now);
                summary.count(outcome.await?);
            }
            for budget in &project.budgets {
                let (budget_id, outcome) =
                    upsert_budget(&txn, &company, project_id, budget, now).await?;
                summary.count(outcome);
                for area in &budget.budget_areas {
                    let outcome =
                        upsert_budget_area(&txn, &company, project_id, Some(budget_id), area, now);
                    summary.count(outcome.await?);
                }
            }
        }
        for rate in &entry.vat_rates {
            summary.count(upsert_vat_rate(&txn, &company, rate, now).await?);
        }
        for term in &entry.payment_terms {
            summary.count(upsert_payment_term(&txn, &company, term, now).await?);
        }
        for (k, contact) in entry.invoice_contacts.iter().enumerate() {
            let at = format!("{at}.invoice_contacts[{k}]");
            summary.count(upsert_contact(&txn, &company, contact, &at, now).await?);
        }
    }
    txn.commit().await?;
    Ok(summary)
}

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
    let (row, outcome) = write_row(db, found, now, |row: &mut project::ActiveModel| {
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
    let (row, outcome) = write_row(db, found, now, fill).await?;
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
    let (_, outcome) = write_row(db, found, now, fill).await?;
    Ok(outcome)
}

async fn upsert_vat_rate(
    db: &impl ConnectionTrait,
    company: &company::Model,
    entry: &VatRateEntry,
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
    let (_, outcome) = write_row(db, found, now, |row: &mut vat_rate::ActiveModel| {
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
    let (_, outcome) = write_row(db, found, now, |row: &mut payment_term::ActiveModel| {
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
    let fill = |row: &mut invoice_contact::ActiveModel| {
        row.company_id.set_ne(company.id);
        row.email.set_ne(email);
        row.alias.set_ne(alias);
    };
    let (_, outcome) = write_row(db, found.pop(), now, fill).await?;
    Ok(outcome)
}
