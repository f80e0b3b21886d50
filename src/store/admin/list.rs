//! What the operator lists: every record of a kind, in id order, as rows made to be printed
//! (a table, or JSON for scripts). Tokens never show their secret: it is not stored.

use super::{AdminError, company_by_slug, user_by_email};
use crate::store::reference::CompanyRecords;
use chrono::{DateTime, SecondsFormat, Utc};
use entity::{
    api_token, budget, budget_area, company, invoice_contact, membership, membership_permission,
    payment_term, project, user, vat_rate,
};
use sea_orm::{ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Serialize)]
pub struct CompanyRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub created_at: String,
}

#[derive(Debug, Serialize)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub created_at: String,
}

#[derive(Debug, Serialize)]
pub struct MemberRow {
    pub user: String,
    pub name: String,
    pub permissions: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct TokenRow {
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ProjectRow {
    pub id: i64,
    /// The key an import file gives it.
    pub key: Option<String>,
    pub name: String,
    pub job_order: Option<String>,
    pub pm: String,
    pub account: String,
    pub archived: bool,
}

#[derive(Debug, Serialize)]
pub struct BudgetRow {
    pub id: i64,
    pub project: i64,
    pub version: i32,
    pub status: String,
    pub baseline: bool,
    pub currency: String,
    pub final_net_price: serde_json::Number,
    pub total_price: serde_json::Number,
}

#[derive(Debug, Serialize)]
pub struct BudgetAreaRow {
    pub id: i64,
    pub project: i64,
    pub budget: Option<i64>,
    #[serde(rename = "type")]
    pub area_type: String,
    pub uid: String,
    pub name: String,
    pub enabled: bool,
}

#[derive(Debug, Serialize)]
pub struct VatRateRow {
    pub id: i64,
    /// The key an import file gives it.
    pub key: Option<String>,
    pub name: String,
    pub rate: serde_json::Number,
    pub archived: bool,
}

#[derive(Debug, Serialize)]
pub struct PaymentTermRow {
    pub id: i64,
    /// The key an import file gives it.
    pub key: Option<String>,
    pub name: String,
    pub days: i32,
    pub archived: bool,
}

#[derive(Debug, Serialize)]
pub struct InvoiceContactRow {
    pub id: i64,
    pub email: String,
    pub alias: String,
}

pub async fn companies(db: &impl ConnectionTrait) -> Result<Vec<CompanyRow>, AdminError> {
    let rows = company::Entity::find()
        .order_by_asc(company::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|c| CompanyRow {
            id: c.id,
            slug: c.slug,
            name: c.name,
            created_at: time(c.created_at),
        })
        .collect())
}

pub async fn users(db: &impl ConnectionTrait) -> Result<Vec<UserRow>, AdminError> {
    let rows = user::Entity::find()
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|u| UserRow {
            id: u.id,
            email: u.email,
            name: u.name,
            created_at: time(u.created_at),
        })
        .collect())
}

/// The members of a company, each with the permissions granted, in the order they joined.
pub async fn members(
    db: &impl ConnectionTrait,
    company_slug: &str,
) -> Result<Vec<MemberRow>, AdminError> {
    let company = company_by_slug(db, company_slug).await?;
    let members = membership::Entity::find()
        .filter(membership::Column::CompanyId.eq(company.id))
        .order_by_asc(membership::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i64> = members.iter().map(|m| m.id).collect();
    let mut granted: HashMap<i64, Vec<String>> = HashMap::new();
    for p in membership_permission::Entity::find()
        .filter(membership_permission::Column::MembershipId.is_in(ids))
        .order_by_asc(membership_permission::Column::Permission)
        .all(db)
        .await?
    {
        granted
            .entry(p.membership_id)
            .or_default()
            .push(p.permission);
    }
    let users = users_by_id(db, members.iter().map(|m| m.user_id)).await?;
    Ok(members
        .into_iter()
        .filter_map(|m| {
            let u = users.get(&m.user_id)?;
            Some(MemberRow {
                user: u.email.clone(),
                name: u.name.clone(),
                permissions: granted.remove(&m.id).unwrap_or_default(),
            })
        })
        .collect())
}

/// A user's tokens, newest last: names and times, never the secret.
pub async fn tokens(
    db: &impl ConnectionTrait,
    user_email: &str,
) -> Result<Vec<TokenRow>, AdminError> {
    let user = user_by_email(db, user_email).await?;
    let rows = api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user.id))
        .order_by_asc(api_token::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|t| TokenRow {
            name: t.name,
            created_at: time(t.created_at),
            last_used_at: t.last_used_at.map(time),
            expires_at: t.expires_at.map(time),
            revoked_at: t.revoked_at.map(time),
        })
        .collect())
}

