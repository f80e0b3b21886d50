//! Remembered responses of `Idempotency-Key` requests.

use super::invoices::InvoiceWriteError;
use crate::domain::idempotency::{IdempotencyKey, KEY_LIFETIME};
use chrono::{DateTime, Utc};
use entity::{idempotency_key, invoice};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
};

/// The live (younger than 24 hours) record of this key for this company and user.
pub async fn find_live(
    db: &impl ConnectionTrait,
    company_id: i64,
    user_id: i64,
    key: &IdempotencyKey,
    now: DateTime<Utc>,
) -> Result<Option<idempotency_key::Model>, DbErr> {
    idempotency_key::Entity::find()
        .filter(key_of(company_id, user_id, key))
        .filter(idempotency_key::Column::CreatedAt.gt(now - KEY_LIFETIME))
        .one(db)
        .await
}

/// Forgets this key if it has expired, so it can be used again.
pub async fn forget_if_expired(
    db: &impl ConnectionTrait,
    company_id: i64,
    user_id: i64,
    key: &IdempotencyKey,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    idempotency_key::Entity::delete_many()
        .filter(key_of(company_id, user_id, key))
        .filter(idempotency_key::Column::CreatedAt.lte(now - KEY_LIFETIME))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes every expired key; returns how many.
pub async fn purge_expired(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let result = idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lte(now - KEY_LIFETIME))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// The key as one user in one company used it: keys belong to both.
fn key_of(company_id: i64, user_id: i64, key: &IdempotencyKey) -> Condition {
    Condition::all()
        .add(idempotency_key::Column::CompanyId.eq(company_id))
        .add(idempotency_key::Column::UserId.eq(user_id))
        .add(idempotency_key::Column::Key.eq(key.as_str()))
}

/// Remembers the answer to a create sent with `key` (its request's hash, the invoice it made
/// and the body returned), in the transaction that inserted the invoice; an expired record of
/// the key is forgotten first. [`InvoiceWriteError::KeyTaken`] when a concurrent request with
/// the same key committed first.
pub async fn remember(
    db: &impl ConnectionTrait,
    key: &IdempotencyKey,
    request_hash: &str,
    invoice: &invoice::Model,
    response_body: String,
) -> Result<(), InvoiceWriteError> {
    let (company_id, user_id) = (invoice.company_id, invoice.created_by_user_id);
    forget_if_expired(db, company_id, user_id, key, invoice.created_at).await?;
    let record = idempotency_key::ActiveModel {
        id: NotSet,
        company_id: Set(company_id),
        user_id: Set(user_id),
        key: Set(key.as_str().to_owned()),
        request_hash: Set(request_hash.to_owned()),
        invoice_id: Set(invoice.id),
        response_body: Set(response_body),
        created_at: Set(invoice.created_at),
    };
    match record.insert(db).await {
        Ok(_) => Ok(()),
        Err(err)
            if super::unique_index_violated(&err) == Some(super::UniqueIndex::IdempotencyKey) =>
        {
            Err(InvoiceWriteError::KeyTaken)
        }
        Err(err) => Err(err.into()),
    }
}
