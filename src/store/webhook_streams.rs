//! An endpoint's new events, streamed by one node without a row per delivery.
//!
//! A node holds an endpoint (`streamed_by`, until `streamed_until`) to send its new events
//! itself: it takes the hold with [`hold_behind`], reads the events after its position with
//! [`new_events`], and, as it records outcomes ([`move_cursors`], inside the recording
//! transaction), moves the endpoint's cursor (`next_event_id`) up to the first event whose
//! outcome is not recorded yet and renews the hold. No other node sends the endpoint's new
//! events while the hold lasts. A node that dies leaves the cursor before every event it sent
//! without recording: the next holder (after the hold ran out) sends them again, with the same
//! `webhook-id` (at least once). A success leaves no row (the endpoint counts it); a failure
//! becomes a delivery row, retried on the schedule like any other.

use super::database::WriteTurns;
use super::events::horizon;
use chrono::{DateTime, Utc};
use entity::{invoice_event, webhook_endpoint};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use std::collections::{BTreeMap, BTreeSet};

/// The endpoints a node holds after [`hold_behind`], and the event horizon it read them at.
pub struct Held {
    /// Every event below this id is committed or never will be (`None`: every event is).
    pub below: Option<i64>,
    pub endpoints: Vec<webhook_endpoint::Model>,
}

