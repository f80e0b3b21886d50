//! Constraint violations by name: only the invoice-number index is the `invoice_number` 400,
//! only the idempotency index a taken key; any other violation stays the fault it is.

use crate::helpers::{ACME, World};
use entity::{idempotency_key, invoice};
use invoices_api::store::{UniqueIndex, unique_index_violated};
use sea_orm::{ActiveModelTrait, ActiveValue::NotSet, EntityTrait, IntoActiveModel, Set};
use serde_json::json;

#[tokio::test]
async fn each_unique_violation_is_told_apart_by_its_index() {
    let w = World::new().await;
    let db = &w.app.db;
    let id = w.invoice(json!({ "invoice_number": "A-1" })).await;

    // The same number again in the company: the invoice-number index.
    let stored = w.app.stored_invoice(id).await;
    let mut copy = stored.clone().into_active_model();
    copy.id = NotSet;
    let err = invoice::Entity::insert(copy)
        .exec(db)
        .await
        .expect_err("a duplicate number is refused");
    assert_eq!(
        unique_index_violated(&err),
        Some(UniqueIndex::InvoiceNumber)
    );

    // The same idempotency key twice for one user and company.
    let key = idempotency_key::ActiveModel {
        id: NotSet,
        company_id: Set(stored.company_id),
        user_id: Set(stored.created_by_user_id),
        key: Set("k".into()),
        request_hash: Set("h".into()),
        invoice_id: Set(id),
        response_body: Set("{}".into()),
        created_at: Set(stored.created_at),
    };
    key.clone().insert(db).await.expect("first key");
    let err = key
        .insert(db)
        .await
        .expect_err("a duplicate key is refused");
    assert_eq!(
        unique_index_violated(&err),
        Some(UniqueIndex::IdempotencyKey)
    );

    // Another unique index (a company's slug) is neither.
    let err = entity::company::ActiveModel {
        id: NotSet,
        slug: Set(ACME.into()),
        name: Set("Again".into()),
        created_at: Set(stored.created_at),
    }
    .insert(db)
    .await
    .expect_err("a duplicate slug is refused");
    assert_eq!(unique_index_violated(&err), None);
}
