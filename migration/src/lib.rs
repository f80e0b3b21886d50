//! Schema migrations of invoices-api, applied at start-up and by `invoices-api migrate`.
//!
//! Each migration freezes the table shapes it creates: it never imports the `entity` crate, so
//! a later change to the model can't silently rewrite history.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_schema;
mod m20261125_000002_idempotency_keys;
mod m20261130_000003_invoice_version;
mod m20261130_000004_list_indexes;
mod m20261130_000005_filter_indexes;
mod m20261130_000006_invoice_contacts;
mod m20261130_000007_invoice_sent_to;
mod m20261130_000008_reference_updated_at;
mod m20261130_000009_keys_per_company;
mod m20261130_000010_rate_limit_windows;
mod m20261130_000011_invoice_events;
mod m20261130_000012_members_index;

/// All migrations, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_schema::Migration),
            Box::new(m20261125_000002_idempotency_keys::Migration),
            Box::new(m20261130_000003_invoice_version::Migration),
            Box::new(m20261130_000004_list_indexes::Migration),
            Box::new(m20261130_000005_filter_indexes::Migration),
            Box::new(m20261130_000006_invoice_contacts::Migration),
            Box::new(m20261130_000007_invoice_sent_to::Migration),
            Box::new(m20261130_000008_reference_updated_at::Migration),
            Box::new(m20261130_000009_keys_per_company::Migration),
            Box::new(m20261130_000010_rate_limit_windows::Migration),
            Box::new(m20261130_000011_invoice_events::Migration),
            Box::new(m20261130_000012_members_index::Migration),
        ]
    }
}
