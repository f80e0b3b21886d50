//! The invoices of an import file (`companies[].invoices[]`): a company's history, brought in
//! with its ids.
//!
//! An invoice names what it refers to by the file's keys (its project's `key`, its VAT rate's
//! and payment term's `key`), its contact by email and its creator by the user's email. It is
//! found again by its `id`, else by its `invoice_number` (it needs one of them, so that
//! importing the file twice changes nothing). A stored invoice is never changed by an import:
//! found with the same values it is left alone, found with others it is a mistake. A new one
//! is stored as the file gives it (status, dates, times, version) and gets one event,
//! `invoice.created`, as the database records every new invoice: dated at its `created_at`, by
//! its creator, carrying the invoice as imported (a sent or paid one included). Its earlier
//! changes are not in the file, so they have no events.

use super::import::{ImportError, Mistake, mistake};
use super::{AdminError, email_address};
use crate::domain::invoice::{
    InvoiceNumber, InvoiceStatus, NOTES_MAX, SHORT_TEXT_MAX, bounded_text, paid_after_issue,
    parse_invoice_date,
};
use crate::domain::money::{ExchangeRate, Money};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    ExactDecimal, company, invoice, invoice_contact, payment_term, project, user, vat_rate,
};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};

/// One invoice of the file.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceEntry {
    /// The id it has in the system it comes from: stored under it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// The `key` of its project.
    pub project: String,
    pub status: StatusName,
    #[serde(default)]
    pub invoice_number: Option<String>,
    #[serde(default)]
    pub purchase_order: Option<String>,
    /// A JSON number, read from its exact text.
    pub value: serde_json::Number,
    #[serde(default)]
    pub exchange_rate: Option<serde_json::Number>,
    pub issue_date: NaiveDate,
    /// Given exactly when the invoice is paid.
    #[serde(default)]
    pub payment_date: Option<NaiveDate>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub budget_area_uid: Option<String>,
    /// The `key` of its VAT rate.
    #[serde(default)]
    pub vat_rate: Option<String>,
    /// The `key` of its payment term.
    #[serde(default)]
    pub payment_term: Option<String>,
    /// The email of the invoice contact it was sent to.
    #[serde(default)]
    pub invoice_contact: Option<String>,
    /// The email of the user who created it (declared in `users` or stored).
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Its version (its `ETag`): 1 when it was created, one more per change since.
    #[serde(default = "first_version")]
    pub version: i64,
}

fn first_version() -> i64 {
    1
}

/// An invoice's status, by the API's names.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusName {
    Draft,
    Sent,
    Paid,
}

impl From<StatusName> for InvoiceStatus {
    fn from(name: StatusName) -> Self {
        match name {
            StatusName::Draft => InvoiceStatus::Draft,
            StatusName::Sent => InvoiceStatus::Sent,
            StatusName::Paid => InvoiceStatus::Paid,
        }
    }
}

impl From<InvoiceStatus> for StatusName {
    fn from(status: InvoiceStatus) -> Self {
        match status {
            InvoiceStatus::Draft => StatusName::Draft,
            InvoiceStatus::Sent => StatusName::Sent,
            InvoiceStatus::Paid => StatusName::Paid,
        }
    }
}

/// The values an entry's own rules allow, read from it.
struct Checked {
    value: Decimal,
    exchange_rate: Option<Decimal>,
    invoice_number: Option<String>,
}

