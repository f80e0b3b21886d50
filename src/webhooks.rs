//! Delivering invoice events to the companies' webhook endpoints, signed per the Standard
//! Webhooks specification (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
//!
//! Every node runs one [`Deliverer`] beside the API. Each poll it holds the endpoints with new
//! events that no other node holds (`store::webhook_streams`) and reads each one's next events,
//! as many as it may have unsent ([`CLAIMED_PER_ENDPOINT`]): they are sent without a row each.
//! Then it claims the delivery rows that are due (retries, replays, another node's expired
//! claims) in one statement, and reads their events and endpoints in one query each. Each
//! endpoint's work goes through at most [`PER_ENDPOINT`] lanes (tasks posting one event after
//! another over the client's kept-alive connections), so a slow or dead receiver holds only
//! its own deliveries, never a request. The outcomes go to one recorder task, which writes all
//! that arrived in the last [`RECORD_EVERY`] in one transaction: a failed streamed event
//! becomes a row to retry, a success only a count on its endpoint, and each stream's cursor
//! moves up to its first event whose outcome is not written yet. So the database work per
//! delivery is a share of a few statements, and on SQLite the deliverer takes the one writer's
//! turn (in line with the creates) a few times per poll and at most ten times a second to
//! record, never once per delivery. A poll runs on every tick, and as soon as an endpoint's
//! unsent work falls to half, so a busy endpoint's lanes never run dry.
//!
//! A claim on a row, and a hold on an endpoint, last [`CLAIM`] (the hold is renewed by every
//! poll and record while the node has work for it): a lane starts a send only while the claim
//! or hold has longer than [`TIMEOUT`] and a margin to run. So a node that died holds its
//! deliveries for [`CLAIM`] at most; its streams' cursors stay before every event it sent
//! without recording, and the next holder sends those again. A node that stops
//! ([`Deliverer::stop`]) starts no new send, lets those under way end and records them, then
//! releases its holds: the next holder sends nothing it sent, and starts at once.
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
use crate::store::webhook_streams as streams;
use crate::store::webhooks::{self as store, Attempt};
use crate::wire::event::Event;
use base64::Engine;
use chrono::Utc;
use entity::{invoice_event, webhook_delivery, webhook_endpoint};
use poem_openapi::types::ToJSON;
use rand::RngExt;
use sea_orm::DatabaseConnection;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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

/// Sends the events of the endpoints this node holds, and the delivery rows it claims.
#[derive(Clone)]
pub struct Deliverer {
    db: DatabaseConnection,
    /// SQLite's one writer's turn, shared with the creates of this node.
    turns: WriteTurns,
    client: reqwest::Client,
    settings: WebhookSettings,
    /// This node, as its holds on endpoints name it.
    me: Arc<str>,
    /// What this node has to send and has sent without recording yet, per endpoint.
    work: Arc<Mutex<HashMap<i64, EndpointWork>>>,
    /// Numbers the streams, so what an ended one left behind is told from the current one's.
    streams_started: Arc<AtomicU64>,
    /// Told when an endpoint's unsent work falls to half, so more is read or claimed at once.
    freed: Arc<tokio::sync::Notify>,
    /// Set by [`Deliverer::stop`]: no poll reads or claims, no lane starts a send.
    stopping: Arc<AtomicBool>,
    /// Where the lanes (and the polls) hand what to record to the recorder.
    outcomes: mpsc::UnboundedSender<ToRecord>,
    /// The recorder's end, taken by [`Deliverer::run`].
    recorder: Arc<Mutex<Option<mpsc::UnboundedReceiver<ToRecord>>>>,
    /// What the node counts, when it serves metrics.
    metrics: Option<Arc<Metrics>>,
}

