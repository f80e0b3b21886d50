//! Natural keys scoped to their company, for the operator's import (`admin import`) and so one
//! company's names don't constrain another's:
//!
//! - a budget area's `uid` is unique within its company, no longer across all companies; budget
//!   areas carry their project's `company_id` for that;
//! - projects, VAT rates and payment terms get an optional `external_id`: the key an import file
//!   gives them, unique within the company.
//!
//! SQLite can't drop a column's `UNIQUE` constraint: `budget_areas` is rebuilt (created anew,
//! copied, swapped), as SQLite's documentation prescribes. No table refers to it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

/// Tables that get an `external_id`, unique within the company.
const KEYED: [&str; 3] = ["projects", "vat_rates", "payment_terms"];

fn fk(table: &'static str, column: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(to, "id")
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

migration!(in_one_transaction, |manager| {
    match manager.get_database_backend() {
        DatabaseBackend::Sqlite => rebuild_budget_areas_on_sqlite(manager).await?,
        _ => scope_budget_areas_on_postgres(manager).await?,
    }
    let index = |name: String, table: &str, columns: [&str; 2], unique: bool| {
        let mut index = Index::create();
        index.name(name).table(table.to_owned()).if_not_exists();
        if unique {
            index.unique();
        }
        for column in columns {
            index.col(column.to_owned());
        }
        index.to_owned()
    };
    manager
        .create_index(index(
            "ux_budget_areas_company_uid".into(),
            "budget_areas",
            ["company_id", "uid"],
            true,
        ))
        .await?;
    for table in KEYED {
        manager
            .alter_table(
                Table::alter()
                    .table(table)
                    .add_column(string_len_null("external_id", 255))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                format!("ux_{table}_company_external_id"),
                table,
                ["company_id", "external_id"],
                true,
            ))
            .await?;
    }
    Ok(())
});

/// PostgreSQL: add and fill `company_id`, then swap the global `uid` constraint for the
/// company's.
async fn scope_budget_areas_on_postgres(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table("budget_areas")
                .add_column(big_integer_null("company_id"))
                .to_owned(),
        )
        .await?;
    let db = manager.get_connection();
    db.execute_unprepared(
        "UPDATE budget_areas SET company_id = projects.company_id \
         FROM projects WHERE projects.id = budget_areas.project_id",
    )
    .await?;
    db.execute_unprepared("ALTER TABLE budget_areas ALTER COLUMN company_id SET NOT NULL")
        .await?;
    manager
        .create_foreign_key(fk("budget_areas", "company_id", "companies"))
        .await?;
    // The name PostgreSQL gave the column's UNIQUE constraint in migration 1.
    db.execute_unprepared(
        "ALTER TABLE budget_areas DROP CONSTRAINT IF EXISTS budget_areas_uid_key",
    )
    .await?;
    Ok(())
}

/// A foreign key of the rebuilt table, named as it will be once renamed.
fn rebuilt_fk(column: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_budget_areas_{column}"))
        .from("budget_areas_rebuilt", column)
        .to(to, "id")
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

/// SQLite: a new table of the new shape, the rows copied with their project's company, the old
/// table dropped and the new one renamed; then the indexes of migrations 4 and 8 again.
async fn rebuild_budget_areas_on_sqlite(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table("budget_areas_rebuilt")
                .col(big_pk_auto("id"))
                .col(big_integer("project_id"))
                .col(big_integer("company_id"))
                .col(string_len("uid", 255))
                .col(string_len("name", 255))
                .col(boolean("enabled"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("updated_at"))
                .foreign_key(&mut rebuilt_fk("project_id", "projects"))
                .foreign_key(&mut rebuilt_fk("company_id", "companies"))
                .to_owned(),
        )
        .await?;
    let db = manager.get_connection();
    db.execute_unprepared(
        "INSERT INTO budget_areas_rebuilt \
         (id, project_id, company_id, uid, name, enabled, created_at, updated_at) \
         SELECT b.id, b.project_id, p.company_id, b.uid, b.name, b.enabled, b.created_at, \
         b.updated_at FROM budget_areas AS b JOIN projects AS p ON p.id = b.project_id",
    )
    .await?;
    db.execute_unprepared("DROP TABLE budget_areas").await?;
    db.execute_unprepared("ALTER TABLE budget_areas_rebuilt RENAME TO budget_areas")
        .await?;
    for (name, columns) in [
        ("ix_budget_areas_project_id", &["project_id", "id"][..]),
        (
            "ix_budget_areas_project_id_updated_at",
            &["project_id", "updated_at", "id"][..],
        ),
    ] {
        let mut index = Index::create();
        index.name(name).table("budget_areas").if_not_exists();
        for column in columns {
            index.col(*column);
        }
        manager.create_index(index.to_owned()).await?;
    }
    Ok(())
}
