//! The operator's writes: companies, users, memberships, tokens and reference data.
//!
//! Each function checks what it refers to and writes in one transaction, so a mistake
//! changes nothing.

pub mod change;
pub mod export;
pub mod import;
pub mod import_invoices;
pub mod list;
pub mod write;

use crate::domain::company::CompanySlug;
use crate::domain::permission::Permission;
use crate::domain::token;
use chrono::{Duration, Utc};
use entity::budget::BudgetStatus;
use entity::budget_area::BudgetAreaType;
use entity::{
    ExactDecimal, api_token, budget, budget_area, company, invoice_contact, membership,
    membership_permission, payment_term, project, user, vat_rate,
};
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder, Set,
};
use write::insert_row;

/// A refused operator command; the message is printed as is.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

fn name(raw: &str, what: &str) -> Result<String, AdminError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 255 {
        return Err(AdminError::Invalid(format!(
            "{what} must be 1 to 255 characters, not blank"
        )));
    }
    Ok(trimmed.to_owned())
}

/// Maps a unique violation to a conflict with this message.
fn conflict(err: DbErr, message: impl FnOnce() -> String) -> AdminError {
    if super::is_unique_violation(&err) {
        AdminError::Conflict(message())
    } else {
        AdminError::Db(err)
    }
}

pub async fn company_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<company::Model, AdminError> {
    company::Entity::find()
        .filter(company::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("no company with slug {slug:?}")))
}

pub async fn user_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<user::Model, AdminError> {
    user::Entity::find()
        .filter(user::Column::Email.eq(email.trim().to_lowercase()))
        .one(db)
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("no user with email {email:?}")))
}

async fn membership_of(
    db: &impl ConnectionTrait,
    company_id: i64,
    user_id: i64,
) -> Result<Option<membership::Model>, DbErr> {
    membership::Entity::find()
        .filter(membership::Column::CompanyId.eq(company_id))
        .filter(membership::Column::UserId.eq(user_id))
        .one(db)
        .await
}

pub async fn add_company(
    db: &DatabaseConnection,
    slug: &str,
    name_: &str,
) -> Result<i64, AdminError> {
    let slug = CompanySlug::parse(slug).map_err(|m| AdminError::Invalid(format!("slug {m}")))?;
    let name = name(name_, "name")?;
    let model = insert_row(db, |row: &mut company::ActiveModel| {
        row.slug = Set(slug.as_str().to_owned());
        row.name = Set(name);
    })
    .await
    .map_err(|e| {
        conflict(e, || {
            format!("a company with slug {:?} already exists", slug.as_str())
        })
    })?;
    Ok(model.id)
}

/// An email address, trimmed and lowercased: one `@` between non-empty parts, at most `max`
/// characters.
fn email_address(raw: &str, max: usize) -> Result<String, AdminError> {
    let email = raw.trim().to_lowercase();
    let valid = email.chars().count() <= max
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        });
    if valid {
        Ok(email)
    } else {
        Err(AdminError::Invalid(format!(
            "{email:?} is not an email address of at most {max} characters"
        )))
    }
}

pub async fn add_user(
    db: &DatabaseConnection,
    email: &str,
    name_: &str,
) -> Result<i64, AdminError> {
    let email = email_address(email, 320)?;
    let name = name(name_, "name")?;
    let model = insert_row(db, |row: &mut user::ActiveModel| {
        row.email = Set(email.clone());
        row.name = Set(name);
    })
    .await
    .map_err(|e| conflict(e, || format!("a user with email {email:?} already exists")))?;
    Ok(model.id)
}

