//! Webhook endpoints and the queue of deliveries to them.
//!
//! An endpoint's new events are sent without a row each by the node that holds it
//! (`store::webhook_streams`): the events at or past its cursor (`next_event_id`) are the ones
//! it has not had yet. A delivery row is written for an event that needs another attempt (its
//! first failed), and by a replay. A node sends a row's delivery only once it has claimed it
//! with [`claim`], valid until `claimed_until`, a conditional update that one node wins; a node
//! that dies mid-delivery leaves a claim that runs out, and another node (or the restarted one)
//! takes the delivery over. A delivery is at least once: a node that sent it and died before
//! [`record_attempts`] leaves it to be sent again, with the same `webhook-id`.

use super::admin::{AdminError, company_by_slug};
use super::events::horizon;
use super::webhook_streams::{Cursors, events_from, move_cursors, not_yet_sent, takes};
use crate::domain::event::EventType;
use chrono::{DateTime, Utc};
use entity::{invoice_event, webhook_delivery, webhook_endpoint};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A delivery waiting for its next attempt.
pub const PENDING: &str = "pending";
/// Answered with a 2xx.
pub const DELIVERED: &str = "delivered";
/// Every attempt of the schedule failed.
pub const FAILED: &str = "failed";

/// Events queued for one endpoint in one step at most.
const QUEUE_BATCH: u64 = 500;

/// Registers an endpoint of the company; it receives the events of changes that commit from
/// now on. Returns its id.
pub async fn add_endpoint(
    db: &DatabaseConnection,
    company_slug: &str,
    url: &str,
    secret: &str,
    types: &[EventType],
) -> Result<i64, AdminError> {
    let txn = super::begin_write(db).await?;
    let company = company_by_slug(&txn, company_slug).await?;
    let next_event_id = first_unseen_event(&txn).await?;
    let types: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
    let row = webhook_endpoint::ActiveModel {
        id: NotSet,
        company_id: Set(company.id),
        url: Set(url.to_owned()),
        secret: Set(secret.to_owned()),
        event_types: Set(types.join(",")),
        created_at: Set(Utc::now()),
        next_event_id: Set(next_event_id),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(row.id)
}

/// The lowest id an event not yet visible can have.
async fn first_unseen_event(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    if let Some(below) = horizon(db).await? {
        return Ok(below);
    }
    let last = invoice_event::Entity::find()
        .select_only()
        .column_as(invoice_event::Column::Id.max(), "id")
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten();
    Ok(last.map_or(0, |id| id + 1))
}

/// An endpoint, how many of its deliveries are in each status, and how many of its events
/// have not been sent yet (past its cursor: they have no row).
pub struct EndpointSummary {
    pub endpoint: webhook_endpoint::Model,
    pub counts: Vec<(String, i64)>,
    pub not_yet_sent: u64,
}

/// The company's endpoints, each summarized (counted in the database, however many
/// deliveries it has).
pub async fn endpoints_of(
    db: &impl ConnectionTrait,
    company_slug: &str,
) -> Result<Vec<EndpointSummary>, AdminError> {
    use webhook_delivery::Column;
    let company = company_by_slug(db, company_slug).await?;
    let endpoints = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::CompanyId.eq(company.id))
        .order_by_asc(webhook_endpoint::Column::Id)
        .all(db)
        .await?;
    let mut listed = Vec::with_capacity(endpoints.len());
    for endpoint in endpoints {
        let counts = webhook_delivery::Entity::find()
            .select_only()
            .column(Column::Status)
            .column_as(Column::Id.count(), "n")
            .filter(Column::EndpointId.eq(endpoint.id))
            .group_by(Column::Status)
            .into_tuple::<(String, i64)>()
            .all(db)
            .await?;
        let not_yet_sent = not_yet_sent(db, &endpoint).await?;
        listed.push(EndpointSummary {
            endpoint,
            counts,
            not_yet_sent,
        });
    }
    Ok(listed)
}

/// Removes the company's endpoint with this id, and what it was owed.
pub async fn remove_endpoint(
    db: &DatabaseConnection,
    company_slug: &str,
    id: i64,
) -> Result<(), AdminError> {
    let txn = super::begin_write(db).await?;
    let endpoint = endpoint_of(&txn, company_slug, id).await?;
    webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint.id))
        .exec(&txn)
        .await?;
    webhook_endpoint::Entity::delete_by_id(endpoint.id)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// The next `QUEUE_BATCH` events of the company from the id `from` on, below `below` when
