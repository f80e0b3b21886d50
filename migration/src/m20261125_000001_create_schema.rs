//! The whole data model behind `POST /api/invoices`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// An exact decimal column: `NUMERIC(precision, scale)` on PostgreSQL; `TEXT` on SQLite, whose
/// numeric affinity would turn the value into a float.
fn exact_decimal(
    backend: DatabaseBackend,
    name: &'static str,
    precision: u32,
    scale: u32,
) -> ColumnDef {
    match backend {
        DatabaseBackend::Sqlite => text(name),
        _ => decimal_len(name, precision, scale),
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

migration!(|manager| {
    let backend = manager.get_database_backend();

    manager
        .create_table(
            Table::create()
                .table("companies")
                .col(big_pk_auto("id"))
                .col(string_len_uniq("slug", 100))
                .col(string_len("name", 255))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table("users")
                .col(big_pk_auto("id"))
                .col(string_len_uniq("email", 320))
                .col(string_len("name", 255))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table("memberships")
                .col(big_pk_auto("id"))
                .col(big_integer("company_id"))
                .col(big_integer("user_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("memberships", "company_id", "companies"))
                .foreign_key(&mut fk("memberships", "user_id", "users"))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("ux_memberships_user_company")
                .table("memberships")
                .col("user_id")
                .col("company_id")
                .unique()
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table("membership_permissions")
                .col(big_pk_auto("id"))
                .col(big_integer("membership_id"))
                .col(string_len("permission", 100))
                .foreign_key(&mut fk(
                    "membership_permissions",
                    "membership_id",
                    "memberships",
                ))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("ux_membership_permissions")
                .table("membership_permissions")
                .col("membership_id")
                .col("permission")
                .unique()
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table("api_tokens")
                .col(big_pk_auto("id"))
                .col(big_integer("user_id"))
                .col(string_len("name", 255))
                .col(string_len_uniq("token_hash", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("last_used_at"))
                .col(timestamp_with_time_zone_null("expires_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(&mut fk("api_tokens", "user_id", "users"))
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table("projects")
                .col(big_pk_auto("id"))
                .col(big_integer("company_id"))
                .col(string_len("name", 255))
                .col(string_len_null("job_order", 255))
                .col(big_integer("pm_user_id"))
                .col(big_integer("account_user_id"))
                .col(boolean("archived"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("projects", "company_id", "companies"))
                .foreign_key(&mut fk("projects", "pm_user_id", "users"))
                .foreign_key(&mut fk("projects", "account_user_id", "users"))
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table("budget_areas")
                .col(big_pk_auto("id"))
                .col(big_integer("project_id"))
                .col(string_len_uniq("uid", 255))
                .col(string_len("name", 255))
                .col(boolean("enabled"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("budget_areas", "project_id", "projects"))
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table("vat_rates")
                .col(big_pk_auto("id"))
                .col(big_integer("company_id"))
                .col(string_len("name", 255))
                .col(exact_decimal(backend, "rate", 7, 4))
                .col(boolean("archived"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("vat_rates", "company_id", "companies"))
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table("payment_terms")
                .col(big_pk_auto("id"))
                .col(big_integer("company_id"))
                .col(string_len("name", 255))
                .col(integer("days"))
                .col(boolean("archived"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("payment_terms", "company_id", "companies"))
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table("invoices")
                .col(big_pk_auto("id"))
                .col(big_integer("company_id"))
                .col(big_integer("project_id"))
                .col(string_len("status", 16))
                .col(string_len_null("invoice_number", 255))
                .col(string_len_null("purchase_order", 255))
                .col(exact_decimal(backend, "value", 14, 2))
                .col(exact_decimal(backend, "exchange_rate", 18, 6).null())
                .col(date("issue_date"))
                .col(date_null("payment_date"))
                .col(text_null("notes"))
                .col(string_len_null("budget_area_uid", 255))
                .col(big_integer_null("vat_rate_id"))
                .col(big_integer_null("payment_term_id"))
                .col(big_integer("created_by_user_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("invoices", "company_id", "companies"))
                .foreign_key(&mut fk("invoices", "project_id", "projects"))
                .foreign_key(&mut fk("invoices", "vat_rate_id", "vat_rates"))
                .foreign_key(&mut fk("invoices", "payment_term_id", "payment_terms"))
                .foreign_key(&mut fk("invoices", "created_by_user_id", "users"))
                .to_owned(),
        )
        .await?;
    // Invoice numbers are unique within a company; NULLs (no number) never collide.
    manager
        .create_index(
            Index::create()
                .name("ux_invoices_company_invoice_number")
                .table("invoices")
                .col("company_id")
                .col("invoice_number")
                .unique()
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("ix_invoices_project")
                .table("invoices")
                .col("project_id")
                .to_owned(),
        )
        .await?;
    Ok(())
});
