//! Building the application: the same code serves production and the tests.

use crate::api::compression::StaticDocument;
use crate::api::{self, AppState, middleware};
use crate::config::{Limits, Settings};
use crate::connections::GuardedAcceptor;
use crate::metrics::Metrics;
use crate::store::database;
use crate::webhooks::{Deliverer, WebhookSettings};
use poem::endpoint::make_sync;
use poem::listener::{Acceptor, Listener, TcpAcceptor, TcpListener};
use poem::middleware::{CatchPanic, Cors};
use poem::{Endpoint, EndpointExt, IntoResponse, Route, Server, get};
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Duration;

/// How long in-flight requests may take to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The headers a browser page may send and read across origins: those of the contract.
const CORS_REQUEST_HEADERS: [&str; 8] = [
    "Authorization",
    "Content-Type",
    "Wethod-Company",
    "Wethod-Version",
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
    "x-request-id",
];
const CORS_RESPONSE_HEADERS: [&str; 5] = [
    "Location",
    "ETag",
    "Idempotent-Replayed",
    "x-request-id",
    "x-ratelimit-retry-after",
];

/// CORS for these origins: preflights answered, the contract's headers allowed and exposed.
fn cors(origins: &[String]) -> Cors {
    Cors::new()
        .allow_origins(origins.iter().map(String::as_str))
        .allow_methods(["GET", "POST", "PATCH", "DELETE"])
        .allow_headers(CORS_REQUEST_HEADERS)
        .expose_headers(CORS_RESPONSE_HEADERS)
        .max_age(600)
}

/// Every route of the service, wrapped in the middleware every request goes through. With
/// `cors_origins`, pages of those origins may call the API from a browser.
pub fn routes(state: AppState, cors_origins: &[String]) -> impl Endpoint + use<> {
    let docs = StaticDocument::new(
        state.spec.swagger_ui_html.clone(),
        "text/html; charset=utf-8",
    );
    let json = StaticDocument::new(state.spec.json.clone(), "application/json; charset=utf-8");
    let yaml = StaticDocument::new(state.spec.yaml(), "application/yaml; charset=utf-8");
    Route::new()
        .nest("/", api::service())
        .at("/docs", get(docs))
        .at("/openapi.json", get(json))
        .at("/openapi.yaml", get(yaml))
        .around(middleware::custom_methods)
        .around(middleware::read_only)
        .around(api::compression::compress)
        .with(CatchPanic::new().with_handler(middleware::panic_response))
        .with_if(!cors_origins.is_empty(), cors(cors_origins))
        .around(middleware::request_id)
        // Outermost, so that every layer above can read the state (limits, database).
        .data(state)
}

/// The metrics listener's one route, `GET /metrics`; anything else is a JSON 404 or 405.
pub fn metrics_routes(metrics: Arc<Metrics>, state: &AppState) -> impl Endpoint + use<> {
    let (db, turns) = (state.db.clone(), state.write_turns.clone());
    Route::new()
        .at(
            "/metrics",
            get(make_sync(move |_| {
                metrics
                    .render(&db, &turns)
                    .with_content_type(crate::metrics::CONTENT_TYPE)
            })),
        )
        .catch_all_error(|err| async move { middleware::json_error(err) })
}

/// Listens on `bind`, named by `flag` when that fails; returns the listener and its port.
async fn listen(bind: &str, flag: &str) -> anyhow::Result<(TcpAcceptor, u16)> {
    let acceptor = TcpListener::bind(bind.to_owned())
        .into_acceptor()
        .await
        .map_err(|e| {
            anyhow::anyhow!("cannot listen on {bind}: {e}; choose another address with {flag}")
        })?;
    let port = acceptor
        .local_addr()
        .first()
        .and_then(|addr| addr.as_socket_addr().map(|a| a.port()))
        .ok_or_else(|| anyhow::anyhow!("could not read the bound port of {bind}"))?;
    Ok((acceptor, port))
}

/// A bound, ready-to-run server.
pub struct Application {
    acceptor: GuardedAcceptor<TcpAcceptor>,
    port: u16,
    /// The metrics listener, when asked for (`--metrics-bind`), and its port.
    metrics: Option<(TcpAcceptor, u16)>,
    db: DatabaseConnection,
    limits: Limits,
    cors_origins: Vec<String>,
    webhooks: WebhookSettings,
    read_only: bool,
}

