//! A member of a company: a user who may act in it, as other records name them by id.

use chrono::{DateTime, Utc};

/// A user's membership in one company.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The user's id: a project's PM and Account and an event's actor name it.
    pub user_id: i64,
    pub name: String,
    pub email: String,
    /// When the user joined the company.
    pub joined_at: DateTime<Utc>,
}