/// What the recorder writes.
enum ToRecord {
    /// An attempt; of a streamed event, with its stream's number.
    Attempt(store::Made, Option<u64>),
    /// A stream read past events: its endpoint's cursor may move (past those the endpoint
    /// does not take, too).
    Read { endpoint_id: i64, stream: u64 },
    /// Told once everything sent before it is recorded (or failed to be).
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// An event to send, from a delivery row this node claimed or from a stream it holds.
struct Job {
    endpoint_id: i64,
    event_id: i64,
    /// Attempts made before this one.
    attempts: i32,
    source: Source,
    /// `None` when the event or the endpoint no longer exists.
    parts: Option<(Arc<invoice_event::Model>, Arc<webhook_endpoint::Model>)>,
}

enum Source {
    /// A delivery row, claimed until then.
    Row {
        id: i64,
        claimed_until: Option<chrono::DateTime<Utc>>,
    },
    /// The stream with this number.
    Stream(u64),
}

/// A node's stream of an endpoint's new events, for as long as it holds the endpoint.
struct Stream {
    number: u64,
    /// The next event to read.
    next: i64,
    /// Read and not recorded yet: waiting, being sent, or sent.
    outstanding: BTreeSet<i64>,
    /// The end of the hold as this node last renewed it; in the past once the stream ended
    /// (a failed record, a send left undone), so the next poll starts another from the
    /// endpoint's cursor.
    held_until: chrono::DateTime<Utc>,
}

impl Stream {
    /// Where the endpoint's cursor may move once the outcomes of `recorded` are written: the
    /// first event outstanding but for those, or the next to read.
    fn cursor_after(&self, recorded: &BTreeSet<i64>) -> i64 {
        self.outstanding
            .iter()
            .find(|id| !recorded.contains(id))
            .copied()
            .unwrap_or(self.next)
    }

    fn end(&mut self) {
        self.held_until = chrono::DateTime::<Utc>::MIN_UTC;
    }
}

/// One endpoint's work on this node.
#[derive(Default)]
struct EndpointWork {
    /// To send, not started yet.
    queued: VecDeque<Job>,
    /// Lanes running.
    lanes: usize,
    /// Being sent now.
    sending: usize,
    /// Sent, the outcome not recorded yet (the claim or the stream's cursor still before it).
    recording: usize,
    /// The endpoint's stream, while this node holds it.
    stream: Option<Stream>,
}

impl EndpointWork {
    /// Read or claimed and not sent yet: what reading and claiming more are limited by.
    fn unsent(&self) -> usize {
        self.queued.len() + self.sending
    }

