//! What a list of invoices asks for: its filters, its order and its page.

use crate::domain::filter::Filter;
use chrono::{DateTime, NaiveDate, Utc};

/// The order of a list of invoices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ListOrder {
    /// By id: the order of creation.
    #[default]
    Id,
    /// By the last update, then by id: the order in which a syncing client sees changes.
    UpdatedAt,
}

/// What `GET /api/invoices` asks for. Several filters on one field must all hold.
#[derive(Debug, Default)]
pub struct ListQuery {
    /// When set, only invoices of projects where this user is PM or Account.
    pub only_projects_of: Option<i64>,
    pub project_id: Vec<Filter<i64>>,
    pub issue_date: Vec<Filter<NaiveDate>>,
    pub payment_date: Vec<Filter<NaiveDate>>,
    pub updated_at: Vec<Filter<DateTime<Utc>>>,
    pub order: ListOrder,
    pub limit: u64,
    pub offset: u64,
}
