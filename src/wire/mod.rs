//! The JSON forms of what the service sends about invoices: an invoice, an event, and the
//! value types they are made of (exact money, dates, timestamps), with their schemas. Defined
//! once, below both the API, which answers with them, and the webhook deliverer, which sends
//! events in them.

pub mod event;
pub mod invoice;
pub mod types;

/// A stored row that no wire form can hold: a fault of ours, never of the client's.
#[derive(Debug, thiserror::Error)]
#[error("{record} {id}: stored {what} is invalid")]
pub struct Corrupt {
    record: &'static str,
    id: i64,
    what: &'static str,
}

impl Corrupt {
    pub fn new(record: &'static str, id: i64, what: &'static str) -> Self {
        Corrupt { record, id, what }
    }
}
