//! Invoices and the company data their creation depends on.

use crate::domain::invoice::{InvoiceStatus, NewInvoice};
use chrono::{DateTime, Utc};
use entity::{ExactDecimal, budget_area, invoice, payment_term, project, vat_rate};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QuerySelect, Set, TransactionSession, TransactionTrait,
};

/// The project with this id in this company; a project of another company is not found.
pub async fn project_in_company(
    db: &impl ConnectionTrait,
    company_id: i64,
    project_id: i64,
) -> Result<Option<project::Model>, DbErr> {
    project::Entity::find_by_id(project_id)
        .filter(project::Column::CompanyId.eq(company_id))
        .one(db)
        .await
}

/// Whether the project has an enabled budget area with this uid.
pub async fn enabled_budget_area_exists(
    db: &impl ConnectionTrait,
    project_id: i64,
    uid: &str,
) -> Result<bool, DbErr> {
    Ok(budget_area::Entity::find()
        .select_only()
        .column(budget_area::Column::Id)
        .filter(budget_area::Column::ProjectId.eq(project_id))
        .filter(budget_area::Column::Uid.eq(uid))
        .filter(budget_area::Column::Enabled.eq(true))
        .into_tuple::<i64>()
        .one(db)
        .await?
        .is_some())
}

/// Whether the company has a VAT rate with this id that is not archived.
pub async fn usable_vat_rate_exists(
    db: &impl ConnectionTrait,
    company_id: i64,
    id: i64,
) -> Result<bool, DbErr> {
    Ok(vat_rate::Entity::find_by_id(id)
        .select_only()
        .column(vat_rate::Column::Id)
        .filter(vat_rate::Column::CompanyId.eq(company_id))
        .filter(vat_rate::Column::Archived.eq(false))
        .into_tuple::<i64>()
        .one(db)
        .await?
        .is_some())
}

/// Whether the company has a payment term with this id that is not archived.
pub async fn usable_payment_term_exists(
    db: &impl ConnectionTrait,
    company_id: i64,
    id: i64,
) -> Result<bool, DbErr> {
    Ok(payment_term::Entity::find_by_id(id)
        .select_only()
        .column(payment_term::Column::Id)
        .filter(payment_term::Column::CompanyId.eq(company_id))
        .filter(payment_term::Column::Archived.eq(false))
        .into_tuple::<i64>()
        .one(db)
        .await?
        .is_some())
}

/// Why an insert was refused.
#[derive(Debug, thiserror::Error)]
pub enum InsertInvoiceError {
    #[error("the company already has an invoice with this number")]
    DuplicateNumber,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Inserts a draft invoice. The write runs in its own transaction: on SQLite an
/// `INSERT … RETURNING` outside one leaves its statement unfinished, and the WAL then never
/// checkpoints (see STACK-NOTES).
pub async fn insert_draft(
    db: &(impl ConnectionTrait + TransactionTrait),
    company_id: i64,
    created_by_user_id: i64,
    new: NewInvoice,
    now: DateTime<Utc>,
) -> Result<invoice::Model, InsertInvoiceError> {
    let row = invoice::ActiveModel {
        id: NotSet,
        company_id: Set(company_id),
        project_id: Set(new.project_id),
        status: Set(InvoiceStatus::Draft.as_str().to_owned()),
        invoice_number: Set(new.invoice_number.map(|n| n.into_inner())),
        purchase_order: Set(new.purchase_order),
        value: Set(ExactDecimal(new.value.amount())),
        exchange_rate: Set(new.exchange_rate.map(|r| ExactDecimal(r.rate()))),
        issue_date: Set(new.issue_date),
        payment_date: Set(None),
        notes: Set(new.notes),
        budget_area_uid: Set(new.budget_area_uid),
        vat_rate_id: Set(new.vat_rate_id),
        payment_term_id: Set(new.payment_term_id),
        created_by_user_id: Set(created_by_user_id),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let txn = db.begin().await?;
    let inserted = match row.insert(&txn).await {
        Ok(model) => model,
        Err(err) if super::is_unique_violation(&err) => {
            return Err(InsertInvoiceError::DuplicateNumber);
        }
        Err(err) => return Err(err.into()),
    };
    txn.commit().await?;
    Ok(inserted)
}