/// The users with these ids, by id: only those a list names, not every user of the service.
async fn users_by_id(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, user::Model>, AdminError> {
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect())
}

pub async fn projects(
    db: &impl ConnectionTrait,
    company_slug: &str,
) -> Result<Vec<ProjectRow>, AdminError> {
    let rows = of_company::<project::Entity>(db, company_slug).await?;
    let roles = rows.iter().flat_map(|p| [p.pm_user_id, p.account_user_id]);
    let users = users_by_id(db, roles).await?;
    let email = |id: i64| {
        users
            .get(&id)
            .map_or_else(|| id.to_string(), |u| u.email.clone())
    };
    Ok(rows
        .into_iter()
        .map(|p| ProjectRow {
            id: p.id,
            key: p.external_id,
            name: p.name,
            job_order: p.job_order,
            pm: email(p.pm_user_id),
            account: email(p.account_user_id),
            archived: p.archived,
        })
        .collect())
}

/// The budget areas of a company's projects, of one project when `project` is given.
pub async fn budget_areas(
    db: &impl ConnectionTrait,
    company_slug: &str,
    project: Option<i64>,
) -> Result<Vec<BudgetAreaRow>, AdminError> {
    let company = company_by_slug(db, company_slug).await?;
    let mut query = budget_area::Entity::find()
        .inner_join(project::Entity)
        .filter(project::Column::CompanyId.eq(company.id));
    if let Some(project) = project {
        query = query.filter(budget_area::Column::ProjectId.eq(project));
    }
    let rows = query.order_by_asc(budget_area::Column::Id).all(db).await?;
    Ok(rows
        .into_iter()
        .map(|b| BudgetAreaRow {
            id: b.id,
            project: b.project_id,
            budget: b.budget_id,
            area_type: b.area_type.to_value(),
            uid: b.uid,
            name: b.name,
            enabled: b.enabled,
        })
        .collect())
}

pub async fn budgets(
    db: &impl ConnectionTrait,
    company_slug: &str,
    project: Option<i64>,
) -> Result<Vec<BudgetRow>, AdminError> {
    let company = company_by_slug(db, company_slug).await?;
    let mut query = budget::Entity::find().filter(budget::Column::CompanyId.eq(company.id));
    if let Some(project) = project {
        query = query.filter(budget::Column::ProjectId.eq(project));
    }
    let rows = query.order_by_asc(budget::Column::Id).all(db).await?;
    rows.into_iter()
        .map(|b| {
            Ok(BudgetRow {
                id: b.id,
                project: b.project_id,
                version: b.version,
                status: b.status.to_value(),
                baseline: b.is_baseline,
                currency: b.currency,
                final_net_price: number(b.final_net_price.0.normalize())?,
                total_price: number(b.total_price.0.normalize())?,
            })
        })
        .collect()
}

pub async fn vat_rates(
    db: &impl ConnectionTrait,
    company_slug: &str,
) -> Result<Vec<VatRateRow>, AdminError> {
    let rows = of_company::<vat_rate::Entity>(db, company_slug).await?;
    rows.into_iter()
        .map(|v| {
            Ok(VatRateRow {
                id: v.id,
                key: v.external_id,
                name: v.name,
                rate: number(v.rate.0.normalize())?,
                archived: v.archived,
            })
        })
        .collect()
}