/// Makes a user a member of a company with these permissions; returns the membership id.
pub async fn add_member(
    db: &DatabaseConnection,
    company_slug: &str,
    user_email: &str,
    permissions: &[Permission],
) -> Result<i64, AdminError> {
    let txn = super::begin_write(db).await?;
    let company = company_by_slug(&txn, company_slug).await?;
    let user = user_by_email(&txn, user_email).await?;
    if membership_of(&txn, company.id, user.id).await?.is_some() {
        return Err(AdminError::Conflict(format!(
            "{} is already a member of {}",
            user.email, company.slug
        )));
    }
    let member = insert_row(&txn, |row: &mut membership::ActiveModel| {
        row.company_id = Set(company.id);
        row.user_id = Set(user.id);
    })
    .await?;
    let mut granted: Vec<&str> = permissions.iter().map(|p| p.as_str()).collect();
    granted.sort_unstable();
    granted.dedup();
    insert_permissions(&txn, member.id, &granted).await?;
    txn.commit().await?;
    Ok(member.id)
}

/// Grants a member these permissions, none of which it holds yet (each once).
async fn insert_permissions(
    db: &impl ConnectionTrait,
    membership_id: i64,
    permissions: &[&str],
) -> Result<(), DbErr> {
    if permissions.is_empty() {
        return Ok(());
    }
    let rows = permissions
        .iter()
        .map(|p| membership_permission::ActiveModel {
            id: NotSet,
            membership_id: Set(membership_id),
            permission: Set((*p).to_owned()),
        });
    membership_permission::Entity::insert_many(rows)
        .exec(db)
        .await?;
    Ok(())
}

/// Issues a token for a user; returns the token itself, which is stored only as a hash.
pub async fn add_token(
    db: &DatabaseConnection,
    user_email: &str,
    token_name: &str,
    expires_in_days: Option<u32>,
) -> Result<String, AdminError> {
    let token_name = name(token_name, "token name")?;
    let txn = super::begin_write(db).await?;
    let user = user_by_email(&txn, user_email).await?;
    let active = api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user.id))
        .filter(api_token::Column::Name.eq(token_name.as_str()))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(&txn)
        .await?;
    if active.is_some() {
        return Err(AdminError::Conflict(format!(
            "{} already has an active token named {token_name:?}",
            user.email
        )));
    }
    let now = Utc::now();
    let secret = token::generate();
    api_token::ActiveModel {
        id: NotSet,
        user_id: Set(user.id),
        name: Set(token_name),
        token_hash: Set(token::hash(&secret)),
        created_at: Set(now),
        last_used_at: Set(None),
        expires_at: Set(expires_in_days.map(|d| now + Duration::days(i64::from(d)))),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(secret)
}

/// Revokes a user's active tokens of this name; returns how many.
pub async fn revoke_token(
    db: &DatabaseConnection,
    user_email: &str,
    token_name: &str,
) -> Result<u64, AdminError> {
    let user = user_by_email(db, user_email).await?;
    let result = api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(api_token::Column::UserId.eq(user.id))
        .filter(api_token::Column::Name.eq(token_name.trim()))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(AdminError::NotFound(format!(
            "{} has no active token named {:?}",
            user.email,
            token_name.trim()
        )));
    }
    Ok(result.rows_affected)
}

/// What `project add` needs.
pub struct NewProject<'a> {
    pub company_slug: &'a str,
    pub name: &'a str,
    pub job_order: Option<&'a str>,
    pub pm_email: &'a str,
    pub account_email: &'a str,
    pub archived: bool,
}

pub async fn add_project(db: &DatabaseConnection, new: NewProject<'_>) -> Result<i64, AdminError> {
    let txn = super::begin_write(db).await?;
    let company = company_by_slug(&txn, new.company_slug).await?;
    let mut role_ids = Vec::with_capacity(2);
    for (role, email) in [("PM", new.pm_email), ("Account", new.account_email)] {
        let user = user_by_email(&txn, email).await?;
        if membership_of(&txn, company.id, user.id).await?.is_none() {
            return Err(AdminError::Invalid(format!(
                "{role} {} is not a member of {}",
                user.email, company.slug
            )));
        }
        role_ids.push(user.id);
    }
    let job_order = new
        .job_order
        .map(str::trim)
        .filter(|j| !j.is_empty())
        .map(|j| name(j, "job order"))
        .transpose()?;
    let name = name(new.name, "name")?;
    let model = insert_row(&txn, |row: &mut project::ActiveModel| {
        row.company_id = Set(company.id);
        row.name = Set(name);
        row.job_order = Set(job_order);
        row.pm_user_id = Set(role_ids[0]);
        row.account_user_id = Set(role_ids[1]);
        row.archived = Set(new.archived);
    })
    .await?;
    txn.commit().await?;
    Ok(model.id)
}

