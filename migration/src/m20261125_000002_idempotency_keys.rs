//! Responses remembered for `Idempotency-Key` retries.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

migration!(|manager| {
    manager
        .create_table(
            Table::create()
                .table("idempotency_keys")
                .col(big_pk_auto("id"))
                .col(big_integer("company_id"))
                .col(big_integer("user_id"))
                .col(string_len("key", 255))
                .col(string_len("request_hash", 64))
                .col(big_integer("invoice_id"))
                .col(text("response_body"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_idempotency_keys_company_id")
                        .from("idempotency_keys", "company_id")
                        .to("companies", "id"),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_idempotency_keys_user_id")
                        .from("idempotency_keys", "user_id")
                        .to("users", "id"),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("ux_idempotency_keys")
                .table("idempotency_keys")
                .col("company_id")
                .col("user_id")
                .col("key")
                .unique()
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("ix_idempotency_keys_created_at")
                .table("idempotency_keys")
                .col("created_at")
                .to_owned(),
        )
        .await
});
