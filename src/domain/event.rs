//! The kinds of change an invoice event records.

use super::invoice::InvoiceStatus;

/// What happened to an invoice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventType {
    Created,
    Updated,
    Sent,
    Paid,
    Unpaid,
    Deleted,
}

impl EventType {
    pub const ALL: [EventType; 6] = [
        EventType::Created,
        EventType::Updated,
        EventType::Sent,
        EventType::Paid,
        EventType::Unpaid,
        EventType::Deleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Created => "invoice.created",
            EventType::Updated => "invoice.updated",
            EventType::Sent => "invoice.sent",
            EventType::Paid => "invoice.paid",
            EventType::Unpaid => "invoice.unpaid",
            EventType::Deleted => "invoice.deleted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// The event of a change of status.
    pub fn of_transition(from: InvoiceStatus, to: InvoiceStatus) -> Self {
        match (from, to) {
            (_, InvoiceStatus::Paid) => EventType::Paid,
            (InvoiceStatus::Paid, _) => EventType::Unpaid,
            (_, InvoiceStatus::Sent) => EventType::Sent,
            _ => EventType::Updated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_reads_back_from_its_name() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
        }
        assert_eq!(EventType::parse("invoice.moved"), None);
    }

    #[test]
    fn a_transition_is_named_by_where_it_leads() {
        use InvoiceStatus::{Draft, Paid, Sent};
        assert_eq!(EventType::of_transition(Draft, Sent), EventType::Sent);
        assert_eq!(EventType::of_transition(Draft, Paid), EventType::Paid);
        assert_eq!(EventType::of_transition(Sent, Paid), EventType::Paid);
        assert_eq!(EventType::of_transition(Paid, Sent), EventType::Unpaid);
    }
}

/// Which of a company's events a client asks for.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    /// Only events with a greater id (0: from the first).
    pub after: i64,
    /// How many at most.
    pub limit: u64,
    /// Only the events of this invoice.
    pub invoice_id: Option<i64>,
    /// Only events of these types (every type when empty).
    pub types: Vec<EventType>,
}
