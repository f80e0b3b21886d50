//! A URL of a company's to which its invoice events are posted, signed with `secret`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub url: String,
    /// The Standard Webhooks signing secret, `whsec_` and base64.
    pub secret: String,
    /// The event types sent, comma-separated; empty for every type.
    pub event_types: String,
    pub created_at: DateTimeUtc,
    /// The events below this id are sent, or queued as deliveries, or predate the endpoint.
    pub next_event_id: i64,
    /// Set while the operator has paused it: its events wait past its cursor, none is sent.
    pub disabled_at: Option<DateTimeUtc>,
    /// When its last attempt answered with a 2xx.
    pub last_success_at: Option<DateTimeUtc>,
    /// When its last failed attempt was made, its status (none when there was no answer) and
    /// why it failed.
    pub last_failure_at: Option<DateTimeUtc>,
    pub last_failure_status: Option<i32>,
    pub last_failure_error: Option<String>,
    /// How many deliveries it has had (every node that records a success adds to it).
    pub delivered: i64,
    /// The node that holds the endpoint, to send its new events itself, and until when; no
    /// other node sends or queues them meanwhile.
    pub streamed_by: Option<String>,
    pub streamed_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
