//! Invoice contacts: the addresses a company sends invoices to, as the original API lists them.
//! Indexed for their lists: a company's contacts in id order, and by update time.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

migration!(|manager| {
    manager
        .create_table(
            Table::create()
                .table("invoice_contacts")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("company_id"))
                .col(string_len("email", 50))
                .col(string_len("alias", 50))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_invoice_contacts_company_id")
                        .from("invoice_contacts", "company_id")
                        .to("companies", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
    for (name, scope) in [
        ("ix_invoice_contacts_company_id", &["company_id"][..]),
        (
            "ix_invoice_contacts_company_updated_at",
            &["company_id", "updated_at"][..],
        ),
    ] {
        let mut index = Index::create();
        index.name(name).table("invoice_contacts").if_not_exists();
        for column in scope {
            index.col(*column);
        }
        manager.create_index(index.col("id").to_owned()).await?;
    }
    Ok(())
});
