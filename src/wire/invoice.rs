//! An invoice on the wire: what the API answers and what an event (and so a webhook) carries.

use super::Corrupt;
use super::types::{Date, Timestamp};
use crate::domain::invoice::InvoiceStatus;
use crate::domain::money::{ExchangeRate, Money};
use chrono::Utc;
use poem_openapi::types::Example;
use poem_openapi::{Enum, Object};

/// The invoice status
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum Status {
    Draft,
    Sent,
    Paid,
}

impl From<InvoiceStatus> for Status {
    fn from(status: InvoiceStatus) -> Self {
        match status {
            InvoiceStatus::Draft => Status::Draft,
            InvoiceStatus::Sent => Status::Sent,
            InvoiceStatus::Paid => Status::Paid,
        }
    }
}

/// An invoice.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct Invoice {
    /// The unique identifier of the resource
    #[oai(validator(minimum(value = "1")))]
    pub id: i64,
    /// The date and time when the resource was created
    pub created_at: Timestamp,
    /// The date and time when the resource was last updated
    pub updated_at: Timestamp,
    // No doc comment: on a `$ref` field poem-openapi would wrap it in an `allOf` to carry the
    // description, which some client generators can't digest; `Status` documents itself.
    pub status: Status,
    /// The invoice number
    #[oai(nullable)]
    pub invoice_number: Option<String>,
    /// The invoice purchase order reference
    #[oai(nullable)]
    pub purchase_order: Option<String>,
    /// The invoice value
    pub value: Money,
    /// The invoice custom exchange rate
    #[oai(nullable)]
    pub exchange_rate: Option<ExchangeRate>,
    /// The invoice issue date
    pub issue_date: Date,
    /// The invoice payment date
    #[oai(nullable)]
    pub payment_date: Option<Date>,
    /// The invoice notes
    #[oai(nullable)]
    pub notes: Option<String>,
    /// The ID of the project associated with this invoice
    #[oai(validator(minimum(value = "1")))]
    pub project_id: i64,
    /// The UID of the budget area associated with this invoice
    #[oai(nullable)]
    pub budget_area_uid: Option<String>,
    /// The ID of the VAT rate associated with this invoice
    #[oai(nullable)]
    pub vat_rate_id: Option<i64>,
    /// The ID of the payment term associated with this invoice
    #[oai(nullable)]
    pub payment_term_id: Option<i64>,
}

impl Example for Invoice {
    fn example() -> Self {
        let at = chrono::DateTime::parse_from_rfc3339("2026-03-10T18:18:59.374Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let day = chrono::NaiveDate::from_ymd_opt(2024, 6, 15).unwrap_or_default();
        Invoice {
            id: 1,
            created_at: Timestamp(at),
            updated_at: Timestamp(at),
            status: Status::Draft,
            invoice_number: Some("INV-2024-001".into()),
            purchase_order: Some("PO-7781".into()),
            value: Money::whole(1000),
            exchange_rate: None,
            issue_date: Date(day),
            payment_date: None,
            notes: Some("First milestone".into()),
            project_id: 1,
            budget_area_uid: Some("area-1".into()),
            vat_rate_id: Some(1),
            payment_term_id: Some(1),
        }
    }
}

impl TryFrom<entity::invoice::Model> for Invoice {
    type Error = Corrupt;

    fn try_from(row: entity::invoice::Model) -> Result<Self, Corrupt> {
        let corrupt = |what: &'static str| Corrupt::new("invoice", row.id, what);
        let status = row.status;
        let value = Money::new(row.value.0).map_err(|_| corrupt("value"))?;
        let exchange_rate = row
            .exchange_rate
            .map(|r| ExchangeRate::new(r.0))
            .transpose()
            .map_err(|_| corrupt("exchange_rate"))?;
        Ok(Invoice {
            id: row.id,
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
            status: status.into(),
            invoice_number: row.invoice_number,
            purchase_order: row.purchase_order,
            value,
            exchange_rate,
            issue_date: Date(row.issue_date),
            payment_date: row.payment_date.map(Date),
            notes: row.notes,
            project_id: row.project_id,
            budget_area_uid: row.budget_area_uid,
            vat_rate_id: row.vat_rate_id,
            payment_term_id: row.payment_term_id,
        })
    }
}
