//! Webhooks: every event is posted to the company's endpoints, signed per Standard Webhooks
//! (checked with the published `standardwebhooks` verifier), retried until a 2xx or the end of
//! the schedule, and delivered once per event across nodes.
//!
//! The test servers retry three times, 100 ms apart (`helpers::WEBHOOK_RETRIES`).

use crate::cli::Cli;
use crate::helpers::{ACME, World};
use invoices_api::domain::permission::Permission::*;
use poem::http::{HeaderMap, StatusCode};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Data;
use poem::{EndpointExt, Request, Route, Server, handler, post};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request the receiver got.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Received {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    pub(crate) fn id(&self) -> String {
        self.headers
            .get("webhook-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }
}

/// A local HTTP receiver on a random port: records every request and answers with the next
/// scripted status (200 once the script is used up); with `hold`, keeps each request open
/// until released.
#[derive(Clone, Default)]
pub(crate) struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
    hold: Option<Arc<tokio::sync::Semaphore>>,
    in_flight: Arc<Mutex<(usize, usize)>>,
}

#[handler]
async fn receive(request: &Request, body: Vec<u8>, receiver: Data<&Receiver>) -> StatusCode {
    {
        let mut flight = receiver.in_flight.lock().expect("lock");
        flight.0 += 1;
        flight.1 = flight.1.max(flight.0);
    }
    receiver.got.lock().expect("lock").push(Received {
        headers: request.headers().clone(),
        body,
    });
    if let Some(hold) = &receiver.hold {
        let _released = hold.acquire().await;
    }
    receiver.in_flight.lock().expect("lock").0 -= 1;
    let status = receiver.script.lock().expect("lock").pop_front();
    StatusCode::from_u16(status.unwrap_or(200)).unwrap_or(StatusCode::OK)
}

impl Receiver {
    /// Starts it; returns its URL.
    pub(crate) async fn start(&self) -> String {
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .expect("receiver binds");
        let port = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().map(|s| s.port()))
            .expect("a port");
        let app = Route::new().at("/hook", post(receive)).data(self.clone());
        tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
        format!("http://127.0.0.1:{port}/hook")
    }

    pub(crate) fn failing_first(statuses: &[u16]) -> Self {
        let receiver = Receiver::default();
        receiver.script.lock().expect("lock").extend(statuses);
        receiver
    }

    pub(crate) fn got(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }

    /// Waits until it got `n` requests (10 s at most); returns them.
    pub(crate) async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..200 {
            if self.got().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let got = self.got();
        assert!(got.len() >= n, "got {} of {n} requests", got.len());
        got
    }
}

/// Runs `with` on the command line of the world's database, off the test's runtime thread:
/// the server under test runs on that thread, and blocking it could leave one of its write
/// transactions open (SQLite's lock held) while the command waits for that very lock.
async fn off_runtime<T: Send + 'static>(
    w: &World,
    with: impl FnOnce(Cli) -> T + Send + 'static,
) -> T {
    let cli = Cli::for_url(&w.app.database.url);
    tokio::task::spawn_blocking(move || with(cli))
        .await
        .expect("joins")
}

/// Runs `invoices-api admin …` on the world's database.
async fn cli(w: &World, line: &str) -> std::process::Output {
    let line = line.to_owned();
    off_runtime(w, move |cli| cli.run(line.as_str())).await
}

/// Runs `invoices-api admin …`, which must fail with one line on stderr that says `says`
/// (`Cli::fails`).
async fn refused(w: &World, line: &str, says: &str) {
    let owned = line.to_owned();
    let stderr = off_runtime(w, move |cli| cli.fails(owned.as_str())).await;
    assert!(stderr.contains(says), "{line}: {stderr}");
}

