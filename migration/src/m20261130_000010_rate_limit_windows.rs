//! The requests each token took in each minute, shared by every node on one PostgreSQL (the
//! rate limit's budget). SQLite, one node, keeps the budget in memory and leaves it empty.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

migration!(|manager| {
    manager
        .create_table(
            Table::create()
                .table("rate_limit_windows")
                .col(string_len("token_hash", 64))
                // Minutes since the Unix epoch.
                .col(big_integer("window_start"))
                .col(big_integer("used"))
                .primary_key(
                    Index::create()
                        .name("pk_rate_limit_windows")
                        .col("token_hash")
                        .col("window_start"),
                )
                .to_owned(),
        )
        .await
});
