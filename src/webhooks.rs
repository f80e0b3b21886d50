//! Delivering invoice events to the companies' webhook endpoints, signed per the Standard
//! Webhooks specification (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
//!
//! Every node runs one [`Deliverer`] beside the API. Each poll it queues the events that became
//! visible (`store::webhooks::queue_new_events`), claiming the new deliveries as it writes them,
//! then claims those due otherwise (retries, a backlog, another node's expired claims) in one
//! statement, so that up to [`CLAIMED_PER_ENDPOINT`] per endpoint wait to be sent, reads their
//! events and endpoints in one query each, and sends each endpoint's through at most
//! [`PER_ENDPOINT`] lanes (tasks posting one delivery after another over the client's
//! kept-alive connections), so a slow or dead receiver holds only its own deliveries, never a
//! request. The outcomes go to one recorder task, which writes all that arrived in the last
//! [`RECORD_EVERY`] in one transaction: the database work per delivery is a share of a few
//! statements, and on SQLite the deliverer takes the one writer's turn (in line with the
//! creates) a few times per poll and at most ten times a second to record, never once per
//! delivery. A poll runs on every tick, and as soon as an endpoint's unsent work falls to
//! half, so a busy endpoint's lanes never run dry.
//!
//! A claim lasts [`CLAIM`], however much a node claimed: a lane starts a send only while its
//! claim has longer than [`TIMEOUT`] and a margin to run, and leaves the delivery otherwise, to
//! be claimed again when the claim ran out (by this node or another). So a node that died
//! holds its deliveries for [`CLAIM`] at most, and a slow receiver never gets a delivery twice
//! because its claim ran out mid-send.
//!
//! Order: none between deliveries. An endpoint gets up to [`PER_ENDPOINT`] at once from each
//! node, a retry comes after later events, and nodes share the work. Per invoice, a higher
//! event id is a later change: a receiver orders by the id in `webhook-id` (`evt_<id>`) or the
//! body's `id`.
//!
//! A 2xx answer is a delivery; any other answer, a timeout ([`TIMEOUT`]) or a refused
//! connection is retried after the next wait of the retry schedule (plus up to a quarter of it,
//! at random, so retries of many deliveries spread out), and the delivery is marked failed when
//! the schedule is used up.
//! Deliveries are at least once: the `webhook-id` (`evt_<event id>`) stays the same across
//! retries, for receivers to de-duplicate.

use crate::metrics::Metrics;
use crate::store::database::WriteTurns;
use crate::store::webhooks::{self as store, Attempt};
use crate::wire::event::Event;
use base64::Engine;
use chrono::Utc;
use entity::{invoice_event, webhook_delivery, webhook_endpoint};
use poem_openapi::types::ToJSON;
use rand::RngExt;
use sea_orm::DatabaseConnection;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// The Standard Webhooks schedule: retries 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h after
/// the attempt before, so the last of the eight attempts comes more than 27 hours after the
/// first.
pub const DEFAULT_RETRY_SCHEDULE: &str = "5s,5m,30m,2h,5h,10h,10h";

/// Longest an attempt may take, connecting included.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Deliveries of one endpoint a node holds claimed and not sent yet at most: enough for its
/// lanes to send at several thousand a second between two polls.
pub const CLAIMED_PER_ENDPOINT: usize = 512;

/// How long a node holds the deliveries it claimed. A node that died leaves them to the others
/// (or to itself, restarted) after this long.
pub const CLAIM: Duration = Duration::from_secs(50);

/// A lane starts a send only while the delivery's claim has longer than this to run: the
/// longest attempt, and a margin to record its outcome before another node may claim it.
const SEND_BEFORE_CLAIM_ENDS: Duration = Duration::from_secs(TIMEOUT.as_secs() + 10);

/// Longest endpoint URL.
pub const MAX_URL_CHARS: usize = 2000;

/// Deliveries in flight per endpoint on one node at most.
pub const PER_ENDPOINT: usize = 16;

/// The longest reason of a failed attempt kept, in characters.
const MAX_ERROR_CHARS: usize = 500;

/// Deliveries claimed per poll at most.
const CLAIM_BATCH: u64 = 1000;

/// Outcomes recorded in one transaction at most.
const RECORD_BATCH: usize = 5000;

/// The recorder writes at most this often: all the outcomes that arrived meanwhile in one
/// transaction.
pub const RECORD_EVERY: Duration = Duration::from_millis(100);

/// Waits of a schedule at most, and the longest wait.
const MAX_RETRIES: usize = 20;
const MAX_WAIT: Duration = Duration::from_secs(7 * 24 * 3600);