/// A new budget of a project: the fields the operator sets (money and days exact, `currency`
/// an ISO 4217 code).
#[derive(Clone, Debug)]
pub struct NewBudget {
    pub version: i32,
    pub status: BudgetStatus,
    pub is_baseline: bool,
    pub notes: Option<String>,
    pub currency: String,
    pub is_currency_enabled: bool,
    pub final_net_price: Decimal,
    pub totals: Totals,
    pub price_list_id: Option<i64>,
}

/// The totals a budget and a budget area carry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub external_cost: Decimal,
    pub cost: Decimal,
    pub price: Decimal,
    pub days: Decimal,
}

impl Totals {
    fn checked(self) -> Result<Self, AdminError> {
        for (what, value) in [
            ("total external cost", self.external_cost),
            ("total cost", self.cost),
            ("total price", self.price),
            ("total days", self.days),
        ] {
            amount(value, what)?;
        }
        Ok(self)
    }
}

/// An amount a budget holds: at most 14 digits before the point and 2 after.
fn amount(value: Decimal, what: &str) -> Result<ExactDecimal, AdminError> {
    if value.scale() > 2 || value.abs() >= Decimal::from(100_000_000_000_000_i64) {
        return Err(AdminError::Invalid(format!(
            "{what} must have at most 14 digits before the point and 2 after, not {value}"
        )));
    }
    Ok(ExactDecimal(value))
}

/// A currency code: three capital letters (ISO 4217).
fn currency(code: &str) -> Result<String, AdminError> {
    let code = code.trim();
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(AdminError::Invalid(format!(
            "currency must be an ISO 4217 code (three capital letters, such as EUR), not {code:?}"
        )));
    }
    Ok(code.to_owned())
}

impl NewBudget {
    /// Checks the fields; what writes them into a row of the project (every column, set only
    /// where it differs), for an add and an import alike.
    fn checked_fill(
        self,
        company_id: i64,
        project_id: i64,
    ) -> Result<impl FnOnce(&mut budget::ActiveModel), AdminError> {
        if self.version < 1 {
            return Err(AdminError::Invalid(format!(
                "version must be 1 or more, not {}",
                self.version
            )));
        }
        let currency = currency(&self.currency)?;
        let final_net_price = amount(self.final_net_price, "final net price")?;
        let totals = self.totals.checked()?;
        let notes = self
            .notes
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty());
        Ok(move |row: &mut budget::ActiveModel| {
            row.company_id.set_ne(company_id);
            row.project_id.set_ne(project_id);
            row.version.set_ne(self.version);
            row.status.set_ne(self.status);
            row.is_baseline.set_ne(self.is_baseline);
            row.notes.set_ne(notes);
            row.currency.set_ne(currency);
            row.is_currency_enabled.set_ne(self.is_currency_enabled);
            row.final_net_price.set_ne(final_net_price);
            row.total_external_cost
                .set_ne(ExactDecimal(totals.external_cost));
            row.total_cost.set_ne(ExactDecimal(totals.cost));
            row.total_price.set_ne(ExactDecimal(totals.price));
            row.total_days.set_ne(ExactDecimal(totals.days));
            row.price_list_id.set_ne(self.price_list_id);
        })
    }
}