fn checked(entry: &InvoiceEntry) -> Result<Checked, Vec<(&'static str, String)>> {
    let mut wrong = Vec::new();
    let exact = |n: &serde_json::Number| crate::domain::money::parse_exact(&n.to_string());
    let value = match exact(&entry.value).map(Money::new) {
        Some(Ok(money)) => money.amount(),
        Some(Err(err)) => {
            wrong.push(("value", err.to_string()));
            Decimal::ZERO
        }
        None => {
            wrong.push(("value", "must be an exact decimal number".into()));
            Decimal::ZERO
        }
    };
    let exchange_rate = match entry
        .exchange_rate
        .as_ref()
        .map(|n| exact(n).map(ExchangeRate::new))
    {
        None => None,
        Some(Some(Ok(rate))) => Some(rate.rate()),
        Some(Some(Err(err))) => {
            wrong.push(("exchange_rate", err.to_string()));
            None
        }
        Some(None) => {
            wrong.push(("exchange_rate", "must be an exact decimal number".into()));
            None
        }
    };
    let invoice_number = match entry.invoice_number.clone().map(InvoiceNumber::parse) {
        None => None,
        Some(Ok(number)) => Some(number.into_inner()),
        Some(Err(err)) => {
            wrong.push(("invoice_number", err));
            None
        }
    };
    if entry.id.is_none() && entry.invoice_number.is_none() {
        wrong.push((
            "id",
            "an invoice needs an id or an invoice_number, by which a later import finds it".into(),
        ));
    }
    if entry.id.is_some_and(|id| id < 1) {
        wrong.push(("id", "an id must be 1 or more".into()));
    }
    for (field, date) in [
        ("issue_date", Some(entry.issue_date)),
        ("payment_date", entry.payment_date),
    ] {
        if let Some(date) = date
            && let Err(err) = parse_invoice_date(&date.to_string())
        {
            wrong.push((field, err));
        }
    }
    match (entry.status, entry.payment_date) {
        (StatusName::Paid, None) => wrong.push(("payment_date", "a paid invoice has one".into())),
        (StatusName::Paid, Some(paid)) => {
            if let Err(err) = paid_after_issue(entry.issue_date, paid) {
                wrong.push(("payment_date", err.into()));
            }
        }
        (_, Some(_)) => wrong.push(("payment_date", "only a paid invoice has one".into())),
        (_, None) => {}
    }
    for (field, text, max) in [
        ("purchase_order", &entry.purchase_order, SHORT_TEXT_MAX),
        ("budget_area_uid", &entry.budget_area_uid, SHORT_TEXT_MAX),
        ("notes", &entry.notes, NOTES_MAX),
    ] {
        if let Some(text) = text
            && let Err(err) = bounded_text(text.clone(), max)
        {
            wrong.push((field, err));
        }
    }
    if entry.updated_at < entry.created_at {
        wrong.push(("updated_at", "must not be before created_at".into()));
    }
    if entry.version < 1 {
        wrong.push(("version", "must be 1 or more".into()));
    }
    if wrong.is_empty() {
        Ok(Checked {
            value,
            exchange_rate,
            invoice_number,
        })
    } else {
        Err(wrong)
    }
}

/// Every mistake of the invoices of one company entry, without the database; no id or
/// number twice.
pub fn check(at: &str, invoices: &[InvoiceEntry], mistakes: &mut Vec<Mistake>) {
    let (mut ids, mut numbers) = (
        std::collections::HashSet::new(),
        std::collections::HashSet::new(),
    );
    for (i, entry) in invoices.iter().enumerate() {
        let at = format!("{at}.invoices[{i}]");
        if let Err(wrong) = checked(entry) {
            mistakes.extend(wrong.into_iter().map(|(field, message)| Mistake {
                place: format!("{at}.{field}"),
                message,
            }));
        }
        if let Some(id) = entry.id
            && !ids.insert(id)
        {
            mistakes.push(Mistake {
                place: format!("{at}.id"),
                message: format!("{id} is given twice"),
            });
        }
        if let Some(number) = &entry.invoice_number
            && !numbers.insert(number.clone())
        {
            mistakes.push(Mistake {
                place: format!("{at}.invoice_number"),
                message: format!("{number:?} is given twice"),
            });
        }
    }
}

