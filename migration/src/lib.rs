//! Schema migrations of invoices-api, applied at start-up and by `invoices-api migrate`.
//!
//! Each migration freezes the table shapes it creates: it never imports the `entity` crate, so
//! a later change to the model can't silently rewrite history.

pub use sea_orm_migration::prelude::*;

/// What every migration repeats: SeaORM's unit type `Migration`, named after its file (the
/// name a database records it by: a migration's file is never renamed), and its `up`, given
/// as `|manager| { … }`. With `in_one_transaction`, its statements run in one transaction on
/// every database (on one connection; the schema changes all or not at all); without,
/// SeaORM's default. None has a `down`.
macro_rules! migration {
    (in_one_transaction, |$manager:ident| $up:block) => {
        migration!(@with { fn use_transaction(&self) -> Option<bool> { Some(true) } } $manager $up);
    };
    (|$manager:ident| $up:block) => {
        migration!(@with {} $manager $up);
    };
    (@with { $($options:tt)* } $manager:ident $up:block) => {
        #[derive(DeriveMigrationName)]
        pub struct Migration;

        #[async_trait::async_trait]
        impl MigrationTrait for Migration {
            $($options)*

            async fn up(&self, $manager: &SchemaManager) -> Result<(), DbErr> $up
        }
    };
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// A database records each migration it ran by name; a name that changed would run again.
    #[test]
    fn each_migration_is_named_after_its_file_in_order() {
        let names: Vec<String> = Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files: Vec<String> = std::fs::read_dir(source)
            .expect("the migrations' folder")
            .filter_map(|entry| entry.ok()?.path().file_stem()?.to_str().map(str::to_owned))
            .filter(|stem| stem.starts_with('m'))
            .collect();
        files.sort();
        assert_eq!(names, files);
    }
}