    /// Nothing to send, nothing running, no stream still held: the entry can go (a stream
    /// whose hold ran out or ended would start again from the endpoint's cursor anyway).
    fn idle(&self) -> bool {
        self.unsent() + self.recording + self.lanes == 0
            && self
                .stream
                .as_ref()
                .is_none_or(|stream| stream.held_until <= Utc::now())
    }
}

/// How long a stopping node waits, beyond [`TIMEOUT`] for the sends under way, for the record
/// of what it sent.
const STOP_MARGIN: Duration = Duration::from_secs(5);

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
        let me = format!(
            "node-{}-{:016x}",
            std::process::id(),
            rand::rng().random::<u64>()
        );
        Ok(Deliverer {
            db,
            turns,
            client,
            settings,
            me: me.into(),
            work: Arc::default(),
            streams_started: Arc::default(),
            freed: Arc::default(),
            stopping: Arc::default(),
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

    /// Stops delivering, for a node that stops (`running` is [`Deliverer::run`]'s task): no
    /// send starts from now on, those under way end (each within [`TIMEOUT`]) and are
    /// recorded, then the task ends and the node's holds are released, so other nodes go on
    /// from the cursors at once, sending nothing this node sent. What it read or claimed and
    /// did not send stays unsent: the next holder reads the events again, and a claimed row's
    /// claim runs out ([`CLAIM`]).
    pub async fn stop(&self, running: tokio::task::JoinHandle<()>) {
        self.stopping.store(true, Ordering::SeqCst);
        let deadline = tokio::time::Instant::now() + TIMEOUT + STOP_MARGIN;
        while self.sending() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let (flushed, recorded) = tokio::sync::oneshot::channel();
        if self.outcomes.send(ToRecord::Flush(flushed)).is_ok() {
            let _ = tokio::time::timeout(STOP_MARGIN, recorded).await;
        }
        running.abort();
        if let Err(err) = streams::release(&self.db, &self.me).await {
            tracing::warn!(error = %err, "could not release the webhook endpoints held");
        }
    }

    /// How many sends are under way.
    fn sending(&self) -> usize {
        self.work().values().map(|entry| entry.sending).sum()
    }

    fn work(&self) -> std::sync::MutexGuard<'_, HashMap<i64, EndpointWork>> {
        self.work.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads the new events of the endpoints this node holds (taking those behind that no
    /// node holds), then claims the delivery rows that are due, as many per endpoint as this
    /// node may hold unsent, and starts lanes for them.
    async fn poll(&self) -> Result<(), sea_orm::DbErr> {
        if self.stopping.load(Ordering::SeqCst) {
            return Ok(());
        }
        let mut jobs = self.read_streams().await?;
        let mut held: HashMap<i64, usize> = self
            .work()
            .iter()
            .map(|(endpoint, work)| (*endpoint, work.unsent()))
            .collect();
        for job in &jobs {
            *held.entry(job.endpoint_id).or_default() += 1;
        }
        let now = Utc::now();
        let full: Vec<i64> = held
            .iter()
            .filter(|(_, n)| **n >= CLAIMED_PER_ENDPOINT)
            .map(|(endpoint, _)| *endpoint)
            .collect();
        // Retries, replays, rows whose claim ran out.
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
            let claimed = {
                let _turn = self.turns.take().await;
                store::claim(&self.db, &wanted, now, now + CLAIM).await?
            };
            jobs.extend(self.row_jobs(claimed).await?);
        }
        if jobs.is_empty() {
            return Ok(());
        }
        let mut lanes_to_start = Vec::new();
        {
            let mut work = self.work();
            for job in jobs {
                let endpoint = job.endpoint_id;
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

    /// Takes or renews the holds, and reads the next events of each endpoint held, as many as
    /// it may have unsent: they are outstanding in its stream until recorded.
    async fn read_streams(&self) -> Result<Vec<Job>, sea_orm::DbErr> {
        let now = Utc::now();
        let until = now + CLAIM;
        let held = streams::hold_behind(&self.db, &self.turns, &self.me, now, until).await?;
        let mut jobs = Vec::new();
        for endpoint in held.endpoints {
            let endpoint = Arc::new(endpoint);
            let (number, from, room) = {
                let mut work = self.work();
                let entry = work.entry(endpoint.id).or_default();
                let room = CLAIMED_PER_ENDPOINT.saturating_sub(entry.unsent());
                let stream = match &mut entry.stream {
                    // Held all along: it goes on where it stands.
                    Some(stream) if stream.held_until > now => stream,
                    // Held anew: from the endpoint's cursor.
                    slot => slot.insert(Stream {
                        number: self.streams_started.fetch_add(1, Ordering::Relaxed),
                        next: endpoint.next_event_id,
                        outstanding: BTreeSet::new(),
                        held_until: until,
                    }),
                };
                stream.held_until = until;
                (stream.number, stream.next, room)
            };
            if room == 0 {
                continue;
            }
            let limit = u64::try_from(room).unwrap_or(u64::MAX);
            let events = streams::new_events(&self.db, &endpoint, from, held.below, limit).await?;
            let Some(last) = events.last().map(|e| e.id) else {
                continue;
            };
            {
                let mut work = self.work();
                let Some(stream) = work
                    .get_mut(&endpoint.id)
                    .and_then(|entry| entry.stream.as_mut())
                    .filter(|stream| stream.number == number)
                else {
                    continue;
                };
                stream.next = last + 1;
                for event in events {
                    if !streams::takes(&endpoint, &event.r#type) {
                        continue;
                    }
                    stream.outstanding.insert(event.id);
                    jobs.push(Job {
                        endpoint_id: endpoint.id,
                        event_id: event.id,
                        attempts: 0,
                        source: Source::Stream(number),
                        parts: Some((Arc::new(event), endpoint.clone())),
                    });
                }
            }
            // The recorder moves the cursor past what was read and not taken, too.
            let _ = self.outcomes.send(ToRecord::Read {
                endpoint_id: endpoint.id,
                stream: number,
            });
        }
        Ok(jobs)
    }

    /// The claimed rows as jobs, with their events and endpoints read in one query each.
    async fn row_jobs(
        &self,
        mut claimed: Vec<webhook_delivery::Model>,
    ) -> Result<Vec<Job>, sea_orm::DbErr> {
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
        Ok(claimed
            .into_iter()
            .map(|delivery| Job {
                endpoint_id: delivery.endpoint_id,
                event_id: delivery.event_id,
                attempts: delivery.attempts,
                parts: events
                    .get(&delivery.event_id)
                    .cloned()
                    .zip(endpoints.get(&delivery.endpoint_id).cloned()),
                source: Source::Row {
                    id: delivery.id,
                    claimed_until: delivery.claimed_until,
                },
            })
            .collect())
    }

    /// Sends the endpoint's jobs one after the other until none is left; leaves those whose
    /// claim or hold is about to run out.
    async fn lane(&self, endpoint: i64) {
        loop {
            let next = {
                let mut work = self.work();
                let Some(entry) = work.get_mut(&endpoint) else {
                    return;
                };
                // Checked under the lock `stop` counts the sends under: a send it does not
                // count is one that never starts.
                let stopping = self.stopping.load(Ordering::SeqCst);
                let next = (!stopping)
                    .then(|| next_sendable(&mut entry.queued, &mut entry.stream, Utc::now()))
                    .flatten();
                let Some(job) = next else {
                    entry.lanes = entry.lanes.saturating_sub(1);
                    if entry.idle() {
                        work.remove(&endpoint);
                    }
                    return;
                };
                entry.sending += 1;
                job
            };
            let stream = match next.source {
                Source::Stream(number) => Some(number),
                Source::Row { .. } => None,
            };
            let made = self.deliver(next).await;
            // Handed to the recorder before the send stops counting as under way, so a
            // `stop` that saw no send under way flushes after every outcome.
            let mut work = self.work();
            if self.outcomes.send(ToRecord::Attempt(made, stream)).is_err() {
                // No recorder (the node is stopping): the claim runs out, or the cursor stays
                // before the event; it is sent again.
                return;
            }
            if let Some(entry) = work.get_mut(&endpoint) {
                entry.sending = entry.sending.saturating_sub(1);
                entry.recording += 1;
                if entry.unsent() == CLAIMED_PER_ENDPOINT / 2 {
                    self.freed.notify_one();
                }
            }
            drop(work);
        }
    }

    /// Records what arrives, at most every [`RECORD_EVERY`], all that arrived meanwhile in one
    /// transaction: the attempts, and the cursors of the streams they (or reads) moved.
    async fn record(&self, mut inbox: mpsc::UnboundedReceiver<ToRecord>) {
        let mut batch = Vec::with_capacity(RECORD_BATCH);
        while inbox.recv_many(&mut batch, RECORD_BATCH).await > 0 {
            let started = tokio::time::Instant::now();
            let mut made = Vec::with_capacity(batch.len());
            let mut flushes = Vec::new();
            // Per endpoint and stream: the events whose outcomes are in this batch.
            let mut streamed: BTreeMap<(i64, u64), BTreeSet<i64>> = BTreeMap::new();
            for item in batch.drain(..) {
                match item {
                    ToRecord::Attempt(one, stream) => {
                        if let Some(number) = stream {
                            streamed
                                .entry((one.endpoint_id, number))
                                .or_default()
                                .insert(one.event_id);
                        }
                        made.push(one);
                    }
                    ToRecord::Read {
                        endpoint_id,
                        stream,
                    } => {
                        streamed.entry((endpoint_id, stream)).or_default();
                    }
                    ToRecord::Flush(flushed) => flushes.push(flushed),
                }
            }
            let until = Utc::now() + CLAIM;
            let at: BTreeMap<i64, i64> = {
                let work = self.work();
                streamed
                    .iter()
                    .filter_map(|((endpoint, number), recorded)| {
                        let stream = work.get(endpoint)?.stream.as_ref()?;
                        (stream.number == *number)
                            .then(|| (*endpoint, stream.cursor_after(recorded)))
                    })
                    .collect()
            };
            let cursors = streams::Cursors {
                me: &self.me,
                until,
                at,
            };
            let recorded = {
                let _turn = self.turns.take().await;
                store::record_attempts(&self.db, &made, &cursors).await
            };
            if let Err(err) = &recorded {
                // Claims run out and are sent again; the streams start again from their
                // cursors.
                tracing::warn!(
                    deliveries = made.len(),
                    error = %err,
                    "could not record webhook attempts"
                );
            }
            {
                let mut work = self.work();
                for one in &made {
                    if let Some(entry) = work.get_mut(&one.endpoint_id) {
                        entry.recording = entry.recording.saturating_sub(1);
                    }
                }
                for ((endpoint, number), events) in &streamed {
                    let Some(stream) = work
                        .get_mut(endpoint)
                        .and_then(|entry| entry.stream.as_mut())
                        .filter(|stream| stream.number == *number)
                    else {
                        continue;
                    };
                    match &recorded {
                        Ok(renewed) if renewed.contains(endpoint) => {
                            stream.outstanding.retain(|id| !events.contains(id));
                            stream.held_until = until;
                        }
                        // Not recorded, or no longer held by this node.
                        _ => stream.end(),
                    }
                }
                work.retain(|_, entry| !entry.idle());
            }
            for flushed in flushes {
                let _ = flushed.send(());
            }
            tokio::time::sleep_until(started + RECORD_EVERY).await;
        }
    }

    /// One attempt of a job.
    async fn deliver(&self, job: Job) -> store::Made {
        let _counted = self.metrics.as_ref().map(|m| m.webhook_in_flight());
        let at = Utc::now();
        let attempt = match self.send(&job).await {
            Ok(status) if (200..300).contains(&status) => Attempt {
                at,
                status: Some(status),
                error: None,
                retry_at: None,
            },
            Ok(status) => self.failed(&job, at, Some(status), format!("HTTP {status}")),
            Err(error) => self.failed(&job, at, None, error),
        };
        if let Some(metrics) = &self.metrics {
            metrics.webhook_attempt(attempt.outcome());
            if let (None, Some((event, _))) = (&attempt.error, &job.parts) {
                let lag = Utc::now() - event.created_at;
                metrics.webhook_delivered_after(lag.to_std().unwrap_or_default());
            }
        }
        let delivery_id = match job.source {
            Source::Row { id, .. } => Some(id),
            Source::Stream(_) => None,
        };
        if let Some(error) = &attempt.error {
            tracing::info!(
                delivery = delivery_id,
                event = job.event_id,
                endpoint = job.endpoint_id,
                error,
                retry = attempt.retry_at.is_some(),
                "webhook attempt failed"
            );
        }
        store::Made {
            delivery_id,
            endpoint_id: job.endpoint_id,
            event_id: job.event_id,
            attempt,
        }
    }

    /// A failed attempt: retried after the schedule's next wait, if there is one.
    fn failed(
        &self,
        job: &Job,
        at: chrono::DateTime<Utc>,
        status: Option<u16>,
        error: String,
    ) -> Attempt {
        let made = usize::try_from(job.attempts).unwrap_or(usize::MAX);
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

    /// Posts the job's event, signed; the answer's status, or why there was none.
    async fn send(&self, job: &Job) -> Result<u16, String> {
        let (event, endpoint) = job
            .parts
            .as_ref()
            .ok_or("the event or the endpoint no longer exists")?;
        let event = Event::try_from(event.as_ref().clone()).map_err(|e| format!("{e}"))?;
        let body = serde_json::to_string(&event.to_json())
            .map_err(|e| format!("could not render the event: {e}"))?;
        let id = format!("evt_{}", job.event_id);
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

/// The first of these jobs whose claim (a row's) or hold (a stream's) still runs long enough
/// for an attempt and its record, dropping those before it that do not: a row's is claimed
/// again once its claim ran out (by this node or another); a stream left so ends (`stream`),
/// and the next one sends again from the endpoint's cursor, which is still before it.
fn next_sendable(
    queued: &mut VecDeque<Job>,
    stream: &mut Option<Stream>,
    now: chrono::DateTime<Utc>,
) -> Option<Job> {
    let send_by = now + SEND_BEFORE_CLAIM_ENDS;
    std::iter::from_fn(|| queued.pop_front()).find(|job| match job.source {
        Source::Row { claimed_until, .. } => claimed_until.is_some_and(|until| until > send_by),
        Source::Stream(number) => match stream {
            Some(current) if current.number == number => {
                if current.held_until > send_by {
                    return true;
                }
                current.end();
                false
            }
            // An ended stream's: the current one reads it again.
            _ => false,
        },
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

    fn job(id: i64, source: Source) -> Job {
        Job {
            endpoint_id: 1,
            event_id: id,
            attempts: 0,
            source,
            parts: None,
        }
    }

    fn in_future(from: chrono::DateTime<Utc>, by: Duration) -> chrono::DateTime<Utc> {
        from + chrono::Duration::from_std(by).unwrap_or_default()
    }

    #[test]
    fn a_lane_leaves_a_delivery_whose_claim_ends_before_an_attempt_could() {
        let now = Utc::now();
        let row = |id: i64, claim_left: Duration| {
            job(
                id,
                Source::Row {
                    id,
                    claimed_until: Some(in_future(now, claim_left)),
                },
            )
        };
        let margin = SEND_BEFORE_CLAIM_ENDS;
        let mut queued = VecDeque::from([
            row(1, margin - Duration::from_secs(1)),
            row(2, margin),
            row(3, margin + Duration::from_secs(1)),
            row(4, Duration::from_secs(1)),
        ]);
        let mut no_stream = None;
        let sent = next_sendable(&mut queued, &mut no_stream, now).map(|job| job.event_id);
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
        assert_eq!(
            next_sendable(&mut queued, &mut no_stream, now).map(|j| j.event_id),
            None
        );
        assert!(queued.is_empty());
        assert!(
            CLAIM > SEND_BEFORE_CLAIM_ENDS + TIMEOUT,
            "a fresh claim has room for attempts"
        );
    }

    #[test]
    fn a_stream_whose_hold_ends_before_an_attempt_could_ends_and_an_ended_one_s_jobs_go() {
        let now = Utc::now();
        let stream = |number, hold_left| Stream {
            number,
            next: 10,
            outstanding: BTreeSet::from([7, 8, 9]),
            held_until: in_future(now, hold_left),
        };
        let long = CLAIM;
        // Jobs of an ended stream (1) are dropped; the current one's (2) are sent.
        let mut current = Some(stream(2, long));
        let mut queued = VecDeque::from([job(7, Source::Stream(1)), job(8, Source::Stream(2))]);
        let sent = next_sendable(&mut queued, &mut current, now).map(|j| j.event_id);
        assert_eq!(sent, Some(8));
        assert!(current.as_ref().is_some_and(|s| s.held_until > now));
        // A hold about to run out: the job stays unsent and the stream ends, so the next poll
        // starts another from the endpoint's cursor.
        let mut ending = Some(stream(2, SEND_BEFORE_CLAIM_ENDS - Duration::from_secs(1)));
        let mut queued = VecDeque::from([job(9, Source::Stream(2))]);
        assert!(next_sendable(&mut queued, &mut ending, now).is_none());
        assert!(ending.as_ref().is_some_and(|s| s.held_until < now));
    }

    #[test]
    fn a_stream_s_cursor_stops_at_its_first_event_not_recorded() {
        let stream = Stream {
            number: 0,
            next: 20,
            outstanding: BTreeSet::from([5, 7, 9]),
            held_until: Utc::now(),
        };
        assert_eq!(stream.cursor_after(&BTreeSet::new()), 5);
        assert_eq!(stream.cursor_after(&BTreeSet::from([5])), 7);
        assert_eq!(stream.cursor_after(&BTreeSet::from([5, 9])), 7);
        assert_eq!(stream.cursor_after(&BTreeSet::from([5, 7, 9])), 20);
    }

    #[test]
    fn a_secret_is_what_standard_webhooks_verifiers_take() {
        let secret = new_secret();
        assert!(secret.starts_with("whsec_"));
        assert!(standardwebhooks::Webhook::new(&secret).is_ok());
        assert_ne!(secret, new_secret());
    }
}
