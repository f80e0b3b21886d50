//! Budgets, as the original shapes them: a project has budgets (versions of its plan), and a
//! budget area belongs to a budget. Budget areas gain their budget, their type and their
//! totals; every existing area goes into one budget per project, made here (version 1,
//! `APPROVED`, the baseline, in EUR, its totals zero), so no invoice changes.
//!
//! An expand step: a new table; new columns that are nullable or have a constant default; new
//! indexes. The release before keeps adding budget areas without a budget (`budget_id` NULL)
//! while nodes of both releases run; this release reads such an area as having none.
//!
//! Money and days are exact decimals: `NUMERIC` on PostgreSQL, `TEXT` on SQLite (whose numeric
//! affinity would make them floats).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

/// The totals a budget and a budget area carry.
const TOTALS: [&str; 4] = [
    "total_external_cost",
    "total_cost",
    "total_price",
    "total_days",
];

fn exact_decimal(backend: DatabaseBackend, name: &str) -> ColumnDef {
    match backend {
        DatabaseBackend::Sqlite => text(name.to_owned()).default("0").to_owned(),
        _ => decimal_len(name.to_owned(), 16, 2).default(0).to_owned(),
    }
}

fn fk(table: &'static str, column: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(to, "id")
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

fn index(name: &str, table: &str, columns: &[&str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table.to_owned()).if_not_exists();
    for column in columns {
        index.col((*column).to_owned());
    }
    index.to_owned()
}

migration!(in_one_transaction, |manager| {
    let backend = manager.get_database_backend();
    let mut budgets = Table::create();
    budgets
        .table("budgets")
        .col(big_pk_auto("id"))
        .col(big_integer("company_id"))
        .col(big_integer("project_id"))
        .col(integer("version"))
        .col(string_len("status", 16))
        .col(boolean("is_baseline"))
        .col(text_null("notes"))
        .col(string_len("currency", 3))
        .col(boolean("is_currency_enabled"))
        .col(exact_decimal(backend, "final_net_price"));
    for total in TOTALS {
        budgets.col(exact_decimal(backend, total));
    }
    budgets
        .col(big_integer_null("price_list_id"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("updated_at"))
        .foreign_key(&mut fk("budgets", "company_id", "companies"))
        .foreign_key(&mut fk("budgets", "project_id", "projects"));
    manager.create_table(budgets.to_owned()).await?;
    // A project's budgets are told apart by version.
    let mut versions = index(
        "ux_budgets_project_version",
        "budgets",
        &["project_id", "version"],
    );
    manager.create_index(versions.unique().to_owned()).await?;
    // The lists: the company's budgets in id order (whole, or by update time), a project's.
    for (name, columns) in [
        ("ix_budgets_company_id", &["company_id", "id"][..]),
        (
            "ix_budgets_company_updated_at",
            &["company_id", "updated_at"][..],
        ),
        ("ix_budgets_project_id", &["project_id", "id"][..]),
    ] {
        manager
            .create_index(index(name, "budgets", columns))
            .await?;
    }

    // SQLite adds a column with a REFERENCES clause only when its default is NULL, and
    // sea-query adds no foreign key to an existing SQLite table: written out, for both.
    manager
        .get_connection()
        .execute_unprepared(
            "ALTER TABLE budget_areas ADD COLUMN budget_id bigint NULL REFERENCES budgets (id)",
        )
        .await?;
    let mut columns = vec![
        string_len("type", 32).default("DEFAULT").to_owned(),
        big_integer_null("price_list_id"),
    ];
    columns.extend(TOTALS.map(|total| exact_decimal(backend, total)));
    for column in columns {
        manager
            .alter_table(
                Table::alter()
                    .table("budget_areas")
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
    }
    // One budget's areas, and the company's (their own company_id since migration 9).
    for (name, columns) in [
        ("ix_budget_areas_budget_id", &["budget_id", "id"][..]),
        ("ix_budget_areas_company_id", &["company_id", "id"][..]),
    ] {
        manager
            .create_index(index(name, "budget_areas", columns))
            .await?;
    }

    // One budget per project that has areas, made when its first area was, holding them all.
    let db = manager.get_connection();
    let zero = if backend == DatabaseBackend::Sqlite {
        "'0'"
    } else {
        "0"
    };
    db.execute_unprepared(&format!(
        "INSERT INTO budgets (company_id, project_id, version, status, is_baseline, notes, \
         currency, is_currency_enabled, final_net_price, total_external_cost, total_cost, \
         total_price, total_days, price_list_id, created_at, updated_at) \
         SELECT p.company_id, p.id, 1, 'APPROVED', TRUE, NULL, 'EUR', FALSE, {zero}, {zero}, \
         {zero}, {zero}, {zero}, NULL, min(a.created_at), min(a.created_at) \
         FROM projects p JOIN budget_areas a ON a.project_id = p.id \
         GROUP BY p.id, p.company_id ORDER BY p.id"
    ))
    .await?;
    db.execute_unprepared(
        "UPDATE budget_areas SET budget_id = \
         (SELECT b.id FROM budgets b WHERE b.project_id = budget_areas.project_id)",
    )
    .await?;
    Ok(())
});
