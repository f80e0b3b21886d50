//! Indexes for the list filters on dates: "this company's invoices in this range of issue
//! dates, payment dates or update times". A range filter then reads the invoices it matches,
//! found through the index, rather than every invoice of the company; the `id` that ends each
//! index keeps equal values in id order, the order of every list.
//!
//! Each index is one more B-tree every create writes (on SQLite, a page more in the WAL per
//! commit; BENCHMARKS.md measures what they cost). The payment date index holds only paid
//! invoices (`payment_date IS NOT NULL`), so creating a draft does not touch it, and every
//! payment date filter (a comparison, which no NULL passes) can use it.

use sea_orm_migration::prelude::*;

/// Each index: name, the filtered column, and whether it leaves out rows where that column is
/// NULL; all are on `invoices (company_id, column, id)`.
const INDEXES: [(&str, &str, bool); 3] = [
    ("ix_invoices_company_issue_date", "issue_date", false),
    ("ix_invoices_company_payment_date", "payment_date", true),
    ("ix_invoices_company_updated_at", "updated_at", false),
];

migration!(|manager| {
    for (name, column, without_nulls) in INDEXES {
        let mut index = Index::create();
        index
            .name(name)
            .table("invoices")
            .if_not_exists()
            .col("company_id")
            .col(column)
            .col("id");
        if without_nulls {
            index.and_where(Expr::col(Alias::new(column)).is_not_null());
        }
        manager.create_index(index.to_owned()).await?;
    }
    Ok(())
});
