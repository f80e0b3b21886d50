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

/// Adds these columns to `table`, one statement each (SQLite adds one column per statement).
async fn add_columns(
    manager: &SchemaManager<'_>,
    table: &str,
    columns: impl IntoIterator<Item = ColumnDef>,
) -> Result<(), DbErr> {
    for column in columns {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new(table))
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
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
mod m20261204_000013_budgets;
mod m20261204_000014_event_id_offset;
mod m20261205_000015_webhook_endpoint_state;
mod m20261207_000016_webhook_delivered_count;

/// Whether the release before keeps working on the schema a migration leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The release before keeps working: a new table, a new nullable or defaulted column, a
    /// new index. A node that does not know the migration may serve the migrated schema.
    Expand,
    /// The release before may break: a drop, a rename, a new constraint its code would
    /// violate, a SQLite table rebuild. A node that does not know it refuses to start.
    Contract,
}

impl Kind {
    /// How a database records it (`schema_migration_kinds.kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Expand => "expand",
            Kind::Contract => "contract",
        }
    }

    /// The kind a database recorded; `None` for a word this release does not know.
    pub fn parse(word: &str) -> Option<Kind> {
        match word {
            "expand" => Some(Kind::Expand),
            "contract" => Some(Kind::Contract),
            _ => None,
        }
    }
}

/// Every migration with its kind, oldest first: a migration can't be listed without one.
pub fn steps() -> Vec<(Box<dyn MigrationTrait>, Kind)> {
    use Kind::{Contract, Expand};
    vec![
        (Box::new(m20261125_000001_create_schema::Migration), Expand),
        (
            Box::new(m20261125_000002_idempotency_keys::Migration),
            Expand,
        ),
        (
            Box::new(m20261130_000003_invoice_version::Migration),
            Expand,
        ),
        (Box::new(m20261130_000004_list_indexes::Migration), Expand),
        (Box::new(m20261130_000005_filter_indexes::Migration), Expand),
        (
            Box::new(m20261130_000006_invoice_contacts::Migration),
            Expand,
        ),
        (
            Box::new(m20261130_000007_invoice_sent_to::Migration),
            Expand,
        ),
        // NOT NULL on PostgreSQL: the release before inserted reference data without it.
        (
            Box::new(m20261130_000008_reference_updated_at::Migration),
            Contract,
        ),
        // A SQLite table rebuild, and uniqueness moved from the budget area's uid alone to
        // (company, uid).
        (
            Box::new(m20261130_000009_keys_per_company::Migration),
            Contract,
        ),
        (
            Box::new(m20261130_000010_rate_limit_windows::Migration),
            Expand,
        ),
        (Box::new(m20261130_000011_invoice_events::Migration), Expand),
        (Box::new(m20261130_000012_members_index::Migration), Expand),
        (Box::new(m20261204_000013_budgets::Migration), Expand),
        // A new table the event id function reads; 0 (ids unchanged) unless a copy set it.
        (
            Box::new(m20261204_000014_event_id_offset::Migration),
            Expand,
        ),
        // Nullable columns the release before neither reads nor writes.
        (
            Box::new(m20261205_000015_webhook_endpoint_state::Migration),
            Expand,
        ),
        // A defaulted column and two nullable ones; the release before neither reads nor
        // writes them.
        (
            Box::new(m20261207_000016_webhook_delivered_count::Migration),
            Expand,
        ),
    ]
}

/// Each migration's name (the version a database records it by) and kind, oldest first.
pub fn kinds() -> Vec<(String, Kind)> {
    steps()
        .into_iter()
        .map(|(migration, kind)| (migration.name().to_owned(), kind))
        .collect()
}

/// All migrations, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        steps()
            .into_iter()
            .map(|(migration, _)| migration)
            .collect()
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