/// Stores one checked invoice of `company`, or finds it stored with the same values.
pub async fn upsert(
    db: &impl ConnectionTrait,
    company: &company::Model,
    entry: &InvoiceEntry,
    at: &str,
) -> Result<super::write::Outcome, ImportError> {
    let values = checked(entry).map_err(|wrong| {
        let (field, message) = wrong.into_iter().next().unwrap_or(("id", String::new()));
        mistake(format!("{at}.{field}"), message)
    })?;
    let place = |field: &str| format!("{at}.{field}");
    let project = project::Entity::find()
        .filter(project::Column::CompanyId.eq(company.id))
        .filter(project::Column::ExternalId.eq(entry.project.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| {
            mistake(
                place("project"),
                format!("no project with key {:?}", entry.project),
            )
        })?;
    let vat_rate_id = match &entry.vat_rate {
        None => None,
        Some(key) => Some(
            vat_rate::Entity::find()
                .filter(vat_rate::Column::CompanyId.eq(company.id))
                .filter(vat_rate::Column::ExternalId.eq(key.as_str()))
                .one(db)
                .await?
                .ok_or_else(|| mistake(place("vat_rate"), format!("no VAT rate with key {key:?}")))?
                .id,
        ),
    };
    let payment_term_id = match &entry.payment_term {
        None => None,
        Some(key) => Some(
            payment_term::Entity::find()
                .filter(payment_term::Column::CompanyId.eq(company.id))
                .filter(payment_term::Column::ExternalId.eq(key.as_str()))
                .one(db)
                .await?
                .ok_or_else(|| {
                    mistake(
                        place("payment_term"),
                        format!("no payment term with key {key:?}"),
                    )
                })?
                .id,
        ),
    };
    let invoice_contact_id = match &entry.invoice_contact {
        None => None,
        Some(email) => {
            let email = email_address(email, super::CONTACT_TEXT_MAX)?;
            Some(
                invoice_contact::Entity::find()
                    .filter(invoice_contact::Column::CompanyId.eq(company.id))
                    .filter(invoice_contact::Column::Email.eq(email.as_str()))
                    .one(db)
                    .await?
                    .ok_or_else(|| {
                        mistake(
                            place("invoice_contact"),
                            format!("no invoice contact {email:?}"),
                        )
                    })?
                    .id,
            )
        }
    };
    if let Some(uid) = &entry.budget_area_uid {
        let area = entity::budget_area::Entity::find()
            .filter(entity::budget_area::Column::ProjectId.eq(project.id))
            .filter(entity::budget_area::Column::Uid.eq(uid.as_str()))
            .one(db)
            .await?;
        if area.is_none() {
            return Err(mistake(
                place("budget_area_uid"),
                format!("project {:?} has no budget area {uid:?}", entry.project),
            ));
        }
    }
    let creator = email_address(&entry.created_by, 320)?;
    let created_by = user::Entity::find()
        .filter(user::Column::Email.eq(creator.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| {
            mistake(
                place("created_by"),
                format!("no user {creator:?} (declare it in `users`)"),
            )
        })?;
    let mut wanted = invoice::Model {
        id: entry.id.unwrap_or_default(),
        company_id: company.id,
        project_id: project.id,
        status: entry.status.into(),
        invoice_number: values.invoice_number,
        purchase_order: entry.purchase_order.clone(),
        value: ExactDecimal(values.value),
        exchange_rate: values.exchange_rate.map(ExactDecimal),
        issue_date: entry.issue_date,
        payment_date: entry.payment_date,
        notes: entry.notes.clone(),
        budget_area_uid: entry.budget_area_uid.clone(),
        vat_rate_id,
        payment_term_id,
        created_by_user_id: created_by.id,
        created_at: entry.created_at,
        updated_at: entry.updated_at,
        version: entry.version,
        invoice_contact_id,
    };
    let stored = match entry.id {
        Some(id) => invoice::Entity::find_by_id(id).one(db).await?,
        None => {
            invoice::Entity::find()
                .filter(invoice::Column::CompanyId.eq(company.id))
                .filter(invoice::Column::InvoiceNumber.eq(wanted.invoice_number.clone()))
                .one(db)
                .await?
        }
    };
    if let Some(stored) = stored {
        if stored.company_id != company.id {
            return Err(mistake(
                place("id"),
                format!("invoice id {} is another company's invoice", stored.id),
            ));
        }
        wanted.id = stored.id;
        return if stored == wanted {
            Ok(super::write::Outcome::Unchanged)
        } else {
            Err(mistake(
                at.to_owned(),
                format!(
                    "invoice {} is stored with other values; an import does not change invoices",
                    stored.id
                ),
            ))
        };
    }
    let mut row: invoice::ActiveModel = wanted.into();
    row.id = match entry.id {
        Some(id) => Set(id),
        None => sea_orm::ActiveValue::NotSet,
    };
    match invoice::Entity::insert(row)
        .exec_without_returning(db)
        .await
    {
        Ok(_) => Ok(super::write::Outcome::Created),
        Err(err) if crate::store::is_unique_violation(&err) => Err(mistake(
            place("invoice_number"),
            "the number is taken by another invoice of this company",
        )),
        Err(err) => Err(ImportError::Admin(AdminError::Db(err))),
    }
}