/// Takes (or renews) the hold on every enabled endpoint with visible events past its cursor
/// that no other node holds, for the node `me` until `until`; returns those it holds. One read
/// when no endpoint is behind; else one write, made in its turn (`turns`).
pub async fn hold_behind(
    db: &DatabaseConnection,
    turns: &WriteTurns,
    me: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Held, DbErr> {
    use webhook_endpoint::Column;
    let below = horizon(db).await?;
    let behind = endpoints_behind(db, me, below, now).await?;
    if behind.is_empty() {
        return Ok(Held {
            below,
            endpoints: Vec::new(),
        });
    }
    let _turn = turns.take().await;
    let endpoints = webhook_endpoint::Entity::update_many()
        .col_expr(Column::StreamedBy, Expr::val(me))
        .col_expr(Column::StreamedUntil, Expr::val(until))
        .filter(Column::Id.is_in(behind))
        .filter(Column::DisabledAt.is_null())
        .filter(free_for(me, now))
        .exec_with_returning(db)
        .await?;
    Ok(Held { below, endpoints })
}

/// The enabled endpoints with visible events at or past their cursor that `me` may hold
/// ([`free_for`]). A scalar subquery per endpoint, which both databases answer from the end of
/// the (company, id) index however many events there are (an EXISTS here was planned by
/// PostgreSQL as a hash join over every event).
async fn endpoints_behind(
    db: &impl ConnectionTrait,
    me: &str,
    below: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, DbErr> {
    let mut newest = Query::select();
    newest
        .expr(Expr::col((invoice_event::Entity, invoice_event::Column::Id)).max())
        .from(invoice_event::Entity)
        .and_where(
            Expr::col((invoice_event::Entity, invoice_event::Column::CompanyId)).equals((
                webhook_endpoint::Entity,
                webhook_endpoint::Column::CompanyId,
            )),
        );
    if let Some(below) = below {
        newest.and_where(Expr::col((invoice_event::Entity, invoice_event::Column::Id)).lt(below));
    }
    webhook_endpoint::Entity::find()
        .select_only()
        .column(webhook_endpoint::Column::Id)
        .filter(
            Expr::col((
                webhook_endpoint::Entity,
                webhook_endpoint::Column::NextEventId,
            ))
            .lte(newest),
        )
        .filter(webhook_endpoint::Column::DisabledAt.is_null())
        .filter(free_for(me, now))
        .into_tuple::<i64>()
        .all(db)
        .await
}

/// The endpoints `me` may hold at `now`: those no node holds, and those it holds itself.
fn free_for(me: &str, now: DateTime<Utc>) -> Condition {
    use webhook_endpoint::Column::{StreamedBy, StreamedUntil};
    Condition::any()
        .add(StreamedUntil.is_null())
        .add(StreamedUntil.lt(now))
        .add(StreamedBy.eq(me))
}

/// The endpoint's company's events from the id `from` on, below `below` when given, in id
/// order, `limit` at most, of every type (the caller keeps those the endpoint takes, and moves
/// past the others too).
pub async fn new_events(
    db: &impl ConnectionTrait,
    endpoint: &webhook_endpoint::Model,
    from: i64,
    below: Option<i64>,
    limit: u64,
) -> Result<Vec<invoice_event::Model>, DbErr> {
    invoice_event::Entity::find()
        .filter(events_from(endpoint.company_id, from, below))
        .order_by_asc(invoice_event::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// The company's events from the id `from` on, and below `below` when given.
pub(super) fn events_from(company_id: i64, from: i64, below: Option<i64>) -> Condition {
    let mut page = Condition::all()
        .add(invoice_event::Column::CompanyId.eq(company_id))
        .add(invoice_event::Column::Id.gte(from));
    if let Some(below) = below {
        page = page.add(invoice_event::Column::Id.lt(below));
    }
    page
}

/// The event types the endpoint takes; none listed: it takes every type.
fn event_types(endpoint: &webhook_endpoint::Model) -> impl Iterator<Item = &str> {
    endpoint.event_types.split(',').filter(|t| !t.is_empty())
}

/// Whether the endpoint takes events of this type (asked for every event a stream reads: no
/// allocation).
pub fn takes(endpoint: &webhook_endpoint::Model, event_type: &str) -> bool {
    let mut types = event_types(endpoint).peekable();
    types.peek().is_none() || types.any(|t| t == event_type)
}

/// Where a node's streams stand as it records: for each endpoint it streams, the first event
/// whose outcome is not recorded by the end of this transaction (or the next it would read).
pub struct Cursors<'a> {
    pub me: &'a str,
    /// The hold's new end.
    pub until: DateTime<Utc>,
    pub at: BTreeMap<i64, i64>,
}

/// Moves each endpoint's cursor forward to where `cursors` says (never back), and renews the
/// hold, for the endpoints `me` still holds; returns those. In the caller's transaction, with
/// the outcomes the cursors pass.
pub async fn move_cursors(
    txn: &impl ConnectionTrait,
    cursors: &Cursors<'_>,
) -> Result<BTreeSet<i64>, DbErr> {
    use webhook_endpoint::Column;
    let mut renewed = BTreeSet::new();
    for (&endpoint_id, &cursor) in &cursors.at {
        let moved = webhook_endpoint::Entity::update_many()
            .col_expr(
                Column::NextEventId,
                Expr::case(Expr::col(Column::NextEventId).lt(cursor), cursor)
                    .finally(Expr::col(Column::NextEventId))
                    .into(),
            )
            .col_expr(Column::StreamedUntil, Expr::val(cursors.until))
            .filter(Column::Id.eq(endpoint_id))
            .filter(Column::StreamedBy.eq(cursors.me))
            .exec(txn)
            .await?;
        if moved.rows_affected > 0 {
            renewed.insert(endpoint_id);
        }
    }
    Ok(renewed)
}

/// Ends every hold of the node `me` (it stops): other nodes take its endpoints at once, from
/// their cursors.
pub async fn release(db: &impl ConnectionTrait, me: &str) -> Result<(), DbErr> {
    use webhook_endpoint::Column;
    webhook_endpoint::Entity::update_many()
        .col_expr(Column::StreamedBy, Expr::val(None::<String>))
        .col_expr(Column::StreamedUntil, Expr::val(None::<DateTime<Utc>>))
        .filter(Column::StreamedBy.eq(me))
        .exec(db)
        .await?;
    Ok(())
}

/// How many of the endpoint's company's events at or past its cursor it takes: those not
/// delivered yet that have no delivery row.
pub async fn not_yet_sent(
    db: &impl ConnectionTrait,
    endpoint: &webhook_endpoint::Model,
) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    let mut ahead = events_from(endpoint.company_id, endpoint.next_event_id, None);
    let types: Vec<&str> = event_types(endpoint).collect();
    if !types.is_empty() {
        ahead = ahead.add(invoice_event::Column::Type.is_in(types));
    }
    invoice_event::Entity::find().filter(ahead).count(db).await
}
