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
    /// The events below this id are already queued for the endpoint (or predate it).
    pub next_event_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