/// Runs `invoices-api admin …`, which must succeed; returns stdout.
pub(crate) async fn admin(w: &World, line: &str) -> String {
    let out = cli(w, line).await;
    assert!(
        out.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
}

/// Registers an endpoint of `acme` with the CLI; returns its signing secret.
async fn add_endpoint(w: &World, url: &str, events: &[&str]) -> String {
    let mut line = format!("admin webhook add --company {ACME} --url {url}");
    for event in events {
        line.push_str(&format!(" --event {event}"));
    }
    let secret = admin(w, &line).await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    secret
}

/// The endpoints as `admin webhook list --json` shows them.
async fn listed(w: &World) -> Vec<Value> {
    let out = admin(w, &format!("admin webhook list --company {ACME} --json")).await;
    serde_json::from_str::<Value>(&out)
        .expect("JSON")
        .as_array()
        .cloned()
        .expect("an array")
}

/// Waits until the first endpoint has `n` deliveries, all settled (delivered or failed).
async fn settled(w: &World, n: i64) -> Value {
    for _ in 0..200 {
        let endpoints = listed(w).await;
        let done = endpoints[0]["delivered"].as_i64().unwrap_or(0)
            + endpoints[0]["failed"].as_i64().unwrap_or(0);
        if endpoints[0]["pending"] == json!(0) && done >= n {
            return endpoints[0].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("deliveries still pending: {:?}", listed(w).await);
}

fn verify(secret: &str, received: &Received) {
    standardwebhooks::Webhook::new(secret)
        .expect("the secret")
        .verify(&received.body, &received.headers)
        .unwrap_or_else(|e| panic!("signature of {}: {e}", received.id()));
}

async fn run_every_change(w: &World) -> i64 {
    let clerk = w
        .member(
            "clerk",
            &[
                InvoicesViewOther,
                InvoicesEditOther,
                InvoicesEditSent,
                InvoicesDeleteOther,
            ],
        )
        .await;
    let id = w.invoice(json!({})).await;
    let path = format!("/api/invoices/{id}");
    let steps = [
        (Method::PATCH, path.clone(), Some(json!({ "notes": "n" }))),
        (Method::POST, format!("{path}:send"), None),
        (
            Method::POST,
            format!("{path}:set-paid"),
            Some(json!({ "payment_date": "2024-07-01" })),
        ),
        (Method::POST, format!("{path}:set-unpaid"), None),
        (Method::DELETE, path.clone(), None),
    ];
    for (method, path, body) in steps {
        let reply = w.call(method, &path, &clerk, body.as_ref()).await;
        assert!(reply.status < 300, "{}", reply.text);
    }
    id
}

#[tokio::test]
async fn every_event_type_arrives_signed_as_the_event_the_api_lists() {
    let w = World::new().await;
    let everything = Receiver::default();
    let paid_only = Receiver::default();
    let secret = add_endpoint(&w, &everything.start().await, &[]).await;
    let paid_secret = add_endpoint(&w, &paid_only.start().await, &["invoice.paid"]).await;
    let id = run_every_change(&w).await;

    let got = everything.wait_for(6).await;
    let mut bodies: Vec<Value> = got.iter().map(Received::json).collect();
    bodies.sort_by_key(|b| b["id"].as_i64());
    let boss = w.member("auditor", &[InvoicesViewOther]).await;
    let listed_events = w.get("/api/events", &boss).await.json();
    assert_eq!(Value::from(bodies), listed_events);
    for received in &got {
        verify(&secret, received);
        assert_eq!(received.id(), format!("evt_{}", received.json()["id"]));
        assert_eq!(received.json()["invoice_id"], json!(id));
    }
    let paid = paid_only.wait_for(1).await;
    verify(&paid_secret, &paid[0]);
    assert_eq!(paid[0].json()["type"], "invoice.paid");
    // A signature made with another endpoint's secret does not verify.
    assert!(
        standardwebhooks::Webhook::new(&secret)
            .expect("secret")
            .verify(&paid[0].body, &paid[0].headers)
            .is_err()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(everything.got().len(), 6, "each event once");
    assert_eq!(paid_only.got().len(), 1);
    let summary = settled(&w, 6).await;
    assert_eq!(summary["delivered"], json!(6));
    assert_eq!(summary["state"], "enabled");
    assert!(summary["last_success_at"].is_string(), "{summary}");
    assert_eq!(summary["last_failure_at"], Value::Null);
}

#[tokio::test]
async fn a_receiver_failing_three_times_gets_the_same_message_until_its_2xx() {
    let w = World::new().await;
    let receiver = Receiver::failing_first(&[500, 503, 404]);
    let secret = add_endpoint(&w, &receiver.start().await, &[]).await;
    w.invoice(json!({})).await;
    let got = receiver.wait_for(4).await;
    let summary = settled(&w, 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got_after = receiver.got();
    assert_eq!(
        got_after.len(),
        4,
        "one try and three retries, then no more"
    );
    for received in &got {
        verify(&secret, received);
        assert_eq!(
            received.id(),
            got[0].id(),
            "the same webhook-id on every retry"
        );
        assert_eq!(received.body, got[0].body);
    }
    assert_eq!(summary["delivered"], json!(1));
    assert_eq!(summary["failed"], json!(0));
    // The last success came after the last failure, whose status and reason are kept.
    let (success, failure) = (&summary["last_success_at"], &summary["last_failure_at"]);
    let at = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap_or_default());
    assert!(
        at(success).expect("a time") >= at(failure).expect("a time"),
        "{summary}"
    );
    assert_eq!(summary["last_failure_status"], json!(404));
    assert_eq!(summary["last_failure_error"], "HTTP 404");
}

#[tokio::test]
async fn a_receiver_down_for_the_whole_schedule_ends_up_marked_failed() {
    let w = World::new().await;
    // A port nothing listens on: every attempt is a refused connection.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hook", closed.local_addr().expect("address"));
    drop(closed);
    add_endpoint(&w, &url, &[]).await;
    let failing = Receiver::failing_first(&[500; 10]);
    let answered = failing.start().await;
    w.invoice(json!({})).await;
    let summary = settled(&w, 1).await;
    assert_eq!(summary["failed"], json!(1));
    assert_eq!(summary["delivered"], json!(0));
    assert_eq!(summary["last_success_at"], Value::Null);
    assert!(summary["last_failure_at"].is_string(), "{summary}");
    assert_eq!(summary["last_failure_status"], Value::Null);
    let error = summary["last_failure_error"].as_str().unwrap_or_default();
    assert!(error.contains("onnect"), "{error}");

    // An endpoint answering 500 every time: four attempts, then failed with its status.
    admin(&w, &format!("admin webhook remove --company {ACME} --id 1")).await;
    add_endpoint(&w, &answered, &[]).await;
    w.invoice(json!({})).await;
    let summary = settled(&w, 1).await;
    assert_eq!(summary["failed"], json!(1));
    assert_eq!(summary["last_failure_status"], json!(500));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(failing.got().len(), 4);
}

#[tokio::test]
async fn an_endpoint_gets_only_changes_made_after_it_was_added_and_nothing_once_removed() {
    let w = World::new().await;
    w.invoice(json!({})).await;
    // On PostgreSQL an endpoint starts at the visibility horizon: changes committed just
    // before it was added may still be sent, those visible before it was added never are.
    crate::events::all_committed_visible(&w.app.db).await;
    let receiver = Receiver::default();
    let url = receiver.start().await;
    add_endpoint(&w, &url, &[]).await;
    let after = w.invoice(json!({})).await;
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].json()["invoice_id"], json!(after));
    let endpoints = listed(&w).await;
    assert_eq!(endpoints.len(), 1);
    assert_eq!(endpoints[0]["url"], json!(url));
    assert_eq!(endpoints[0]["events"], "all");
    assert!(endpoints[0].get("secret").is_none(), "{endpoints:?}");

    admin(&w, &format!("admin webhook remove --company {ACME} --id 1")).await;
    assert!(listed(&w).await.is_empty());
    w.invoice(json!({})).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(receiver.got().len(), 1);
}

#[tokio::test]
async fn the_cli_refuses_bad_endpoints_with_one_line() {
    let w = World::new().await;
    for (line, says) in [
        ("--url ftp://x.test/hook", "http"),
        ("--url not-a-url", "not a URL"),
        (
            "--url http://x.test/ --event invoice.moved",
            "not an event type",
        ),
    ] {
        refused(
            &w,
            &format!("admin webhook add --company {ACME} {line}"),
            says,
        )
        .await;
    }
    refused(
        &w,
        "admin webhook remove --company acme --id 9",
        "no webhook endpoint 9",
    )
    .await;
}

#[tokio::test]
async fn a_receiver_that_hangs_holds_a_few_deliveries_and_never_the_api() {
    let w = World::new().await;
    let hold = Arc::new(tokio::sync::Semaphore::new(0));
    let receiver = Receiver {
        hold: Some(Arc::clone(&hold)),
        ..Receiver::default()
    };
    add_endpoint(&w, &receiver.start().await, &[]).await;
    // More changes than lanes while the receiver holds every request open: each is answered.
    let changes = invoices_api::webhooks::PER_ENDPOINT + 8;
    for _ in 0..changes {
        w.invoice(json!({})).await;
    }
    receiver
        .wait_for(invoices_api::webhooks::PER_ENDPOINT)
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        receiver.in_flight.lock().expect("lock").1,
        invoices_api::webhooks::PER_ENDPOINT,
        "at most this many deliveries in flight per endpoint"
    );
    hold.add_permits(1000);
    let got = receiver.wait_for(changes).await;
    let ids: std::collections::HashSet<String> = got.iter().map(Received::id).collect();
    assert_eq!(ids.len(), changes);
}

#[tokio::test]
async fn two_nodes_deliver_each_event_once() {
    let w = World::new().await;
    let receiver = Receiver::default();
    add_endpoint(&w, &receiver.start().await, &[]).await;
    let other = w.app.another_node(Default::default()).await;
    let nodes = [w.app.address.clone(), other];
    let mut creates = Vec::new();
    for n in 0..40 {
        let (client, url, token) = (
            w.app.client.clone(),
            format!("{}/api/invoices", nodes[n % 2]),
            w.pm.clone(),
        );
        let body = w.minimal_body();
        creates.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .header("Wethod-Company", ACME)
                .header("Wethod-Version", crate::helpers::VERSION)
                .json(&body)
                .send()
                .await
                .map(|r| r.status().as_u16())
        }));
    }
    for create in creates {
        assert_eq!(create.await.expect("task").expect("sent"), 201);
    }
    receiver.wait_for(40).await;
    settled(&w, 40).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut per_id: HashMap<String, usize> = HashMap::new();
    for received in receiver.got() {
        *per_id.entry(received.id()).or_default() += 1;
    }
    assert_eq!(per_id.len(), 40);
    let twice: Vec<_> = per_id.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
}

