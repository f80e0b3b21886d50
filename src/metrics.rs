//! This node's metrics in the Prometheus text exposition format (OpenMetrics 1.0), kept with
//! the `prometheus-client` crate and served only on their own listener (`--metrics-bind`).
//!
//! Every metric's name starts with `invoices_`; README ("Metrics") lists them. Label values are
//! bounded: an operation is one of the spec's `operation_id`s, `docs`, `openapi` or
//! `unmatched`, a status one of the few the API answers.

use crate::store::database::WriteTurns;
use crate::store::refusal::StorageRefusal;
use crate::store::webhooks::Outcome;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sea_orm::{DatabaseBackend, DatabaseConnection};
use std::time::Duration;

/// The `Content-Type` of the exposition.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

/// The webhook deliveries of this node.
struct WebhookMetrics {
    attempts: Family<OutcomeLabels, Counter>,
    in_flight: Gauge,
    pending: Gauge,
    lag: Histogram,
}

/// The database pool as it is at a scrape, and the writers waiting for SQLite's one turn.
struct PoolGauges {
    max: Gauge,
    open: Gauge,
    idle: Gauge,
    in_use: Gauge,
    write_turn_waiting: Gauge,
}

/// The metrics of one server.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<OperationLabels, Histogram, fn() -> Histogram>,
    in_flight: Gauge,
    rate_limited: Counter,
    storage_refusals: Family<ReasonLabels, Counter>,
    pool: PoolGauges,
    webhooks: WebhookMetrics,
}

/// Latency buckets from 1 ms to about 8 s, doubling.
fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 14))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("invoices");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "Requests answered, by operation and status",
            requests.clone(),
        );
        let durations =
            Family::<OperationLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                duration_histogram,
            );
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its answer, by operation",
            durations.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "http_requests_in_flight",
            "Requests being answered now",
            in_flight.clone(),
        );
        let rate_limited = Counter::default();
        registry.register(
            "rate_limited_requests",
            "Requests refused with 429 because their token's rate limit was spent",
            rate_limited.clone(),
        );
        let storage_refusals = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "storage_refusals",
            "Requests answered 503 because the storage could not take writes, by reason",
            storage_refusals.clone(),
        );
        let pool = PoolGauges {
            max: Gauge::default(),
            open: Gauge::default(),
            idle: Gauge::default(),
            in_use: Gauge::default(),
            write_turn_waiting: Gauge::default(),
        };
        for (name, help, gauge) in [
            (
                "db_pool_max_connections",
                "Connections the pool may open",
                &pool.max,
            ),
            ("db_pool_connections", "Connections open now", &pool.open),
            (
                "db_pool_idle_connections",
                "Open connections waiting for work",
                &pool.idle,
            ),
            (
                "db_pool_in_use_connections",
                "Connections lent to a query or transaction now; at the maximum, requests wait for one",
                &pool.in_use,
            ),
            (
                "db_write_turn_waiting",
                "Creates waiting for SQLite's one writer's turn on this node (always 0 on PostgreSQL)",
                &pool.write_turn_waiting,
            ),
        ] {
            registry.register(name, help, gauge.clone());
        }
        let webhooks = WebhookMetrics {
            attempts: Family::default(),
            in_flight: Gauge::default(),
            pending: Gauge::default(),
            // 5 ms to about 80 s, doubling.
            lag: Histogram::new(exponential_buckets(0.005, 2.0, 15)),
        };
        registry.register(
            "webhook_delivery_lag_seconds",
            "Time from an event's change to its delivery (the 2xx answer), for the deliveries this node made, retries and replays included",
            webhooks.lag.clone(),
        );
        registry.register(
            "webhook_attempts",
            "Webhook delivery attempts this node made, by outcome: delivered, retry, failed",
            webhooks.attempts.clone(),
        );
        registry.register(
            "webhook_deliveries_in_flight",
            "Webhook deliveries this node is sending now",
            webhooks.in_flight.clone(),
        );
        registry.register(
            "webhook_pending_deliveries",
            "Webhook deliveries not settled yet, of every node (counted every 10 s)",
            webhooks.pending.clone(),
        );
        // The one line that says what this node runs: its release, and the newest migration it
        // knows (the schema it was built for; `/health` says the database's).
        registry.register(
            "build",
            "The release this node runs and the newest schema migration it knows",
            prometheus_client::metrics::info::Info::new(vec![
                (
                    "release".to_owned(),
                    crate::store::schema::RELEASE.to_owned(),
                ),
                ("schema".to_owned(), crate::store::schema::newest_known()),
            ]),
        );
        Metrics {
            registry,
            requests,
            durations,
            in_flight,
            rate_limited,
            storage_refusals,
            pool,
            webhooks,
        }
    }
}