/// given, in id order: (id, type).
async fn event_page(
    db: &impl ConnectionTrait,
    company_id: i64,
    from: i64,
    below: Option<i64>,
) -> Result<Vec<(i64, String)>, DbErr> {
    invoice_event::Entity::find()
        .select_only()
        .column(invoice_event::Column::Id)
        .column(invoice_event::Column::Type)
        .filter(events_from(company_id, from, below))
        .order_by_asc(invoice_event::Column::Id)
        .limit(QUEUE_BATCH)
        .into_tuple()
        .all(db)
        .await
}

/// A new delivery of each of these events (id, type) the endpoint takes, due at `now`.
fn owed(
    endpoint: &webhook_endpoint::Model,
    events: &[(i64, String)],
    now: DateTime<Utc>,
) -> Vec<webhook_delivery::ActiveModel> {
    events
        .iter()
        .filter(|(_, kind)| takes(endpoint, kind))
        .map(|(event_id, _)| webhook_delivery::ActiveModel {
            id: NotSet,
            endpoint_id: Set(endpoint.id),
            event_id: Set(*event_id),
            status: Set(PENDING.to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            claimed_until: Set(None),
            last_attempt_at: Set(None),
            last_status: Set(None),
            last_error: Set(None),
        })
        .collect()
}

/// The company's endpoint with this id.
async fn endpoint_of(
    db: &impl ConnectionTrait,
    company_slug: &str,
    id: i64,
) -> Result<webhook_endpoint::Model, AdminError> {
    let company = company_by_slug(db, company_slug).await?;
    webhook_endpoint::Entity::find_by_id(id)
        .filter(webhook_endpoint::Column::CompanyId.eq(company.id))
        .one(db)
        .await?
        .ok_or_else(|| {
            AdminError::NotFound(format!(
                "no webhook endpoint {id} in company {company_slug:?}"
            ))
        })
}

/// Queues again, for the company's endpoint `id`, every event of the company of its types after
/// the event `since`, up to the events it is queued anyway, as fresh deliveries: pending, due
/// now, no attempt made (a delivery already there, sent or not, starts over), sent with their
/// original `webhook-id`s. A receiver that lost data asks for this; a cursor older than the
/// endpoint also sends the events of before it was added. Written `QUEUE_BATCH` events per
/// transaction, so a long history never holds the writer for long; returns how many
/// deliveries were queued.
pub async fn replay(
    db: &DatabaseConnection,
    company_slug: &str,
    id: i64,
    since: i64,
) -> Result<usize, AdminError> {
    use sea_orm::sea_query::OnConflict;
    use webhook_delivery::Column;
    let endpoint = endpoint_of(db, company_slug, id).await?;
    let mut after = since;
    let mut queued = 0;
    loop {
        let events = event_page(
            db,
            endpoint.company_id,
            after.saturating_add(1),
            Some(endpoint.next_event_id),
        )
        .await?;
        let Some(&(last, _)) = events.last() else {
            return Ok(queued);
        };
        after = last;
        let deliveries = owed(&endpoint, &events, Utc::now());
        if deliveries.is_empty() {
            continue;
        }
        queued += deliveries.len();
        let txn = super::begin_write(db).await?;
        webhook_delivery::Entity::insert_many(deliveries)
            .on_conflict(
                OnConflict::columns([Column::EndpointId, Column::EventId])
                    .update_columns([
                        Column::Status,
                        Column::Attempts,
                        Column::NextAttemptAt,
                        Column::ClaimedUntil,
                        Column::LastAttemptAt,
                        Column::LastStatus,
                        Column::LastError,
                    ])
                    .to_owned(),
            )
            .exec(&txn)
            .await?;
        txn.commit().await?;
    }
}

/// Pauses the company's endpoint `id` (`disabled`) or resumes it. A disabled endpoint's events
/// wait past its cursor (no node holds it), and none is sent; enabled again, it gets its
/// backlog (retries keep their schedule). Events a node had already read or claimed may still
/// go out.
pub async fn set_disabled(
    db: &DatabaseConnection,
    company_slug: &str,
    id: i64,
    disabled: bool,
) -> Result<(), AdminError> {
    let endpoint = endpoint_of(db, company_slug, id).await?;
    webhook_endpoint::Entity::update_many()
        .col_expr(
            webhook_endpoint::Column::DisabledAt,
            Expr::val(disabled.then(Utc::now)),
        )
        .filter(webhook_endpoint::Column::Id.eq(endpoint.id))
        .exec(db)
        .await?;
    Ok(())
}

/// How many deliveries are not settled yet (for the metrics): pending rows, and the events
/// past each endpoint's cursor that it takes.
pub async fn pending_count(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    let mut pending = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::Status.eq(PENDING))
        .count(db)
        .await?;
    for endpoint in webhook_endpoint::Entity::find().all(db).await? {
        pending += not_yet_sent(db, &endpoint).await?;
    }
    Ok(pending)
}

