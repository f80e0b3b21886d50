//! The invoice contact an invoice was sent to (`:send` with `invoice_contact_id`); none for an
//! invoice sent without naming one, and for every invoice sent before this migration.
//!
//! PostgreSQL also gets a foreign key to `invoice_contacts`. SQLite can't add one to an existing
//! table without rebuilding it; there the `:send` check (the contact is the company's, read in
//! the transaction that records it) is the guard, and contacts are never deleted.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

migration!(|manager| {
    manager
        .alter_table(
            Table::alter()
                .table("invoices")
                .add_column(big_integer_null("invoice_contact_id"))
                .to_owned(),
        )
        .await?;
    if manager.get_database_backend() == DatabaseBackend::Postgres {
        manager
            .create_foreign_key(
                ForeignKey::create()
                    .name("fk_invoices_invoice_contact_id")
                    .from("invoices", "invoice_contact_id")
                    .to("invoice_contacts", "id")
                    .on_delete(ForeignKeyAction::Restrict)
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
});
