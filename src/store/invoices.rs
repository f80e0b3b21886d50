//! Invoices and the company data their creation depends on.

use crate::domain::idempotency::IdempotencyKey;
use crate::domain::invoice::{InvoiceStatus, NewInvoice};
use chrono::{DateTime, Utc};
use entity::{
    ExactDecimal, budget_area, idempotency_key, invoice, payment_term, project, vat_rate,
};
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
    /// A concurrent request with the same idempotency key committed first.
    #[error("the idempotency key was taken by a concurrent request")]
    KeyTaken,
    #[error("could not render the response to remember: {0}")]
    Render(anyhow::Error),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// What to remember about a create sent with an `Idempotency-Key`: the key, the hash of the
/// request, and how to render the response from the new row.
pub struct Remember<'a, F> {
    pub key: &'a IdempotencyKey,
    pub request_hash: &'a str,
    pub render: F,
}

/// Inserts a draft invoice and, with an idempotency key, the response to replay, in one
/// transaction: both are written or neither. (The transaction also matters on SQLite, where an
/// `INSERT … RETURNING` outside one leaves its statement unfinished and the WAL then never
/// checkpoints; see STACK-NOTES.)
pub async fn insert_draft<F>(
    db: &(impl ConnectionTrait + TransactionTrait),
    company_id: i64,
    created_by_user_id: i64,
    new: NewInvoice,
    now: DateTime<Utc>,
    remember: Option<Remember<'_, F>>,
) -> Result<invoice::Model, InsertInvoiceError>
where
    F: FnOnce(&invoice::Model) -> anyhow::Result<String>,
{
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
    if let Some(remember) = remember {
        super::idempotency::forget_if_expired(
            &txn,
            company_id,
            created_by_user_id,
            remember.key,
            now,
        )
        .await?;
        let response_body = (remember.render)(&inserted).map_err(InsertInvoiceError::Render)?;
        let record = idempotency_key::ActiveModel {
            id: NotSet,
            company_id: Set(company_id),
            user_id: Set(created_by_user_id),
            key: Set(remember.key.as_str().to_owned()),
            request_hash: Set(remember.request_hash.to_owned()),
            invoice_id: Set(inserted.id),
            response_body: Set(response_body),
            created_at: Set(now),
        };
        match record.insert(&txn).await {
            Ok(_) => {}
            Err(err) if super::is_unique_violation(&err) => {
                return Err(InsertInvoiceError::KeyTaken);
            }
            Err(err) => return Err(err.into()),
        }
    }
    txn.commit().await?;
    Ok(inserted)
}