/// Deliveries due now and not claimed, oldest due first, except those of the endpoints in
/// `busy` (those this node already sends to at its limit) and of disabled endpoints: what a
/// node may claim. Leaving the busy endpoints out keeps one endpoint's backlog (a receiver that
/// is down) from filling every batch and starving the others.
pub async fn due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    busy: &[i64],
    limit: u64,
) -> Result<Vec<webhook_delivery::Model>, DbErr> {
    let disabled = sea_orm::sea_query::Query::select()
        .column(webhook_endpoint::Column::Id)
        .from(webhook_endpoint::Entity)
        .and_where(webhook_endpoint::Column::DisabledAt.is_not_null())
        .to_owned();
    webhook_delivery::Entity::find()
        .filter(unclaimed_due(now))
        .filter(webhook_delivery::Column::EndpointId.is_not_in(busy.iter().copied()))
        .filter(webhook_delivery::Column::EndpointId.not_in_subquery(disabled))
        .order_by_asc(webhook_delivery::Column::NextAttemptAt)
        .limit(limit)
        .all(db)
        .await
}

fn unclaimed_due(now: DateTime<Utc>) -> Condition {
    use webhook_delivery::Column;
    Condition::all()
        .add(Column::Status.eq(PENDING))
        .add(Column::NextAttemptAt.lte(now))
        .add(
            Condition::any()
                .add(Column::ClaimedUntil.is_null())
                .add(Column::ClaimedUntil.lt(now)),
        )
}

/// Claims these deliveries until `until` if they are still due and unclaimed; returns the ones
/// this call won (a concurrent claim of the same row by another node waits for this one, then
/// finds it claimed).
pub async fn claim(
    db: &impl ConnectionTrait,
    ids: &[i64],
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<webhook_delivery::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::ClaimedUntil, Expr::val(until))
        .filter(webhook_delivery::Column::Id.is_in(ids.iter().copied()))
        .filter(unclaimed_due(now))
        .exec_with_returning(db)
        .await
}

/// The events and the endpoints these deliveries send, by id, read in one query each.
pub async fn delivery_parts(
    db: &impl ConnectionTrait,
    deliveries: &[webhook_delivery::Model],
) -> Result<
    (
        HashMap<i64, invoice_event::Model>,
        HashMap<i64, webhook_endpoint::Model>,
    ),
    DbErr,
> {
    let event_ids: BTreeSet<i64> = deliveries.iter().map(|d| d.event_id).collect();
    let endpoint_ids: BTreeSet<i64> = deliveries.iter().map(|d| d.endpoint_id).collect();
    let events = invoice_event::Entity::find()
        .filter(invoice_event::Column::Id.is_in(event_ids))
        .all(db)
        .await?;
    let endpoints = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Id.is_in(endpoint_ids))
        .all(db)
        .await?;
    Ok((
        events.into_iter().map(|e| (e.id, e)).collect(),
        endpoints.into_iter().map(|e| (e.id, e)).collect(),
    ))
}

/// How an attempt went.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    /// The answer's status, when there was one.
    pub status: Option<u16>,
    /// Why it failed; `None` for a delivery.
    pub error: Option<String>,
    /// When to try again; `None` when it succeeded or no retry is left.
    pub retry_at: Option<DateTime<Utc>>,
}

