//! Indexes for "this company's rows, in id order", the shape of every list: a page is then an
//! index walk from the company's first row, not a sort of all the company's rows. The index of
//! invoices by company and project replaces the one on `project_id` alone (every lookup of
//! invoices by project is within a company), so a create maintains one index more, not two
//! (BENCHMARKS.md measures what each costs).

use sea_orm_migration::prelude::*;

/// Each index: name, table, the columns that scope the list; `id` follows them.
const INDEXES: [(&str, &str, &[&str]); 6] = [
    ("ix_invoices_company_id", "invoices", &["company_id"]),
    (
        "ix_invoices_company_project_id",
        "invoices",
        &["company_id", "project_id"],
    ),
    ("ix_projects_company_id", "projects", &["company_id"]),
    (
        "ix_budget_areas_project_id",
        "budget_areas",
        &["project_id"],
    ),
    ("ix_vat_rates_company_id", "vat_rates", &["company_id"]),
    (
        "ix_payment_terms_company_id",
        "payment_terms",
        &["company_id"],
    ),
];

migration!(|manager| {
    // Replaced by `ix_invoices_company_project_id`, which also keeps them in id order.
    manager
        .drop_index(
            Index::drop()
                .name("ix_invoices_project")
                .table("invoices")
                .if_exists()
                .to_owned(),
        )
        .await?;
    for (name, table, scope) in INDEXES {
        let mut index = Index::create();
        index.name(name).table(table).if_not_exists();
        for column in scope {
            index.col(*column);
        }
        manager.create_index(index.col("id").to_owned()).await?;
    }
    Ok(())
});