/// Adds a budget to a project; its id. A version the project has already is a conflict.
pub async fn add_budget(
    db: &impl ConnectionTrait,
    project_id: i64,
    new: NewBudget,
) -> Result<i64, AdminError> {
    let project = project::Entity::find_by_id(project_id)
        .one(db)
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("no project with id {project_id}")))?;
    let version = new.version;
    let fill = new.checked_fill(project.company_id, project_id)?;
    let model = insert_row(db, fill).await.map_err(|e| {
        conflict(e, || {
            format!("project {project_id} has a budget version {version} already")
        })
    })?;
    Ok(model.id)
}

/// The budget an area added to a project (not to a budget) goes into: the project's baseline,
/// else its latest version, else a new budget (version 1, `DRAFT`, the baseline, in EUR).
pub async fn budget_of_project(
    db: &impl ConnectionTrait,
    project_id: i64,
) -> Result<i64, AdminError> {
    let found = budget::Entity::find()
        .filter(budget::Column::ProjectId.eq(project_id))
        .order_by_desc(budget::Column::IsBaseline)
        .order_by_desc(budget::Column::Version)
        .one(db)
        .await?;
    if let Some(found) = found {
        return Ok(found.id);
    }
    let new = NewBudget {
        version: 1,
        status: BudgetStatus::Draft,
        is_baseline: true,
        notes: None,
        currency: "EUR".to_owned(),
        is_currency_enabled: false,
        final_net_price: Decimal::ZERO,
        totals: Totals::default(),
        price_list_id: None,
    };
    add_budget(db, project_id, new).await
}

/// Adds a budget area to a project's budget (`budget_of_project`, made if the project has none),
/// in one transaction; the area's id.
pub async fn add_budget_area_to_project(
    db: &DatabaseConnection,
    project_id: i64,
    new: NewBudgetArea<'_>,
) -> Result<i64, AdminError> {
    let txn = super::begin_write(db).await?;
    let budget_id = budget_of_project(&txn, project_id).await?;
    let id = add_budget_area(&txn, budget_id, new).await?;
    txn.commit().await?;
    Ok(id)
}

/// A new budget area of a budget.
#[derive(Clone, Debug)]
pub struct NewBudgetArea<'a> {
    pub uid: &'a str,
    pub name: &'a str,
    pub enabled: bool,
    pub area_type: BudgetAreaType,
    pub totals: Totals,
    pub price_list_id: Option<i64>,
}

impl<'a> NewBudgetArea<'a> {
    /// An area of type `DEFAULT` with zero totals and no price list.
    pub fn named(uid: &'a str, name: &'a str, enabled: bool) -> Self {
        NewBudgetArea {
            uid,
            name,
            enabled,
            area_type: BudgetAreaType::Default,
            totals: Totals::default(),
            price_list_id: None,
        }
    }
}

impl NewBudgetArea<'_> {
    /// Checks the fields; what writes them into a row of the budget (every column, set only
    /// where it differs), for an add and an import alike.
    fn checked_fill(
        self,
        company_id: i64,
        project_id: i64,
        budget_id: i64,
    ) -> Result<impl FnOnce(&mut budget_area::ActiveModel), AdminError> {
        let uid = name(self.uid, "uid")?;
        let name = name(self.name, "name")?;
        let totals = self.totals.checked()?;
        Ok(move |row: &mut budget_area::ActiveModel| {
            row.company_id.set_ne(company_id);
            row.project_id.set_ne(project_id);
            row.budget_id.set_ne(Some(budget_id));
            row.uid.set_ne(uid);
            row.name.set_ne(name);
            row.enabled.set_ne(self.enabled);
            row.area_type.set_ne(self.area_type);
            row.total_external_cost
                .set_ne(ExactDecimal(totals.external_cost));
            row.total_cost.set_ne(ExactDecimal(totals.cost));
            row.total_price.set_ne(ExactDecimal(totals.price));
            row.total_days.set_ne(ExactDecimal(totals.days));
            row.price_list_id.set_ne(self.price_list_id);
        })
    }
}