/// Creates an invoice through the node at `node` (another node of the world's database).
async fn create_on(w: &World, node: &str) {
    let created = w
        .app
        .client
        .post(format!("{node}/api/invoices"))
        .bearer_auth(&w.pm)
        .header("Wethod-Company", ACME)
        .header("Wethod-Version", crate::helpers::VERSION)
        .json(&w.minimal_body())
        .send()
        .await
        .expect("sent");
    assert_eq!(created.status(), 201);
}

/// The node that sends an endpoint's new events holds it; stopping, it releases the hold, so
/// another node sends the next events at once, not after the hold (50 s) ran out.
#[tokio::test]
async fn a_stopping_node_hands_its_endpoints_over_at_once() {
    use entity::webhook_endpoint;
    use sea_orm::EntityTrait;
    let w = World::new().await;
    let receiver = Receiver::default();
    add_endpoint(&w, &receiver.start().await, &[]).await;
    w.invoice(json!({})).await;
    receiver.wait_for(1).await;
    // Recorded: the cursor is past it (an event sent and not recorded is sent again).
    settled(&w, 1).await;
    let db = invoices_api::store::database::open(&w.app.database.url)
        .await
        .expect("database opens");
    let holder = || async {
        webhook_endpoint::Entity::find()
            .one(&db)
            .await
            .expect("read")
            .expect("the endpoint")
            .streamed_by
    };
    assert!(holder().await.is_some(), "the sending node holds it");
    w.app.stop().await;
    assert_eq!(holder().await, None, "released as the node stopped");
    let other = w.app.another_node(Default::default()).await;
    create_on(&w, &other).await;
    // Within `wait_for`'s 10 s, well before a hold left to run out would have ended.
    let got = receiver.wait_for(2).await;
    assert_eq!(got.len(), 2, "each event once");
}

