//! One event owed to one webhook endpoint, and how its delivery went so far.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub endpoint_id: i64,
    pub event_id: i64,
    /// `pending`, `delivered` or `failed` (retries exhausted).
    pub status: String,
    /// Attempts made so far.
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// A node sending it holds it until then.
    pub claimed_until: Option<DateTimeUtc>,
    pub last_attempt_at: Option<DateTimeUtc>,
    /// The HTTP status of the last attempt; none when it got no answer.
    pub last_status: Option<i32>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
