//! An index for the list of a company's members (`GET /api/members`), in user id order: a
//! page is a walk of this index from its first row, whatever the company's size. The unique
//! index on `(user_id, company_id)` serves the other direction (a user's companies).

use sea_orm_migration::prelude::*;

migration!(|manager| {
    manager
        .create_index(
            Index::create()
                .name("ix_memberships_company_user")
                .table("memberships")
                .if_not_exists()
                .col("company_id")
                .col("user_id")
                .to_owned(),
        )
        .await
});