/// The message of a budget area's `uid` the company has already.
fn uid_taken(uid: &str) -> String {
    format!(
        "a budget area with uid {:?} already exists in this company",
        uid.trim()
    )
}

/// Adds a budget area to a budget; its id. A `uid` the company has already is a conflict.
pub async fn add_budget_area(
    db: &impl ConnectionTrait,
    budget_id: i64,
    new: NewBudgetArea<'_>,
) -> Result<i64, AdminError> {
    let budget = budget::Entity::find_by_id(budget_id)
        .one(db)
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("no budget with id {budget_id}")))?;
    let uid = new.uid;
    let fill = new.checked_fill(budget.company_id, budget.project_id, budget.id)?;
    let model = insert_row(db, fill)
        .await
        .map_err(|e| conflict(e, || uid_taken(uid)))?;
    Ok(model.id)
}

pub async fn add_vat_rate(
    db: &DatabaseConnection,
    company_slug: &str,
    name_: &str,
    rate: Decimal,
    archived: bool,
) -> Result<i64, AdminError> {
    let rate = vat_rate_value(rate)?;
    let company = company_by_slug(db, company_slug).await?;
    let name = name(name_, "name")?;
    let model = insert_row(db, |row: &mut vat_rate::ActiveModel| {
        row.company_id = Set(company.id);
        row.name = Set(name);
        row.rate = Set(ExactDecimal(rate.normalize()));
        row.archived = Set(archived);
    })
    .await?;
    Ok(model.id)
}

pub async fn add_payment_term(
    db: &DatabaseConnection,
    company_slug: &str,
    name_: &str,
    days: u16,
    archived: bool,
) -> Result<i64, AdminError> {
    let company = company_by_slug(db, company_slug).await?;
    let name = name(name_, "name")?;
    let model = insert_row(db, |row: &mut payment_term::ActiveModel| {
        row.company_id = Set(company.id);
        row.name = Set(name);
        row.days = Set(i32::from(days));
        row.archived = Set(archived);
    })
    .await?;
    Ok(model.id)
}

/// The longest email address and alias of an invoice contact.
pub const CONTACT_TEXT_MAX: usize = 50;

/// Adds an invoice contact to a company; returns its id.
pub async fn add_invoice_contact(
    db: &DatabaseConnection,
    company_slug: &str,
    email: &str,
    alias: &str,
) -> Result<i64, AdminError> {
    let email = email_address(email, CONTACT_TEXT_MAX)?;
    let alias = contact_alias(alias)?;
    let company = company_by_slug(db, company_slug).await?;
    let model = insert_row(db, |row: &mut invoice_contact::ActiveModel| {
        row.company_id = Set(company.id);
        row.email = Set(email);
        row.alias = Set(alias);
    })
    .await?;
    Ok(model.id)
}

/// A VAT rate: a percentage from 0 to 100 with at most 4 decimal places, normalized.
fn vat_rate_value(rate: Decimal) -> Result<Decimal, AdminError> {
    if rate < Decimal::ZERO || rate > Decimal::ONE_HUNDRED || rate.normalize().scale() > 4 {
        return Err(AdminError::Invalid(
            "rate must be a percentage from 0 to 100 with at most 4 decimal places".into(),
        ));
    }
    Ok(rate.normalize())
}

/// An invoice contact's alias: 1 to 50 characters, trimmed.
fn contact_alias(alias: &str) -> Result<String, AdminError> {
    let alias = alias.trim();
    if alias.is_empty() || alias.chars().count() > CONTACT_TEXT_MAX {
        return Err(AdminError::Invalid(format!(
            "alias must be 1 to {CONTACT_TEXT_MAX} characters, not blank"
        )));
    }
    Ok(alias.to_owned())
}