/// A node stopped while it sends (a rolling restart) starts no new attempt, lets those under
/// way end, records them, and only then releases its endpoints: the next node sends every event
/// it did not send, and none that it did.
#[tokio::test]
async fn a_stopping_node_records_the_attempts_under_way_so_none_is_sent_twice() {
    use std::collections::HashSet;
    let w = World::new().await;
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let receiver = Receiver {
        hold: Some(Arc::clone(&gate)),
        ..Receiver::default()
    };
    add_endpoint(&w, &receiver.start().await, &[]).await;
    let lanes = invoices_api::webhooks::PER_ENDPOINT;
    for _ in 0..lanes + 4 {
        w.invoice(json!({})).await;
    }
    // Every lane has an attempt under way, held by the receiver; the other events wait.
    receiver.wait_for(lanes).await;
    let release_later = async {
        // The node is stopping by then, waiting for those attempts.
        tokio::time::sleep(Duration::from_millis(500)).await;
        gate.add_permits(10_000);
    };
    tokio::join!(w.app.stop(), release_later);
    assert_eq!(
        receiver.got().len(),
        lanes,
        "no attempt started while stopping"
    );
    let other = w.app.another_node(Default::default()).await;
    create_on(&w, &other).await;
    let events = lanes + 5;
    receiver.wait_for(events).await;
    // Time for a duplicate to arrive, had there been one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ids: Vec<String> = receiver.got().iter().map(Received::id).collect();
    let distinct: HashSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), events, "{ids:?}");
    assert_eq!(ids.len(), events, "an event sent twice: {ids:?}");
}