/// How an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Answered with a 2xx.
    Delivered,
    /// Failed, and retried later.
    Retry,
    /// Failed, and no retry is left.
    Failed,
}

impl Outcome {
    /// The status the attempt leaves the delivery in.
    pub fn status(self) -> &'static str {
        match self {
            Outcome::Delivered => DELIVERED,
            Outcome::Retry => PENDING,
            Outcome::Failed => FAILED,
        }
    }
}

impl Attempt {
    pub fn outcome(&self) -> Outcome {
        match (&self.error, self.retry_at) {
            (None, _) => Outcome::Delivered,
            (Some(_), Some(_)) => Outcome::Retry,
            (Some(_), None) => Outcome::Failed,
        }
    }

    /// What this attempt leaves in its delivery row, unclaimed (every column but the row's
    /// identity and its count of attempts).
    fn left_in_row(&self) -> webhook_delivery::ActiveModel {
        webhook_delivery::ActiveModel {
            status: Set(self.outcome().status().to_owned()),
            next_attempt_at: Set(self.retry_at.unwrap_or(self.at)),
            claimed_until: Set(None),
            last_attempt_at: Set(Some(self.at)),
            last_status: Set(self.status.map(i32::from)),
            last_error: Set(self.error.clone()),
            ..Default::default()
        }
    }
}

/// An attempt to record: of a claimed delivery row, or of a streamed event (no row yet).
#[derive(Clone, Debug)]
pub struct Made {
    /// `None` for a streamed event.
    pub delivery_id: Option<i64>,
    pub endpoint_id: i64,
    pub event_id: i64,
    pub attempt: Attempt,
}

/// Records these attempts, releases their claims and moves the streams' cursors
/// ([`move_cursors`]), in one transaction: on SQLite one turn of the one writer however many
/// there are; returns the endpoints whose hold was renewed. The rows that succeeded are
/// recorded with one statement per answer status (dated at the latest of them: they were made
/// within one batch), each failed one by its own (its retry time is its own); a streamed event
/// that failed becomes a row (one statement for all, for the endpoints that still exist), one
/// that succeeded leaves none. Each endpoint keeps its latest success and latest failure, and
/// counts its deliveries.
pub async fn record_attempts(
    db: &DatabaseConnection,
    made: &[Made],
    cursors: &Cursors<'_>,
) -> Result<BTreeSet<i64>, DbErr> {
    use webhook_delivery::Column;
    if made.is_empty() && cursors.at.is_empty() {
        return Ok(BTreeSet::new());
    }
    let txn = super::begin_write(db).await?;
    insert_streamed_failures(&txn, made).await?;
    let mut delivered: BTreeMap<Option<u16>, (DateTime<Utc>, Vec<i64>)> = BTreeMap::new();
    let mut latest: BTreeMap<(i64, bool), &Made> = BTreeMap::new();
    let mut delivered_to: BTreeMap<i64, i64> = BTreeMap::new();
    for one in made {
        let attempt = &one.attempt;
        let failed = attempt.error.is_some();
        if !failed {
            *delivered_to.entry(one.endpoint_id).or_default() += 1;
        }
        latest
            .entry((one.endpoint_id, failed))
            .and_modify(|kept| {
                if kept.attempt.at <= attempt.at {
                    *kept = one;
                }
            })
            .or_insert(one);
        let Some(delivery_id) = one.delivery_id else {
            continue;
        };
        if !failed {
            let group = delivered
                .entry(attempt.status)
                .or_insert((attempt.at, Vec::new()));
            group.0 = Ord::max(group.0, attempt.at);
            group.1.push(delivery_id);
            continue;
        }
        webhook_delivery::Entity::update_many()
            .set(attempt.left_in_row())
            .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
            .filter(Column::Id.eq(delivery_id))
            .exec(&txn)
            .await?;
    }
    for (status, (at, ids)) in delivered {
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            webhook_delivery::Entity::update_many()
                .col_expr(Column::Status, Expr::val(DELIVERED))
                .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
                .col_expr(Column::NextAttemptAt, Expr::val(at))
                .col_expr(Column::ClaimedUntil, Expr::val(None::<DateTime<Utc>>))
                .col_expr(Column::LastAttemptAt, Expr::val(at))
                .col_expr(Column::LastStatus, Expr::val(status.map(i32::from)))
                .col_expr(Column::LastError, Expr::val(None::<String>))
                .filter(Column::Id.is_in(chunk.iter().copied()))
                .exec(&txn)
                .await?;
        }
    }
    for (endpoint_id, n) in delivered_to {
        webhook_endpoint::Entity::update_many()
            .col_expr(
                webhook_endpoint::Column::Delivered,
                Expr::col(webhook_endpoint::Column::Delivered).add(n),
            )
            .filter(webhook_endpoint::Column::Id.eq(endpoint_id))
            .exec(&txn)
            .await?;
    }
    for ((endpoint_id, failed), one) in latest {
        use webhook_endpoint::Column::{LastFailureAt, LastSuccessAt};
        let attempt = &one.attempt;
        // Never back in time: another node may have recorded a later attempt first.
        let kept = if failed { LastFailureAt } else { LastSuccessAt };
        let mut update = webhook_endpoint::Entity::update_many().filter(
            Condition::any()
                .add(kept.is_null())
                .add(kept.lt(attempt.at)),
        );
        update = if failed {
            update
                .col_expr(
                    webhook_endpoint::Column::LastFailureAt,
                    Expr::val(attempt.at),
                )
                .col_expr(
                    webhook_endpoint::Column::LastFailureStatus,
                    Expr::val(attempt.status.map(i32::from)),
                )
                .col_expr(
                    webhook_endpoint::Column::LastFailureError,
                    Expr::val(attempt.error.clone()),
                )
        } else {
            update.col_expr(
                webhook_endpoint::Column::LastSuccessAt,
                Expr::val(attempt.at),
            )
        };
        update
            .filter(webhook_endpoint::Column::Id.eq(endpoint_id))
            .exec(&txn)
            .await?;
    }
    let renewed = move_cursors(&txn, cursors).await?;
    txn.commit().await?;
    Ok(renewed)
}

