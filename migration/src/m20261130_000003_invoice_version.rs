//! A version on every invoice, raised by each change: what its `ETag` is made of, so a client
//! can tell (`If-Match`, `If-None-Match`) whether the invoice changed since it read it.
//! Existing invoices start at 1, as new ones do.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

migration!(|manager| {
    manager
        .alter_table(
            Table::alter()
                .table("invoices")
                .add_column(big_integer("version").default(1))
                .to_owned(),
        )
        .await
});
