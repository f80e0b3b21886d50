//! What lets a later release send an endpoint's new events without writing a row per delivery,
//! while nodes of this release run beside it:
//! - `delivered`: how many deliveries the endpoint has had, counted by every node that records
//!   a success, so that `admin webhook list` no longer counts delivery rows (a release that
//!   writes no row per successful delivery could not count them). Filled here from the
//!   delivered rows there are.
//! - `streamed_by`, `streamed_until`: a node that holds the endpoint's new events, to send them
//!   itself, and until when. This release sets neither, and queues no new event of an endpoint
//!   another node holds until its hold ends.
//!
//! Expand: one column with a default and two nullable ones. The release before neither reads
//! nor writes them: the deliveries its nodes make are not counted in `delivered`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

migration!(in_one_transaction, |manager| {
    crate::add_columns(
        manager,
        "webhook_endpoints",
        [
            big_integer("delivered").default(0).to_owned(),
            string_len_null("streamed_by", 64),
            timestamp_with_time_zone_null("streamed_until"),
        ],
    )
    .await?;
    manager
        .get_connection()
        .execute_unprepared(
            "UPDATE webhook_endpoints SET delivered = (SELECT count(*) FROM webhook_deliveries \
             WHERE webhook_deliveries.endpoint_id = webhook_endpoints.id \
             AND webhook_deliveries.status = 'delivered')",
        )
        .await?;
    Ok(())
});
