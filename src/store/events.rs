//! Invoice events: recording a change in its transaction, and reading them in id order.
//!
//! Creations are recorded by the database (a trigger on `invoices`); the other changes go
//! through `store::locked_invoice`, which records them here before it commits.

use crate::domain::event::{EventFilter, EventType};
use chrono::{DateTime, Utc};
use entity::{invoice, invoice_event};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};

/// Records a change of `invoice` (as it now is; as it was, for a delete).
pub async fn record(
    db: &impl ConnectionTrait,
    kind: EventType,
    actor: i64,
    at: DateTime<Utc>,
    invoice: &invoice::Model,
    previous: Option<String>,
) -> Result<(), DbErr> {
    // Nothing to read back: a plain insert, not one that returns the row (every change of an
    // invoice runs this inside the lock it holds).
    invoice_event::Entity::insert(invoice_event::record(
        kind.as_str(),
        actor,
        at,
        invoice,
        previous,
    ))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Event ids a PostgreSQL transaction can draw: an event's id there is its transaction's id
/// (plus the database's offset, 0 unless a copy raised it: migration 14) times this, plus its
/// rank in the transaction (the migrations' `invoice_event_id()`).
pub const IDS_PER_TRANSACTION: i64 = 1 << 20;

/// The offset of a PostgreSQL database's event ids, in transactions (migration 14).
pub const OFFSET: &str = "coalesce((SELECT transactions FROM invoice_event_id_offset), 0)";

/// The first event id that may still appear: every event below it is committed or never will
/// be. `None` on SQLite, whose one writer commits in id order. On PostgreSQL no transaction
/// older than the oldest one still running (in any database of the cluster) can commit later
/// (the ids of both are raised by the same offset).
pub async fn horizon(db: &impl ConnectionTrait) -> Result<Option<i64>, DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(None);
    }
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            format!(
                "SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::bigint + {OFFSET}) * $1"
            ),
            [IDS_PER_TRANSACTION.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("the event horizon query returned no row".into()))?;
    Ok(Some(row.try_get_by_index(0)?))
}

/// A page of the company's events in id order, none beyond the [`horizon`]; only those of
/// invoices of projects this user is PM or Account of, when `only_projects_of` names one.
pub async fn list(
    db: &impl ConnectionTrait,
    company_id: i64,
    query: &EventFilter,
    only_projects_of: Option<i64>,
) -> Result<Vec<invoice_event::Model>, DbErr> {
    use invoice_event::Column;
    let mut condition = Condition::all()
        .add(Column::CompanyId.eq(company_id))
        .add(Column::Id.gt(query.after));
    if let Some(below) = horizon(db).await? {
        condition = condition.add(Column::Id.lt(below));
    }
    if let Some(invoice_id) = query.invoice_id {
        condition = condition.add(Column::InvoiceId.eq(invoice_id));
    }
    if !query.types.is_empty() {
        condition = condition.add(Column::Type.is_in(query.types.iter().map(|t| t.as_str())));
    }
    if let Some(user_id) = only_projects_of {
        let own = super::invoices::projects_led_by(company_id, user_id);
        condition = condition.add(Column::ProjectId.in_subquery(own));
    }
    invoice_event::Entity::find()
        .filter(condition)
        .order_by_asc(Column::Id)
        .limit(query.limit)
        .all(db)
        .await
}