pub async fn payment_terms(
    db: &impl ConnectionTrait,
    company_slug: &str,
) -> Result<Vec<PaymentTermRow>, AdminError> {
    let rows = of_company::<payment_term::Entity>(db, company_slug).await?;
    Ok(rows
        .into_iter()
        .map(|t| PaymentTermRow {
            id: t.id,
            key: t.external_id,
            name: t.name,
            days: t.days,
            archived: t.archived,
        })
        .collect())
}

pub async fn invoice_contacts(
    db: &impl ConnectionTrait,
    company_slug: &str,
) -> Result<Vec<InvoiceContactRow>, AdminError> {
    let rows = of_company::<invoice_contact::Entity>(db, company_slug).await?;
    Ok(rows
        .into_iter()
        .map(|c| InvoiceContactRow {
            id: c.id,
            email: c.email,
            alias: c.alias,
        })
        .collect())
}

/// Every row of `E` of the company with this slug, in id order.
async fn of_company<E: CompanyRecords>(
    db: &impl ConnectionTrait,
    company_slug: &str,
) -> Result<Vec<E::Model>, AdminError> {
    let company = company_by_slug(db, company_slug).await?;
    let [company_column, _, id] = E::COLUMNS;
    Ok(E::find()
        .filter(company_column.eq(company.id))
        .order_by_asc(id)
        .all(db)
        .await?)
}

/// A time as the API shows it: RFC 3339 in UTC, to the millisecond.
#[derive(Debug, Serialize)]
pub struct WebhookRow {
    pub id: i64,
    pub url: String,
    /// The event types sent, or `all`.
    pub events: String,
    /// `enabled`, or `disabled` (`admin webhook disable`: events wait, none is sent).
    pub state: &'static str,
    /// Deliveries made since it was added, replays included (kept on the endpoint: purging
    /// settled deliveries does not lower it).
    pub delivered: i64,
    /// The backlog: events not sent yet, and deliveries waiting for a retry.
    pub pending: i64,
    /// Every attempt failed.
    pub failed: i64,
    /// When an attempt last answered with a 2xx.
    pub last_success_at: Option<String>,
    /// When an attempt last failed, its HTTP status (none when there was no answer) and why.
    pub last_failure_at: Option<String>,
    pub last_failure_status: Option<i32>,
    pub last_failure_error: Option<String>,
}

/// A company's webhook endpoints, with counts of their deliveries and their last success and
/// failure.
pub async fn webhooks(
    db: &impl ConnectionTrait,
    company_slug: &str,
) -> Result<Vec<WebhookRow>, AdminError> {
    use crate::store::webhooks::{FAILED, PENDING, endpoints_of};
    Ok(endpoints_of(db, company_slug)
        .await?
        .into_iter()
        .map(|summary| {
            let count = |status: &str| {
                summary
                    .counts
                    .iter()
                    .find(|(s, _)| s == status)
                    .map_or(0, |(_, n)| *n)
            };
            let endpoint = summary.endpoint;
            WebhookRow {
                id: endpoint.id,
                url: endpoint.url,
                events: if endpoint.event_types.is_empty() {
                    "all".to_owned()
                } else {
                    endpoint.event_types
                },
                state: match endpoint.disabled_at {
                    Some(_) => "disabled",
                    None => "enabled",
                },
                delivered: endpoint.delivered,
                pending: count(PENDING)
                    .saturating_add(i64::try_from(summary.not_yet_sent).unwrap_or(i64::MAX)),
                failed: count(FAILED),
                last_success_at: endpoint.last_success_at.map(time),
                last_failure_at: endpoint.last_failure_at.map(time),
                last_failure_status: endpoint.last_failure_status,
                last_failure_error: endpoint.last_failure_error,
            }
        })
        .collect())
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// An exact decimal as a JSON number (written from its text, never through a float).
fn number(value: rust_decimal::Decimal) -> Result<serde_json::Number, AdminError> {
    value
        .to_string()
        .parse()
        .map_err(|e| AdminError::Invalid(format!("stored decimal {value} is not a number: {e}")))
}