impl Application {
    /// Opens and migrates the database, then binds the address.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let db = if settings.read_only {
            database::open_read_only(&settings.database_url, settings.database_pool_size).await?
        } else {
            database::open_with_pool(&settings.database_url, settings.database_pool_size).await?
        };
        let mut app = Self::with_database(db, &settings.bind, settings.limits)
            .await?
            .with_read_only(settings.read_only);
        if let Some(bind) = &settings.metrics_bind {
            app = app.with_metrics_bind(bind).await?;
        }
        Ok(app
            .with_cors_origins(settings.cors_allowed_origins.clone())
            .with_webhooks(settings.webhooks.clone()))
    }

    /// Delivers webhooks with these settings (the default schedule otherwise).
    pub fn with_webhooks(mut self, webhooks: WebhookSettings) -> Self {
        self.webhooks = webhooks;
        self
    }

    /// Serves reads only: every write answers 503, and the node writes nothing itself (it
    /// delivers no webhooks, purges nothing, records no token's use).
    pub fn with_read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// Also serves the metrics, on their own listener at this address.
    pub async fn with_metrics_bind(mut self, bind: &str) -> anyhow::Result<Self> {
        self.metrics = Some(listen(bind, "--metrics-bind (or METRICS_BIND)").await?);
        Ok(self)
    }

    /// The port of the metrics listener, when there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(_, port)| *port)
    }

    /// Lets pages of these web origins call the API from a browser (CORS).
    pub fn with_cors_origins(mut self, origins: Vec<String>) -> Self {
        self.cors_origins = origins;
        self
    }

    /// Binds the address for an already opened database.
    pub async fn with_database(
        db: DatabaseConnection,
        bind: &str,
        limits: Limits,
    ) -> anyhow::Result<Self> {
        let (acceptor, port) = listen(bind, "--bind (or BIND)").await?;
        Ok(Application {
            acceptor: GuardedAcceptor::new(
                acceptor,
                limits.connections,
                api::edge::head_refusal_answer,
            ),
            port,
            metrics: None,
            db,
            limits,
            cors_origins: Vec::new(),
            webhooks: WebhookSettings::default(),
            read_only: false,
        })
    }

    /// The port actually bound (useful when asked for port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT or SIGTERM, lets in-flight requests finish, then closes the pool
    /// (so SQLite checkpoints its WAL).
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` resolves, then stops as [`Application::run_until_stopped`] does.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let mut state = AppState::new(self.db.clone(), self.limits, self.read_only)?;
        let metrics = self.metrics.map(|(acceptor, port)| {
            tracing::info!(port, "serving metrics");
            let metrics = Arc::new(Metrics::default());
            state.metrics = Some(Arc::clone(&metrics));
            let routes = metrics_routes(metrics, &state);
            // The same bounds as the API's listener: a scraper gets no more than a client.
            let acceptor = GuardedAcceptor::new(
                acceptor,
                self.limits.connections,
                api::edge::head_refusal_answer,
            );
            let server =
                Server::new_with_acceptor(acceptor).idle_timeout(self.limits.request_timeout);
            tokio::spawn(async move {
                if let Err(err) = server.run(routes).await {
                    tracing::error!(error = %err, "the metrics listener stopped");
                }
            })
        });
        let housekeeping = tokio::spawn(housekeeping(state.clone()));
        // Beside the requests, never in their way: a slow receiver holds only its deliveries.
        // A read-only node delivers nothing: recording a delivery is a write.
        let deliverer = if self.read_only {
            tracing::info!("read-only: serving reads, refusing writes, delivering no webhooks");
            None
        } else {
            let deliverer = Deliverer::new(
                self.db.clone(),
                state.write_turns.clone(),
                self.webhooks,
                state.metrics.clone(),
            )?;
            Some((deliverer.clone(), tokio::spawn(deliverer.run())))
        };
        let app = routes(state, &self.cors_origins);
        tracing::info!(port = self.port, "listening");
        Server::new_with_acceptor(self.acceptor)
            .idle_timeout(self.limits.request_timeout)
            .http2_max_concurrent_streams(self.limits.http2_max_streams)
            .http2_max_header_list_size(api::edge::MAX_HEADER_BYTES as u32)
            .run_with_graceful_shutdown(app, shutdown, Some(SHUTDOWN_GRACE))
            .await?;
        housekeeping.abort();
        if let Some((deliverer, running)) = deliverer {
            deliverer.stop(running).await;
        }
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        tracing::info!("stopped accepting; closing the database");
        self.db.close().await?;
        Ok(())
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM; `ctrl_c` alone does not see SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

/// Once a minute: lets the rate limiter and the last-used memo forget idle tokens (the limiter
/// also sees unknown tokens, so it is pruned often). Once an hour: deletes expired idempotency
/// keys, so the table holds about a day of keys, and webhook deliveries settled more than 30
/// days ago (not on a read-only node).
async fn housekeeping(state: AppState) {
    let mut every_minute = tokio::time::interval(Duration::from_secs(60));
    let mut minutes: u64 = 0;
    loop {
        every_minute.tick().await;
        minutes += 1;
        if let Some(limiter) = &state.rate_limiter {
            limiter.forget_idle().await;
        }
        state.last_used.forget_idle(chrono::Utc::now());
        if minutes % 60 != 1 || state.read_only {
            continue;
        }
        match crate::store::idempotency::purge_expired(&state.db, chrono::Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "purged expired idempotency keys"),
            Err(err) => tracing::warn!(error = %err, "could not purge expired idempotency keys"),
        }
        let settled_before = chrono::Utc::now() - crate::store::webhooks::KEEP_SETTLED;
        match crate::store::webhooks::purge_settled_before(&state.db, settled_before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "purged settled webhook deliveries"),
            Err(err) => tracing::warn!(error = %err, "could not purge webhook deliveries"),
        }
    }
}