#[tokio::test]
async fn settled_deliveries_are_purged_after_thirty_days_and_pending_ones_never() {
    use entity::webhook_delivery;
    use invoices_api::store::webhooks::{KEEP_SETTLED, purge_settled_before};
    use sea_orm::{ActiveModelTrait, EntityTrait, NotSet, Set};
    let w = World::new().await;
    let failing = Receiver::failing_first(&[500; 100]);
    add_endpoint(&w, &failing.start().await, &[]).await;
    // Its first attempt fails, so the event has a row, delivered by the retry.
    let delivered = Receiver::failing_first(&[500]);
    add_endpoint(&w, &delivered.start().await, &[]).await;
    w.invoice(json!({})).await;
    delivered.wait_for(2).await;
    settled(&w, 1).await;
    for _ in 0..200 {
        if listed(&w).await[1]["delivered"] == json!(1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A delivery still pending whose last attempt was long ago: its retry is a day away.
    let now = chrono::Utc::now();
    webhook_delivery::ActiveModel {
        id: NotSet,
        endpoint_id: Set(1),
        event_id: Set(999_999),
        status: Set("pending".into()),
        attempts: Set(5),
        next_attempt_at: Set(now + chrono::Duration::days(1)),
        claimed_until: Set(None),
        last_attempt_at: Set(Some(now - chrono::Duration::days(40))),
        last_status: Set(Some(503)),
        last_error: Set(Some("HTTP 503".into())),
    }
    .insert(&w.app.db)
    .await
    .expect("inserted");
    // Nothing settled longer ago than the window: nothing purged.
    let purge = |before| purge_settled_before(&w.app.db, before);
    assert_eq!(purge(now - KEEP_SETTLED).await.expect("purge"), 0);
    // Thirty days on: the delivered and the failed go, the pending stays.
    assert_eq!(purge(now + KEEP_SETTLED).await.expect("purge"), 2);
    let left = webhook_delivery::Entity::find()
        .all(&w.app.db)
        .await
        .expect("deliveries");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].event_id, 999_999);
    // The endpoint's count of deliveries is its own: purging the rows does not lower it.
    assert_eq!(listed(&w).await[1]["delivered"], json!(1));
}

/// An endpoint that another node holds (`streamed_by`, until `streamed_until`) gets none of
/// its new events from this node until the hold ends (the other node sends them); a hold that
/// ran out (that node died) is taken over, and the events are sent.
#[tokio::test]
async fn an_endpoint_another_node_holds_gets_its_events_once_the_hold_ends() {
    use entity::webhook_endpoint;
    use sea_orm::{EntityTrait, sea_query::Expr};
    let w = World::new().await;
    let receiver = Receiver::default();
    add_endpoint(&w, &receiver.start().await, &[]).await;
    let until = chrono::Utc::now() + chrono::Duration::seconds(2);
    webhook_endpoint::Entity::update_many()
        .col_expr(
            webhook_endpoint::Column::StreamedBy,
            Expr::val("a-later-node"),
        )
        .col_expr(webhook_endpoint::Column::StreamedUntil, Expr::val(until))
        .exec(&w.app.db)
        .await
        .expect("held");
    w.invoice(json!({})).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(receiver.got().is_empty(), "sent while another node held it");
    assert_eq!(
        listed(&w).await[0]["pending"],
        json!(1),
        "the event waits past the cursor"
    );
    let got = receiver.wait_for(1).await;
    assert!(chrono::Utc::now() >= until, "sent before the hold ended");
    assert_eq!(got.len(), 1);
    assert_eq!(settled(&w, 1).await["delivered"], json!(1));
}

