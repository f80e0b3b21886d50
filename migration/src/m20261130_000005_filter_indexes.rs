//! Indexes for the list filters on dates: "this company's invoices in this range of issue
//! dates, payment dates or update times". A range filter then reads the invoices it matches,
//! found through the index, rather than every invoice of the company; the `id` that ends each
//! index keeps equal values in id order, the order of every list.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each index: name and the filtered column; all are on `invoices (company_id, column, id)`.
const INDEXES: [(&str, &str); 3] = [
    ("ix_invoices_company_issue_date", "issue_date"),
    ("ix_invoices_company_payment_date", "payment_date"),
    ("ix_invoices_company_updated_at", "updated_at"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, column) in INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("invoices")
                        .if_not_exists()
                        .col("company_id")
                        .col(column)
                        .col("id")
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
