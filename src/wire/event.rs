//! An invoice event on the wire: an item of `GET /api/events`, and the body of a webhook.

use super::Corrupt;
use super::invoice::Invoice;
use super::types::Timestamp;
use crate::domain::event::EventType;
use entity::{invoice, invoice_event};
use poem_openapi::types::{Example, ToJSON};
use poem_openapi::{Enum, Object};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// What happened to the invoice
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventTypeName {
    #[oai(rename = "invoice.created")]
    Created,
    #[oai(rename = "invoice.updated")]
    Updated,
    #[oai(rename = "invoice.sent")]
    Sent,
    #[oai(rename = "invoice.paid")]
    Paid,
    #[oai(rename = "invoice.unpaid")]
    Unpaid,
    #[oai(rename = "invoice.deleted")]
    Deleted,
}

impl From<EventType> for EventTypeName {
    fn from(kind: EventType) -> Self {
        match kind {
            EventType::Created => EventTypeName::Created,
            EventType::Updated => EventTypeName::Updated,
            EventType::Sent => EventTypeName::Sent,
            EventType::Paid => EventTypeName::Paid,
            EventType::Unpaid => EventTypeName::Unpaid,
            EventType::Deleted => EventTypeName::Deleted,
        }
    }
}

impl From<EventTypeName> for EventType {
    fn from(name: EventTypeName) -> Self {
        match name {
            EventTypeName::Created => EventType::Created,
            EventTypeName::Updated => EventType::Updated,
            EventTypeName::Sent => EventType::Sent,
            EventTypeName::Paid => EventType::Paid,
            EventTypeName::Unpaid => EventType::Unpaid,
            EventTypeName::Deleted => EventType::Deleted,
        }
    }
}

/// A change of an invoice. `data` is the invoice after the change (before it, for
/// `invoice.deleted`).
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct Event {
    /// The event's id. Ids increase in the order events become visible, so the last id read
    /// is the cursor to read on from (`after`); they are not consecutive. Per invoice, a
    /// higher id is a later change: webhook receivers order by it.
    pub id: i64,
    #[oai(rename = "type")]
    pub kind: EventTypeName,
    /// When the change was made
    pub created_at: Timestamp,
    /// The ID of the user who made the change
    pub user_id: i64,
    /// The ID of the invoice changed
    pub invoice_id: i64,
    pub data: Invoice,
    /// For `invoice.updated`, `invoice.sent`, `invoice.paid` and `invoice.unpaid`: each field
    /// of the invoice that the change changed, with its value before the change (`updated_at`,
    /// which every change moves, is not listed). Absent for `invoice.created` and
    /// `invoice.deleted`.
    #[oai(skip_serializing_if_is_none)]
    pub previous: Option<BTreeMap<String, Value>>,
}

impl Example for Event {
    fn example() -> Self {
        let data = Invoice::example();
        let mut previous = BTreeMap::new();
        previous.insert("notes".to_owned(), Value::Null);
        Event {
            id: 7168,
            kind: EventTypeName::Updated,
            created_at: data.updated_at,
            user_id: 1,
            invoice_id: data.id,
            data,
            previous: Some(previous),
        }
    }
}

impl TryFrom<invoice_event::Model> for Event {
    type Error = Corrupt;

    fn try_from(row: invoice_event::Model) -> Result<Self, Corrupt> {
        let corrupt = |what: &'static str| Corrupt::new("event", row.id, what);
        let kind = EventType::parse(&row.r#type).ok_or_else(|| corrupt("type"))?;
        let previous = row
            .previous
            .as_deref()
            .map(serde_json::from_str::<BTreeMap<String, Value>>)
            .transpose()
            .map_err(|_| corrupt("previous values"))?;
        Ok(Event {
            id: row.id,
            kind: kind.into(),
            created_at: Timestamp(row.created_at),
            user_id: row.user_id,
            invoice_id: row.invoice_id,
            data: Invoice::try_from(row.invoice())?,
            previous,
        })
    }
}

/// The invoice's fields as the API shows them.
fn wire_fields(row: &invoice::Model) -> anyhow::Result<Map<String, Value>> {
    let invoice = Invoice::try_from(row.clone()).map_err(|e| anyhow::anyhow!("{e}"))?;
    match invoice.to_json() {
        Some(Value::Object(fields)) => Ok(fields),
        _ => anyhow::bail!("invoice {} is not a JSON object on the wire", row.id),
    }
}

/// An event's `previous`: each field that differs between `before` and `after`, with its value
/// in `before`, as a JSON object; `updated_at` is left out (every change moves it).
pub fn previous_values(before: &invoice::Model, after: &invoice::Model) -> anyhow::Result<String> {
    let after = wire_fields(after)?;
    let changed: Map<String, Value> = wire_fields(before)?
        .into_iter()
        .filter(|(field, value)| field != "updated_at" && after.get(field) != Some(value))
        .collect();
    Ok(serde_json::to_string(&changed)?)
}
