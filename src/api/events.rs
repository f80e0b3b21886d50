//! `GET /api/events`: the company's invoice events, the audit trail a syncing client follows
//! (`operations::events`; an event's wire form, also a webhook's body, is `wire::event`).
// Operations take one argument per documented parameter.
#![allow(clippy::too_many_arguments)]

use super::caller::Identity;
use super::error::ApiError;
use super::paging::Limit;
use super::params::{Id, QueryParam, reject_unknown_query};
use super::validation::Validation;
use super::{ApiTags, AppState};
use crate::domain::event::{EventFilter, EventType};
use crate::operations::events;
use crate::wire::event::{Event, EventTypeName};
use crate::wire::types::inline_type;
use poem::Request;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromParameter, ParseResult};
use poem_openapi::{ApiResponse, OpenApi};

pub struct EventsApi;

/// An event id to read after: an integer ≥ 0 (0, the default, reads from the start).
#[derive(Clone, Copy, Debug, Default)]
pub struct After(i64);

const AFTER_RULE: &str = "must be an integer greater than or equal to 0";

inline_type!(After, "after", {
    let mut schema = MetaSchema::new_with_format("integer", "int64");
    schema.minimum = Some(0.0);
    schema.default = Some(0.into());
    schema.example = Some(serde_json::json!(7168));
    MetaSchemaRef::Inline(Box::new(schema))
});

impl ParseFromParameter for After {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        value
            .parse::<i64>()
            .ok()
            .filter(|id| *id >= 0)
            .map(After)
            .ok_or_else(|| ParseError::custom(AFTER_RULE))
    }
}

#[derive(ApiResponse)]
pub enum EventListResponse {
    /// The events, in id order.
    #[oai(status = 200, content_type = "application/json")]
    Ok(Json<Vec<Event>>),
}

/// The query parameters `GET /api/events` knows.
const LIST_PARAMETERS: [&str; 4] = ["after", "limit", "invoice_id", "type"];

#[OpenApi(tag = "ApiTags::Events")]
impl EventsApi {
    /// List invoice events
    ///
    /// Required permissions:
    /// - `invoices.view`: the events of invoices of projects where the user is PM or Account.
    /// - `invoices.view_other`: the events of every invoice.
    ///
    /// Every change of an invoice is an event, written in the same transaction as the change:
    /// `invoice.created`, `invoice.updated`, `invoice.sent`, `invoice.paid`, `invoice.unpaid`,
    /// `invoice.deleted`. An acknowledged change always has its event; a refused one has none.
    /// Which events a caller sees follows the project the invoice had at the event.
    ///
    /// A bare JSON array in id order. To follow changes, keep the `id` of the last event read
    /// and ask for `after=<that id>` until a page is shorter than `limit`; poll the same way
    /// later. No event ever appears behind an id already read: an event shows once every change
    /// that began before it has committed or rolled back. Unknown query parameters are
    /// refused.
    #[oai(path = "/api/events", method = "get", operation_id = "list_events")]
    async fn list_events(
        &self,
        state: Data<&AppState>,
        request: &Request,
        identity: Identity,
        /// Only events after this event id (0, the default, reads from the first)
        after: QueryParam<Option<After>>,
        /// How many events at most (1–100)
        limit: QueryParam<Option<Limit>>,
        /// Only the events of this invoice
        invoice_id: QueryParam<Option<Id>>,
        /// Only events of these types (repeat the parameter for several:
        /// `type=invoice.sent&type=invoice.paid`)
        #[oai(name = "type")]
        kind: QueryParam<Option<Vec<EventTypeName>>>,
    ) -> Result<EventListResponse, ApiError> {
        let mut checked = Validation::default();
        reject_unknown_query(&mut checked, request, &LIST_PARAMETERS);
        let after = checked.take(after.into_result()).flatten();
        let limit = checked.take(limit.into_result()).flatten();
        let invoice_id = checked.take(invoice_id.into_result()).flatten();
        let kinds = checked.take(kind.into_result()).flatten();
        let (caller, ()) = identity.admit(&state, checked, Some(())).await?;
        let filter = EventFilter {
            after: after.unwrap_or_default().0,
            limit: limit.unwrap_or_default().get(),
            invoice_id: invoice_id.map(|id| id.0),
            types: kinds
                .unwrap_or_default()
                .into_iter()
                .map(EventType::from)
                .collect(),
        };
        let events = events::list(&state.db, &caller, &filter)
            .await?
            .into_iter()
            .map(Event::try_from)
            .collect::<Result<_, _>>()?;
        Ok(EventListResponse::Ok(Json(events)))
    }
}