/// The wait before each retry of a failed delivery; their number is the number of retries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RetrySchedule(pub Vec<Duration>);

/// How webhooks are delivered.
#[derive(Clone, Debug)]
pub struct WebhookSettings {
    pub retry_schedule: RetrySchedule,
    /// How often a node looks for events to queue and deliveries that are due.
    pub poll_interval: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            retry_schedule: parse_schedule(DEFAULT_RETRY_SCHEDULE).unwrap_or_default(),
            poll_interval: Duration::from_millis(250),
        }
    }
}

/// A retry schedule: waits such as `5s`, `5m`, `2h`, separated by commas (at most 20, each
/// from 1 ms to 7 days).
pub fn parse_schedule(raw: &str) -> Result<RetrySchedule, String> {
    let waits = raw
        .split(',')
        .map(|wait| {
            let parsed = humantime::parse_duration(wait.trim())
                .map_err(|e| format!("{wait:?} is not a duration such as 5s, 5m or 2h: {e}"))?;
            if parsed < Duration::from_millis(1) || parsed > MAX_WAIT {
                return Err(format!("{wait:?} must be from 1ms to 7 days"));
            }
            Ok(parsed)
        })
        .collect::<Result<Vec<_>, _>>()?;
    if waits.len() > MAX_RETRIES {
        return Err(format!("at most {MAX_RETRIES} retries"));
    }
    Ok(RetrySchedule(waits))
}

/// A new signing secret: `whsec_` and 32 random bytes in base64, as Standard Webhooks
/// verifiers take it.
pub fn new_secret() -> String {
    let mut key = [0u8; 32];
    rand::rng().fill(&mut key);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    )
}

/// Sends what this node claims.
#[derive(Clone)]
pub struct Deliverer {
    db: DatabaseConnection,
    /// SQLite's one writer's turn, shared with the creates of this node.
    turns: WriteTurns,
    client: reqwest::Client,
    settings: WebhookSettings,
    /// The deliveries this node claimed and has not recorded yet, per endpoint.
    work: Arc<Mutex<HashMap<i64, EndpointWork>>>,
    /// Told when an endpoint's unsent work falls to half, so more is claimed at once.
    freed: Arc<tokio::sync::Notify>,
    /// Where the lanes hand their outcomes to the recorder.
    outcomes: mpsc::UnboundedSender<store::Made>,
    /// The recorder's end, taken by [`Deliverer::run`].
    recorder: Arc<Mutex<Option<mpsc::UnboundedReceiver<store::Made>>>>,
    /// What the node counts, when it serves metrics.
    metrics: Option<Arc<Metrics>>,
}

/// A claimed delivery with what it sends.
struct Job {
    delivery: webhook_delivery::Model,
    /// `None` when the event or the endpoint no longer exists.
    parts: Option<(Arc<invoice_event::Model>, Arc<webhook_endpoint::Model>)>,
}

/// One endpoint's work on this node.
#[derive(Default)]
struct EndpointWork {
    /// Claimed, not started yet.
    queued: VecDeque<Job>,
    /// Lanes running.
    lanes: usize,
    /// Being sent now.
    sending: usize,
    /// Sent, the outcome not recorded yet (the claim still stands in the database).
    recording: usize,
}

impl EndpointWork {
    /// Deliveries claimed and not sent yet: what the node's claims are limited by.
    fn unsent(&self) -> usize {
        self.queued.len() + self.sending
    }

    /// Nothing claimed, nothing running: the entry can go.
    fn idle(&self) -> bool {
        self.unsent() + self.recording + self.lanes == 0
    }
}

/// How often the pending deliveries are counted for the metrics.
const COUNT_PENDING_EVERY: Duration = Duration::from_secs(10);

