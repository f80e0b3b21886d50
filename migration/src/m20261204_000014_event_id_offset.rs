//! PostgreSQL: an offset added to the transaction id an event's id is made of
//! (`invoice_event_id()`, migration 11), and so to the horizon below which events are final.
//!
//! It is 0 until `invoices-api copy` fills a database on a cluster whose transaction counter is
//! behind the source's (a new cluster, usually): the copied events keep their ids, and the
//! copy sets the offset so that the target's new events get ids above every copied one, and a
//! client following `GET /api/events?after=` misses none.
//!
//! Expand: a new one-row table, read by the function. With the offset 0, which is what every
//! database has unless this release's copy made it, ids are exactly what they were, so the
//! release before keeps working on the schema (its horizon leaves the offset out, so on a
//! database whose offset a copy raised it would list no new events: run this release there).
//! SQLite needs nothing: its event ids continue after the highest.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// `invoice_event_id()` as migration 11 made it, plus the offset.
const POSTGRES_EVENT_ID: &str = r#"
CREATE OR REPLACE FUNCTION invoice_event_id() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n integer := coalesce(nullif(current_setting('invoices.events_in_transaction', true), ''), '0')::integer;
BEGIN
    IF n >= 1048576 THEN
        RAISE EXCEPTION 'more than 1048576 invoice events in one transaction';
    END IF;
    PERFORM set_config('invoices.events_in_transaction', (n + 1)::text, true);
    RETURN (pg_current_xact_id()::text::bigint
        + coalesce((SELECT transactions FROM invoice_event_id_offset), 0)) * 1048576 + n;
END
$$"#;

migration!(in_one_transaction, |manager| {
    if manager.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    // How many transactions the event ids are ahead of this cluster's transaction ids.
    db.execute_unprepared("CREATE TABLE invoice_event_id_offset (transactions bigint NOT NULL)")
        .await?;
    db.execute_unprepared("INSERT INTO invoice_event_id_offset (transactions) VALUES (0)")
        .await?;
    db.execute_unprepared(POSTGRES_EVENT_ID).await?;
    Ok(())
});
