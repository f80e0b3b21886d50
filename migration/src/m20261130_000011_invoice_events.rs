//! The invoice events (the audit trail and the webhooks' outbox), the webhook endpoints, and
//! the deliveries of events to them.
//!
//! An event keeps a typed copy of the invoice as the change left it (as it was, for a delete),
//! so it outlives the invoice and reads back through the same model. Creations are recorded by
//! a trigger on `invoices`, in the statement that inserts the invoice, whatever path inserted
//! it (the create's one-statement path included); every other change records its event in the
//! transaction that makes it.
//!
//! Event ids increase in the order in which their transactions can become visible. SQLite has
//! one writer, so its rowid order is commit order (`AUTOINCREMENT`: ids are never reused). On
//! PostgreSQL concurrent transactions commit in any order, so an id drawn from a sequence could
//! appear after a larger one was already read, and a reader following `after=<id>` would skip
//! it. There an id is the writing transaction's id times 2^20 plus its count of events so far
//! (`invoice_event_id()`; a transaction records at most 2^20 events, and ids stay below 2^53,
//! exact in every JSON reader, until transaction ids pass 2^33): every transaction still running
//! has an id at or above the oldest running one (`pg_snapshot_xmin`), so the events below
//! `xmin * 2^20` are final, and a reader that stops there never skips one.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// The id of the next event in this transaction (PostgreSQL).
const POSTGRES_EVENT_ID: &str = r#"
CREATE FUNCTION invoice_event_id() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n integer := coalesce(nullif(current_setting('invoices.events_in_transaction', true), ''), '0')::integer;
BEGIN
    IF n >= 1048576 THEN
        RAISE EXCEPTION 'more than 1048576 invoice events in one transaction';
    END IF;
    PERFORM set_config('invoices.events_in_transaction', (n + 1)::text, true);
    RETURN pg_current_xact_id()::text::bigint * 1048576 + n;
END
$$"#;

/// The event of a new invoice, with `NEW` the inserted row.
const RECORD_CREATION: &str = "\
INSERT INTO invoice_events (type, user_id, created_at, invoice_id, company_id, project_id, \
status, invoice_number, purchase_order, value, exchange_rate, issue_date, payment_date, notes, \
budget_area_uid, vat_rate_id, payment_term_id, created_by_user_id, invoice_created_at, \
invoice_updated_at, version, invoice_contact_id) \
VALUES ('invoice.created', NEW.created_by_user_id, NEW.created_at, NEW.id, NEW.company_id, \
NEW.project_id, NEW.status, NEW.invoice_number, NEW.purchase_order, NEW.value, \
NEW.exchange_rate, NEW.issue_date, NEW.payment_date, NEW.notes, NEW.budget_area_uid, \
NEW.vat_rate_id, NEW.payment_term_id, NEW.created_by_user_id, NEW.created_at, \
NEW.updated_at, NEW.version, NEW.invoice_contact_id)";

/// An exact decimal column, as the invoice's (`NUMERIC` on PostgreSQL, `TEXT` on SQLite).
fn exact_decimal(backend: DatabaseBackend, name: &'static str, p: u32, s: u32) -> ColumnDef {
    match backend {
        DatabaseBackend::Sqlite => text(name),
        _ => decimal_len(name, p, s),
    }
}

migration!(in_one_transaction, |manager| {
    let backend = manager.get_database_backend();
    let postgres = backend == DatabaseBackend::Postgres;
    let db = manager.get_connection();
    let id = if postgres {
        db.execute_unprepared(POSTGRES_EVENT_ID).await?;
        big_integer("id")
            .default(Expr::cust("invoice_event_id()"))
            .primary_key()
            .to_owned()
    } else {
        big_pk_auto("id")
    };
    manager
        .create_table(
            Table::create()
                .table("invoice_events")
                .col(id)
                .col(string_len("type", 32))
                // Who made the change, and when.
                .col(big_integer("user_id"))
                .col(timestamp_with_time_zone("created_at"))
                // The invoice, as the change left it. No foreign keys: events outlive
                // the invoice and what it referred to.
                .col(big_integer("invoice_id"))
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
                .col(timestamp_with_time_zone("invoice_created_at"))
                .col(timestamp_with_time_zone("invoice_updated_at"))
                .col(big_integer("version"))
                .col(big_integer_null("invoice_contact_id"))
                // An update's changed fields and their previous values (a JSON object).
                .col(text_null("previous"))
                .to_owned(),
        )
        .await?;
    for (name, columns) in [
        ("ix_invoice_events_company", &["company_id", "id"][..]),
        (
            "ix_invoice_events_invoice",
            &["company_id", "invoice_id", "id"][..],
        ),
    ] {
        let mut index = Index::create();
        index.name(name).table("invoice_events");
        for column in columns {
            index.col(*column);
        }
        manager.create_index(index.to_owned()).await?;
    }
    if postgres {
        db.execute_unprepared(&format!(
            "CREATE FUNCTION record_invoice_creation() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN {RECORD_CREATION}; RETURN NULL; END $$"
        ))
        .await?;
        db.execute_unprepared(
            "CREATE TRIGGER invoice_created AFTER INSERT ON invoices FOR EACH ROW \
                 EXECUTE FUNCTION record_invoice_creation()",
        )
        .await?;
    } else {
        db.execute_unprepared(&format!(
            "CREATE TRIGGER invoice_created AFTER INSERT ON invoices BEGIN \
                 {RECORD_CREATION}; END"
        ))
        .await?;
    }

    manager
        .create_table(
            Table::create()
                .table("webhook_endpoints")
                .col(big_pk_auto("id"))
                .col(big_integer("company_id"))
                .col(text("url"))
                // The signing secret (`whsec_…`): shown once, kept to sign.
                .col(string_len("secret", 64))
                // The event types sent, comma-separated; empty for all.
                .col(text("event_types"))
                .col(timestamp_with_time_zone("created_at"))
                // The events below this id are already queued for the endpoint.
                .col(big_integer("next_event_id"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_webhook_endpoints_company_id")
                        .from("webhook_endpoints", "company_id")
                        .to("companies", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table("webhook_deliveries")
                .col(big_pk_auto("id"))
                .col(big_integer("endpoint_id"))
                .col(big_integer("event_id"))
                // `pending`, `delivered` or `failed`.
                .col(string_len("status", 16))
                .col(integer("attempts"))
                .col(timestamp_with_time_zone("next_attempt_at"))
                // A node sending it holds it until then; a dead node's claim runs out.
                .col(timestamp_with_time_zone_null("claimed_until"))
                .col(timestamp_with_time_zone_null("last_attempt_at"))
                .col(integer_null("last_status"))
                .col(text_null("last_error"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_webhook_deliveries_endpoint_id")
                        .from("webhook_deliveries", "endpoint_id")
                        .to("webhook_endpoints", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("ux_webhook_deliveries")
                .table("webhook_deliveries")
                .col("endpoint_id")
                .col("event_id")
                .unique()
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("ix_webhook_deliveries_due")
                .table("webhook_deliveries")
                .col("status")
                .col("next_attempt_at")
                .to_owned(),
        )
        .await
});