impl Metrics {
    /// Counts an answered request of `operation` and the time it took.
    pub fn answered(&self, operation: &str, status: u16, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                operation: operation.to_owned(),
                status,
            })
            .inc();
        self.durations
            .get_or_create(&OperationLabels {
                operation: operation.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// Counts a request as being answered until the guard returned is dropped (also when the
    /// request is cancelled).
    pub fn in_flight(&self) -> InFlight {
        self.in_flight.inc();
        InFlight(self.in_flight.clone())
    }

    /// Counts a request refused by the rate limit.
    pub fn rate_limited(&self) {
        self.rate_limited.inc();
    }

    /// Counts a request the storage refused.
    pub fn storage_refused(&self, refusal: StorageRefusal) {
        self.storage_refusals
            .get_or_create(&ReasonLabels {
                reason: refusal.label(),
            })
            .inc();
    }

    /// Counts a webhook attempt that ended this way.
    pub fn webhook_attempt(&self, outcome: Outcome) {
        let outcome = match outcome {
            Outcome::Delivered => "delivered",
            Outcome::Retry => "retry",
            Outcome::Failed => "failed",
        };
        self.webhooks
            .attempts
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    /// Counts a webhook delivery as being sent until the guard returned is dropped.
    pub fn webhook_in_flight(&self) -> InFlight {
        self.webhooks.in_flight.inc();
        InFlight(self.webhooks.in_flight.clone())
    }

    /// Counts a delivery made this long after its event's change.
    pub fn webhook_delivered_after(&self, lag: Duration) {
        self.webhooks.lag.observe(lag.as_secs_f64());
    }

    /// The deliveries not settled yet, as last counted.
    pub fn webhook_pending(&self, count: u64) {
        self.webhooks
            .pending
            .set(i64::try_from(count).unwrap_or(i64::MAX));
    }

    /// The exposition, with the pool of `db` and the writers waiting for `turns` read now.
    pub fn render(&self, db: &DatabaseConnection, turns: &WriteTurns) -> String {
        let (max, open, idle) = match db.get_database_backend() {
            DatabaseBackend::Sqlite => {
                let pool = db.get_sqlite_connection_pool();
                (
                    pool.options().get_max_connections(),
                    pool.size(),
                    pool.num_idle(),
                )
            }
            DatabaseBackend::Postgres => {
                let pool = db.get_postgres_connection_pool();
                (
                    pool.options().get_max_connections(),
                    pool.size(),
                    pool.num_idle(),
                )
            }
            _ => (0, 0, 0),
        };
        let idle = i64::try_from(idle).unwrap_or(i64::MAX);
        self.pool.max.set(i64::from(max));
        self.pool.open.set(i64::from(open));
        self.pool.idle.set(idle);
        self.pool.in_use.set((i64::from(open) - idle).max(0));
        self.pool
            .write_turn_waiting
            .set(i64::try_from(turns.waiting()).unwrap_or(i64::MAX));
        let mut text = String::new();
        // Writing to a String can't fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

/// A request (or a webhook delivery) in progress; see [`Metrics::in_flight`].
pub struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}
