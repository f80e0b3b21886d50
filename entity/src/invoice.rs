//! An invoice of a company's project. `value` and `exchange_rate` are exact decimals.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub project_id: i64,
    pub status: InvoiceStatus,
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
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// 1 when created, raised by one on every change: the invoice's `ETag`.
    pub version: i64,
    /// The invoice contact it was sent to, when `:send` named one.
    pub invoice_contact_id: Option<i64>,
}

/// Where an invoice is in its life, stored as its name (`draft`, `sent`, `paid`) in a text
/// column: the ORM reads and writes it, so it is parsed in this one place.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum InvoiceStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "sent")]
    Sent,
    #[sea_orm(string_value = "paid")]
    Paid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