#[tokio::test]
async fn a_receiver_that_hangs_with_a_backlog_does_not_hold_up_another_endpoint() {
    let w = World::new().await;
    let hold = Arc::new(tokio::sync::Semaphore::new(0));
    let hanging = Receiver {
        hold: Some(Arc::clone(&hold)),
        ..Receiver::default()
    };
    add_endpoint(&w, &hanging.start().await, &[]).await;
    // A backlog for the hanging endpoint, due before anything the other one will be owed.
    for _ in 0..80 {
        w.invoice(json!({})).await;
    }
    hanging.wait_for(invoices_api::webhooks::PER_ENDPOINT).await;
    // Events committed but still behind the horizon when an endpoint is added may be sent to
    // it too (on PostgreSQL another test's open transaction holds the horizon back): wait, so
    // that the healthy endpoint is owed exactly the five below.
    crate::events::all_committed_visible(&w.app.db).await;
    let healthy = Receiver::default();
    add_endpoint(&w, &healthy.start().await, &[]).await;
    for _ in 0..5 {
        w.invoice(json!({})).await;
    }
    let got = healthy.wait_for(5).await;
    assert_eq!(got.len(), 5);
    hold.add_permits(1000);
}

#[tokio::test]
async fn the_metrics_count_webhook_attempts_by_outcome() {
    use crate::metrics::{sample, scrape};
    let w = World::with_metrics(Default::default()).await;
    let receiver = Receiver::failing_first(&[500]);
    add_endpoint(&w, &receiver.start().await, &[]).await;
    w.invoice(json!({})).await;
    receiver.wait_for(2).await;
    settled(&w, 1).await;
    let lines = scrape(&w).await;
    let attempts = |outcome: &str| {
        sample(
            &lines,
            &format!("invoices_webhook_attempts_total{{outcome=\"{outcome}\"}}"),
        )
    };
    assert_eq!(attempts("retry"), 1.0);
    assert_eq!(attempts("delivered"), 1.0);
    assert_eq!(attempts("failed"), 0.0);
    assert_eq!(sample(&lines, "invoices_webhook_deliveries_in_flight"), 0.0);
    // One delivery, made after a retry: its lag is at least the retry's wait (100 ms).
    let lag = "invoices_webhook_delivery_lag_seconds";
    assert_eq!(sample(&lines, &format!("{lag}_count")), 1.0);
    assert!(sample(&lines, &format!("{lag}_sum")) >= 0.1, "{lines:?}");
    assert_eq!(
        sample(&lines, &format!("{lag}_bucket{{le=\"0.005\"}}")),
        0.0
    );
    assert_eq!(sample(&lines, &format!("{lag}_bucket{{le=\"+Inf\"}}")), 1.0);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("invoices_webhook_pending_deliveries ")),
        "the backlog gauge"
    );
}

/// The events a receiver got, one per event id (a retry or a replay sends one again), in id
/// order.
fn by_event_id(got: &[Received]) -> Vec<Value> {
    let mut bodies: Vec<Value> = got.iter().map(Received::json).collect();
    bodies.sort_by_key(|b| b["id"].as_i64());
    bodies.dedup_by_key(|b| b["id"].as_i64());
    bodies
}

#[tokio::test]
async fn per_invoice_the_event_ids_order_its_changes_under_concurrent_writers() {
    const INVOICES: usize = 3;
    const WRITERS: usize = 8;
    const EDITS: usize = 5;
    let w = Arc::new(World::new().await);
    let clerk = w
        .member("clerk", &[InvoicesViewOther, InvoicesEditOther])
        .await;
    let receiver = Receiver::default();
    add_endpoint(&w, &receiver.start().await, &[]).await;
    let mut invoices = Vec::new();
    for _ in 0..INVOICES {
        invoices.push(w.invoice(json!({})).await);
    }
    // Every writer edits every invoice, all at once: the deliveries go out while they write.
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let (w, clerk, invoices) = (Arc::clone(&w), clerk.clone(), invoices.clone());
        writers.push(tokio::spawn(async move {
            for edit in 0..EDITS {
                for id in &invoices {
                    let body = json!({ "notes": format!("writer {writer} edit {edit}") });
                    let path = format!("/api/invoices/{id}");
                    let reply = w.call(Method::PATCH, &path, &clerk, Some(&body)).await;
                    assert_eq!(reply.status, 200, "{}", reply.text);
                }
            }
        }));
    }
    for writer in writers {
        writer.await.expect("the writer");
    }
    let total = INVOICES * (1 + WRITERS * EDITS);
    let events = by_event_id(&receiver.wait_for(total).await);
    assert_eq!(events.len(), total);
    // Per invoice, in event id order, each edit starts from the notes the one before left.
    for id in invoices {
        let chain: Vec<&Value> = events
            .iter()
            .filter(|e| e["invoice_id"] == json!(id))
            .collect();
        assert_eq!(chain.len(), 1 + WRITERS * EDITS);
        assert_eq!(chain[0]["type"], "invoice.created");
        for pair in chain.windows(2) {
            assert_eq!(
                pair[1]["previous"]["notes"], pair[0]["data"]["notes"],
                "invoice {id}: event {} does not follow event {}",
                pair[1]["id"], pair[0]["id"]
            );
        }
    }
}