impl Deliverer {
    pub fn new(
        db: DatabaseConnection,
        turns: WriteTurns,
        settings: WebhookSettings,
        metrics: Option<Arc<Metrics>>,
    ) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(PER_ENDPOINT)
            .user_agent(concat!("invoices-api/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let (outcomes, recorder) = mpsc::unbounded_channel();
        Ok(Deliverer {
            db,
            turns,
            client,
            settings,
            work: Arc::default(),
            freed: Arc::default(),
            outcomes,
            recorder: Arc::new(Mutex::new(Some(recorder))),
            metrics,
        })
    }

    /// Polls until the task is aborted, on every tick and whenever an endpoint's unsent work
    /// falls to half; a failed poll (the database away) is logged and the next one tries again.
    pub async fn run(self) {
        let recorder = self
            .recorder
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        // Aborting this task drops the recorder with it.
        let _recording = recorder.map(|outcomes| {
            let deliverer = self.clone();
            AbortOnDrop(tokio::spawn(
                async move { deliverer.record(outcomes).await },
            ))
        });
        let mut every = tokio::time::interval(self.settings.poll_interval);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut counted: Option<tokio::time::Instant> = None;
        loop {
            tokio::select! {
                _ = every.tick() => {}
                () = self.freed.notified() => {}
            }
            if let Err(err) = self.poll().await {
                tracing::warn!(error = %err, "webhook delivery poll failed");
            }
            if let Some(metrics) = &self.metrics
                && counted.is_none_or(|at| at.elapsed() >= COUNT_PENDING_EVERY)
            {
                counted = Some(tokio::time::Instant::now());
                match store::pending_count(&self.db).await {
                    Ok(n) => metrics.webhook_pending(n),
                    Err(err) => tracing::warn!(error = %err, "could not count pending webhooks"),
                }
            }
        }
    }

    fn work(&self) -> std::sync::MutexGuard<'_, HashMap<i64, EndpointWork>> {
        self.work.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues new events, then claims the deliveries that are due, as many per endpoint as
    /// this node may hold unsent, and starts lanes for them.
    async fn poll(&self) -> Result<(), sea_orm::DbErr> {
        let unsent: HashMap<i64, usize> = self
            .work()
            .iter()
            .map(|(endpoint, work)| (*endpoint, work.unsent()))
            .collect();
        let room = |endpoint| {
            CLAIMED_PER_ENDPOINT.saturating_sub(unsent.get(&endpoint).copied().unwrap_or(0))
        };
        let claiming = store::Claiming {
            room: &room,
            until: Utc::now() + CLAIM,
        };
        let mut claimed = store::queue_new_events(&self.db, &self.turns, &claiming).await?;
        let mut held = unsent;
        for delivery in &claimed {
            *held.entry(delivery.endpoint_id).or_default() += 1;
        }
        let now = Utc::now();
        let full: Vec<i64> = held
            .iter()
            .filter(|(_, n)| **n >= CLAIMED_PER_ENDPOINT)
            .map(|(endpoint, _)| *endpoint)
            .collect();
        // Retries, deliveries whose claim ran out, and the rest of a backlog.
        let due = store::due(&self.db, now, &full, CLAIM_BATCH).await?;
        let wanted: Vec<i64> = due
            .iter()
            .filter(|d| {
                let n = held.entry(d.endpoint_id).or_default();
                *n += 1;
                *n <= CLAIMED_PER_ENDPOINT
            })
            .map(|d| d.id)
            .collect();
        if !wanted.is_empty() {
            let _turn = self.turns.take().await;
            claimed.extend(store::claim(&self.db, &wanted, now, now + CLAIM).await?);
        }
        if claimed.is_empty() {
            return Ok(());
        }
        claimed.sort_by_key(|d| (d.next_attempt_at, d.event_id));
        // Should this read fail, the claims run out and the deliveries are claimed again then.
        let (events, endpoints) = store::delivery_parts(&self.db, &claimed).await?;
        let events: HashMap<i64, Arc<_>> = events
            .into_iter()
            .map(|(id, e)| (id, Arc::new(e)))
            .collect();
        let endpoints: HashMap<i64, Arc<_>> = endpoints
            .into_iter()
            .map(|(id, e)| (id, Arc::new(e)))
            .collect();
        let jobs = claimed.into_iter().map(|delivery| Job {
            parts: events
                .get(&delivery.event_id)
                .cloned()
                .zip(endpoints.get(&delivery.endpoint_id).cloned()),
            delivery,
        });
        let mut lanes_to_start = Vec::new();
        {
            let mut work = self.work();
            for job in jobs {
                let endpoint = job.delivery.endpoint_id;
                let entry = work.entry(endpoint).or_default();
                entry.queued.push_back(job);
                if entry.lanes < PER_ENDPOINT {
                    entry.lanes += 1;
                    lanes_to_start.push(endpoint);
                }
            }
        }
        for endpoint in lanes_to_start {
            let deliverer = self.clone();
            tokio::spawn(async move { deliverer.lane(endpoint).await });
        }
        Ok(())
    }

    /// Sends the endpoint's claimed deliveries one after the other until none is left; leaves
    /// those whose claim is about to run out.
    async fn lane(&self, endpoint: i64) {
        loop {
            let next = {
                let mut work = self.work();
                let Some(entry) = work.get_mut(&endpoint) else {
                    return;
                };
                let Some(job) = next_sendable(&mut entry.queued, Utc::now()) else {
                    entry.lanes = entry.lanes.saturating_sub(1);
                    if entry.idle() {
                        work.remove(&endpoint);
                    }
                    return;
                };
                entry.sending += 1;
                job
            };
            let made = self.deliver(next).await;
            if let Some(entry) = self.work().get_mut(&endpoint) {
                entry.sending = entry.sending.saturating_sub(1);
                entry.recording += 1;
                if entry.unsent() == CLAIMED_PER_ENDPOINT / 2 {
                    self.freed.notify_one();
                }
            }
            if self.outcomes.send(made).is_err() {
                // No recorder (the node is stopping): the claim runs out, it is sent again.
                return;
            }
        }
    }

    /// Records the outcomes as they arrive, at most every [`RECORD_EVERY`], all those that
    /// arrived meanwhile in one transaction.
    async fn record(&self, mut outcomes: mpsc::UnboundedReceiver<store::Made>) {
        let mut batch = Vec::with_capacity(RECORD_BATCH);
        while outcomes.recv_many(&mut batch, RECORD_BATCH).await > 0 {
            let started = tokio::time::Instant::now();
            let recorded = {
                let _turn = self.turns.take().await;
                store::record_attempts(&self.db, &batch).await
            };
            if let Err(err) = recorded {
                // The claims run out and the deliveries are sent again.
                tracing::warn!(
                    deliveries = batch.len(),
                    error = %err,
                    "could not record webhook attempts"
                );
            }
            {
                let mut work = self.work();
                for made in &batch {
                    if let Some(entry) = work.get_mut(&made.endpoint_id) {
                        entry.recording = entry.recording.saturating_sub(1);
                    }
                }
                work.retain(|_, entry| !entry.idle());
            }
            batch.clear();
            tokio::time::sleep_until(started + RECORD_EVERY).await;
        }
    }

    /// One attempt of a claimed delivery.
    async fn deliver(&self, job: Job) -> store::Made {
        let _counted = self.metrics.as_ref().map(|m| m.webhook_in_flight());
        let delivery = &job.delivery;
        let at = Utc::now();
        let attempt = match self.send(&job).await {
            Ok(status) if (200..300).contains(&status) => Attempt {
                at,
                status: Some(status),
                error: None,
                retry_at: None,
            },
            Ok(status) => self.failed(delivery, at, Some(status), format!("HTTP {status}")),
            Err(error) => self.failed(delivery, at, None, error),
        };
        if let Some(metrics) = &self.metrics {
            metrics.webhook_attempt(attempt.outcome());
            if let (None, Some((event, _))) = (&attempt.error, &job.parts) {
                let lag = Utc::now() - event.created_at;
                metrics.webhook_delivered_after(lag.to_std().unwrap_or_default());
            }
        }
        if let Some(error) = &attempt.error {
            tracing::info!(
                delivery = delivery.id,
                event = delivery.event_id,
                endpoint = delivery.endpoint_id,
                error,
                retry = attempt.retry_at.is_some(),
                "webhook attempt failed"
            );
        }
        store::Made {
            delivery_id: delivery.id,
            endpoint_id: delivery.endpoint_id,
            attempt,
        }
    }

    /// A failed attempt: retried after the schedule's next wait, if there is one.
    fn failed(
        &self,
        delivery: &webhook_delivery::Model,
        at: chrono::DateTime<Utc>,
        status: Option<u16>,
        error: String,
    ) -> Attempt {
        let made = usize::try_from(delivery.attempts).unwrap_or(usize::MAX);
        let retry_at = self.settings.retry_schedule.0.get(made).and_then(|wait| {
            let jittered = wait.mul_f64(rand::rng().random_range(1.0..1.25));
            chrono::Duration::from_std(jittered).ok().map(|d| at + d)
        });
        Attempt {
            at,
            status,
            error: Some(clipped(error, MAX_ERROR_CHARS)),
            retry_at,
        }
    }

    /// Posts the delivery's event, signed; the answer's status, or why there was none.
    async fn send(&self, job: &Job) -> Result<u16, String> {
        let (event, endpoint) = job
            .parts
            .as_ref()
            .ok_or("the event or the endpoint no longer exists")?;
        let event = Event::try_from(event.as_ref().clone()).map_err(|e| format!("{e}"))?;
        let body = serde_json::to_string(&event.to_json())
            .map_err(|e| format!("could not render the event: {e}"))?;
        let id = format!("evt_{}", job.delivery.event_id);
        let timestamp = Utc::now().timestamp();
        let signature = standardwebhooks::Webhook::new(&endpoint.secret)
            .and_then(|hook| hook.sign(&id, timestamp, body.as_bytes()))
            .map_err(|e| format!("could not sign: {e}"))?;
        let response = self
            .client
            .post(&endpoint.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(standardwebhooks::HEADER_WEBHOOK_ID, id)
            .header(
                standardwebhooks::HEADER_WEBHOOK_TIMESTAMP,
                timestamp.to_string(),
            )
            .header(standardwebhooks::HEADER_WEBHOOK_SIGNATURE, signature)
            .body(body)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        Ok(response.status().as_u16())
    }
}

/// The first of these jobs whose claim still runs long enough for an attempt and its record,
/// dropping those before it whose claim does not (they are claimed again once it ran out, by
/// this node or another).
fn next_sendable(queued: &mut VecDeque<Job>, now: chrono::DateTime<Utc>) -> Option<Job> {
    let send_by = now + SEND_BEFORE_CLAIM_ENDS;
    std::iter::from_fn(|| queued.pop_front()).find(|job| {
        job.delivery
            .claimed_until
            .is_some_and(|until| until > send_by)
    })
}

/// Aborts the task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `text` cut to its first `chars` characters (at a character, never inside one: `truncate`
/// at a byte count panics inside a multi-byte character).
fn clipped(mut text: String, chars: usize) -> String {
    if let Some((end, _)) = text.char_indices().nth(chars) {
        text.truncate(end);
    }
    text
}

/// A failed request in one line, with its cause (reqwest's own message names only the URL).
fn describe(err: &reqwest::Error) -> String {
    let mut text = if err.is_timeout() {
        format!("no answer within {} s", TIMEOUT.as_secs())
    } else {
        err.to_string()
    };
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_retries_for_more_than_a_day() {
        let schedule = WebhookSettings::default().retry_schedule.0;
        assert_eq!(schedule.len(), 7);
        let total: Duration = schedule.iter().sum();
        assert!(total > Duration::from_secs(24 * 3600), "{total:?}");
    }

    #[test]
    fn a_schedule_is_durations_within_bounds() {
        assert_eq!(
            parse_schedule("100ms, 2s,1m"),
            Ok(RetrySchedule(vec![
                Duration::from_millis(100),
                Duration::from_secs(2),
                Duration::from_secs(60)
            ]))
        );
        for bad in ["", "5", "5x", "0s", "8days", &["1s"; 21].join(",")] {
            assert!(parse_schedule(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_long_reason_is_cut_at_a_character() {
        let euros = "€".repeat(600);
        assert_eq!(clipped(euros.clone(), MAX_ERROR_CHARS), "€".repeat(500));
        assert_eq!(clipped("short".into(), MAX_ERROR_CHARS), "short");
    }

    #[test]
    fn a_lane_leaves_a_delivery_whose_claim_ends_before_an_attempt_could() {
        let now = Utc::now();
        let job = |id: i64, claim_left: Duration| Job {
            delivery: webhook_delivery::Model {
                id,
                endpoint_id: 1,
                event_id: id,
                status: store::PENDING.into(),
                attempts: 0,
                next_attempt_at: now,
                claimed_until: Some(
                    now + chrono::Duration::from_std(claim_left).unwrap_or_default(),
                ),
                last_attempt_at: None,
                last_status: None,
                last_error: None,
            },
            parts: None,
        };
        let margin = SEND_BEFORE_CLAIM_ENDS;
        let mut queued = VecDeque::from([
            job(1, margin - Duration::from_secs(1)),
            job(2, margin),
            job(3, margin + Duration::from_secs(1)),
            job(4, Duration::from_secs(1)),
        ]);
        let sent = next_sendable(&mut queued, now).map(|job| job.delivery.id);
        assert_eq!(
            sent,
            Some(3),
            "the first whose claim outlasts an attempt and its record"
        );
        assert_eq!(
            queued.len(),
            1,
            "the two before it are left, the one after it waits"
        );
        assert_eq!(next_sendable(&mut queued, now).map(|j| j.delivery.id), None);
        assert!(queued.is_empty());
        assert!(
            CLAIM > SEND_BEFORE_CLAIM_ENDS + TIMEOUT,
            "a fresh claim has room for attempts"
        );
    }

    #[test]
    fn a_secret_is_what_standard_webhooks_verifiers_take() {
        let secret = new_secret();
        assert!(secret.starts_with("whsec_"));
        assert!(standardwebhooks::Webhook::new(&secret).is_ok());
        assert_ne!(secret, new_secret());
    }
}
