//! Remembered responses of `Idempotency-Key` requests.

use crate::domain::idempotency::{IdempotencyKey, KEY_LIFETIME};
use chrono::{DateTime, Utc};
use entity::idempotency_key;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

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