#[tokio::test]
async fn a_replay_sends_exactly_the_events_after_the_cursor_with_their_ids() {
    let w = World::new().await;
    let receiver = Receiver::default();
    add_endpoint(&w, &receiver.start().await, &[]).await;
    for _ in 0..5 {
        w.invoice(json!({})).await;
    }
    let first = by_event_id(&receiver.wait_for(5).await);
    settled(&w, 5).await;
    let cursor = first[2]["id"].as_i64().expect("an id");
    let out = admin(
        &w,
        &format!("admin webhook replay --company {ACME} --id 1 --since {cursor}"),
    )
    .await;
    assert_eq!(out, "queued 2 deliveries again for webhook endpoint 1");
    receiver.wait_for(7).await;
    settled(&w, 5).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again = by_event_id(&receiver.got()[5..]);
    assert_eq!(
        receiver.got().len(),
        7,
        "the two events after the cursor, once each"
    );
    // The same events, with their original webhook-ids.
    assert_eq!(again, first[3..].to_vec());
    for received in &receiver.got()[5..] {
        assert_eq!(received.id(), format!("evt_{}", received.json()["id"]));
    }
    // A cursor at the last event replays nothing; an unknown endpoint is refused.
    let last = first[4]["id"].as_i64().expect("an id");
    let out = admin(
        &w,
        &format!("admin webhook replay --company {ACME} --id 1 --since {last}"),
    )
    .await;
    assert_eq!(out, "queued 0 deliveries again for webhook endpoint 1");
    refused(
        &w,
        &format!("admin webhook replay --company {ACME} --id 9 --since 0"),
        "no webhook endpoint 9",
    )
    .await;
    // `--since=-1`: as `--since -1`, clap would take the value for a flag and refuse that.
    refused(
        &w,
        &format!("admin webhook replay --company {ACME} --id 1 --since=-1"),
        "-1 is not in 0..",
    )
    .await;
}

#[tokio::test]
async fn a_disabled_endpoint_keeps_its_backlog_and_gets_it_when_enabled() {
    let w = World::new().await;
    let receiver = Receiver::default();
    let secret = add_endpoint(&w, &receiver.start().await, &[]).await;
    let out = admin(
        &w,
        &format!("admin webhook disable --company {ACME} --id 1"),
    )
    .await;
    assert_eq!(out, "disabled webhook endpoint 1");
    for _ in 0..3 {
        w.invoice(json!({})).await;
    }
    // The events are queued for it, and none is sent.
    let mut endpoint = json!(null);
    for _ in 0..200 {
        endpoint = listed(&w).await[0].clone();
        if endpoint["pending"] == json!(3) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(endpoint["pending"], json!(3), "{endpoint}");
    assert_eq!(endpoint["state"], "disabled");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(receiver.got().is_empty(), "nothing sent while disabled");

    let out = admin(&w, &format!("admin webhook enable --company {ACME} --id 1")).await;
    assert_eq!(out, "enabled webhook endpoint 1");
    let got = receiver.wait_for(3).await;
    for received in &got {
        verify(&secret, received);
    }
    let summary = settled(&w, 3).await;
    assert_eq!(summary["delivered"], json!(3));
    assert_eq!(summary["state"], "enabled");
    refused(
        &w,
        &format!("admin webhook disable --company {ACME} --id 9"),
        "no webhook endpoint 9",
    )
    .await;
}