/// A delivery row for each streamed event whose attempt failed, as the attempt left it, if its
/// endpoint still exists (read under a share lock, so a removal waits for this transaction and
/// then takes the rows with it) and it has no row yet (a replay may have written one).
async fn insert_streamed_failures(txn: &impl ConnectionTrait, made: &[Made]) -> Result<(), DbErr> {
    let failed: Vec<&Made> = made
        .iter()
        .filter(|m| m.delivery_id.is_none() && m.attempt.error.is_some())
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    let endpoint_ids: BTreeSet<i64> = failed.iter().map(|m| m.endpoint_id).collect();
    let existing: BTreeSet<i64> = webhook_endpoint::Entity::find()
        .select_only()
        .column(webhook_endpoint::Column::Id)
        .filter(webhook_endpoint::Column::Id.is_in(endpoint_ids))
        .lock_shared()
        .into_tuple::<i64>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    let mut rows: Vec<webhook_delivery::ActiveModel> = failed
        .iter()
        .filter(|m| existing.contains(&m.endpoint_id))
        .map(|m| webhook_delivery::ActiveModel {
            endpoint_id: Set(m.endpoint_id),
            event_id: Set(m.event_id),
            attempts: Set(1),
            ..m.attempt.left_in_row()
        })
        .collect();
    while !rows.is_empty() {
        let chunk: Vec<_> = rows.drain(..rows.len().min(ROWS_PER_INSERT)).collect();
        webhook_delivery::Entity::insert_many(chunk)
            .on_conflict_do_nothing()
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// Rows in one multi-row insert at most (ten columns each: well inside both backends' limits
/// on parameters).
const ROWS_PER_INSERT: usize = 500;

/// Ids in one `IN (…)` list at most (well inside both backends' limits on parameters).
const IDS_PER_STATEMENT: usize = 1000;

/// How long a settled delivery (delivered, or failed for good) is kept for `admin webhook list`.
pub const KEEP_SETTLED: chrono::Duration = chrono::Duration::days(30);

/// Deletes the deliveries settled before `before`; returns how many. Pending ones stay, and so
/// do the events (the audit trail).
pub async fn purge_settled_before(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    use webhook_delivery::Column;
    let deleted = webhook_delivery::Entity::delete_many()
        .filter(Column::Status.ne(PENDING))
        .filter(Column::LastAttemptAt.lt(before))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}
