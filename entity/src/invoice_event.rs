//! A change of an invoice: who made it, when, and the invoice as it left it (as it was, for a
//! delete). Creations are written by a trigger on `invoices`; see the migration that made it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `invoice.created`, `invoice.updated`, `invoice.sent`, `invoice.paid`, `invoice.unpaid`
    /// or `invoice.deleted`.
    pub r#type: String,
    /// The user who made the change.
    pub user_id: i64,
    pub created_at: DateTimeUtc,
    pub invoice_id: i64,
    pub company_id: i64,
    pub project_id: i64,
    pub status: crate::invoice::InvoiceStatus,
    pub invoice_number: Option<String>,
    pub purchase_order: Option<String>,
    pub value: crate::ExactDecimal,
    pub exchange_rate: Option<crate::ExactDecimal>,
    pub issue_date: Date,
    pub payment_date: Option<Date>,
    pub notes: Option<String>,
    pub budget_area_uid: Option<String>,
    pub vat_rate_id: Option<i64>,
    pub payment_term_id: Option<i64>,
    pub created_by_user_id: i64,
    pub invoice_created_at: DateTimeUtc,
    pub invoice_updated_at: DateTimeUtc,
    pub version: i64,
    pub invoice_contact_id: Option<i64>,
    /// For a change of an existing invoice: its changed fields and their previous values, a
    /// JSON object.
    pub previous: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The invoice as this event left it.
    pub fn invoice(&self) -> crate::invoice::Model {
        crate::invoice::Model {
            id: self.invoice_id,
            company_id: self.company_id,
            project_id: self.project_id,
            status: self.status,
            invoice_number: self.invoice_number.clone(),
            purchase_order: self.purchase_order.clone(),
            value: self.value,
            exchange_rate: self.exchange_rate,
            issue_date: self.issue_date,
            payment_date: self.payment_date,
            notes: self.notes.clone(),
            budget_area_uid: self.budget_area_uid.clone(),
            vat_rate_id: self.vat_rate_id,
            payment_term_id: self.payment_term_id,
            created_by_user_id: self.created_by_user_id,
            created_at: self.invoice_created_at,
            updated_at: self.invoice_updated_at,
            version: self.version,
            invoice_contact_id: self.invoice_contact_id,
        }
    }
}

/// The row recording a change of `invoice` of this type, by this user, at this time; its id
/// is left to the database.
pub fn record(
    r#type: &str,
    user_id: i64,
    created_at: DateTimeUtc,
    invoice: &crate::invoice::Model,
    previous: Option<String>,
) -> ActiveModel {
    use sea_orm::ActiveValue::{NotSet, Set};
    let invoice = invoice.clone();
    ActiveModel {
        id: NotSet,
        r#type: Set(r#type.to_owned()),
        user_id: Set(user_id),
        created_at: Set(created_at),
        invoice_id: Set(invoice.id),
        company_id: Set(invoice.company_id),
        project_id: Set(invoice.project_id),
        status: Set(invoice.status),
        invoice_number: Set(invoice.invoice_number),
        purchase_order: Set(invoice.purchase_order),
        value: Set(invoice.value),
        exchange_rate: Set(invoice.exchange_rate),
        issue_date: Set(invoice.issue_date),
        payment_date: Set(invoice.payment_date),
        notes: Set(invoice.notes),
        budget_area_uid: Set(invoice.budget_area_uid),
        vat_rate_id: Set(invoice.vat_rate_id),
        payment_term_id: Set(invoice.payment_term_id),
        created_by_user_id: Set(invoice.created_by_user_id),
        invoice_created_at: Set(invoice.created_at),
        invoice_updated_at: Set(invoice.updated_at),
        version: Set(invoice.version),
        invoice_contact_id: Set(invoice.invoice_contact_id),
        previous: Set(previous),
    }
}
