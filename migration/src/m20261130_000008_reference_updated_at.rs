//! `updated_at` on projects, budget areas, VAT rates and payment terms, so a client can sync the
//! reference data the way it syncs invoices (`updated_at=gt:…`); existing rows take their
//! `created_at`. Each list gets an index to search that filter within its scope.
//!
//! SQLite can add a column only nullable (or with a constant default), and can't make it
//! `NOT NULL` afterwards without rebuilding the table: there every row is written with the
//! column by the one writer of these tables (`store::admin`). PostgreSQL also gets the
//! constraint.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// Each table, and the column that scopes its list.
const TABLES: [(&str, &str); 4] = [
    ("projects", "company_id"),
    ("budget_areas", "project_id"),
    ("vat_rates", "company_id"),
    ("payment_terms", "company_id"),
];

migration!(in_one_transaction, |manager| {
    let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
    for (table, scope) in TABLES {
        manager
            .alter_table(
                Table::alter()
                    .table(table)
                    .add_column(timestamp_with_time_zone_null("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(table)
                    .value("updated_at", Expr::col("created_at"))
                    .to_owned(),
            )
            .await?;
        if postgres {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .modify_column(ColumnDef::new("updated_at").not_null())
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(format!("ix_{table}_{scope}_updated_at"))
                    .table(table)
                    .if_not_exists()
                    .col(scope)
                    .col("updated_at")
                    .col("id")
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
});
