//! What an operator acts on and reads of a webhook endpoint: `disabled_at` (set by `admin
//! webhook disable`: its events are still queued, none is sent until it is enabled again), and
//! the outcome of its last successful and last failed attempt (`admin webhook list`), kept on
//! the endpoint by the node that recorded them, so listing never scans its deliveries.
//!
//! Expand: five nullable columns. The release before neither reads nor writes them: its nodes
//! deliver to a disabled endpoint and leave the last outcomes as they were.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

migration!(in_one_transaction, |manager| {
    crate::add_columns(
        manager,
        "webhook_endpoints",
        [
            timestamp_with_time_zone_null("disabled_at"),
            timestamp_with_time_zone_null("last_success_at"),
            timestamp_with_time_zone_null("last_failure_at"),
            integer_null("last_failure_status"),
            text_null("last_failure_error"),
        ],
    )
    .await
});
