//! Spawning the app and seeding the data each test needs.

use entity::invoice;
use invoices_api::config::Limits;
use invoices_api::domain::permission::Permission;
use invoices_api::startup::Application;
use invoices_api::store::admin::{self, NewProject};
use invoices_api::store::database;
use invoices_api::webhooks::{RetrySchedule, WebhookSettings};
use reqwest::Method;
use reqwest::header::HeaderMap;
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use std::num::NonZeroU32;

pub const VERSION: &str = "2024-06-15";

/// The retry schedule of the test servers' webhooks: three quick retries.
pub const WEBHOOK_RETRIES: [std::time::Duration; 3] = [std::time::Duration::from_millis(100); 3];

/// The invoice's fields, in the order of the seed page's schema.
pub const SEED_INVOICE_FIELDS: [&str; 15] = [
    "id",
    "created_at",
    "updated_at",
    "status",
    "invoice_number",
    "purchase_order",
    "value",
    "exchange_rate",
    "issue_date",
    "payment_date",
    "notes",
    "project_id",
    "budget_area_uid",
    "vat_rate_id",
    "payment_term_id",
];

/// A running server and a handle on its database.
pub struct TestApp {
    pub address: String,
    /// The metrics listener's address, when the app serves metrics.
    pub metrics_address: Option<String>,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub database: FreshDatabase,
    /// Stops the server (see [`TestApp::stop`]).
    stop: std::sync::Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    stopped: std::sync::Mutex<Option<tokio::task::JoinHandle<anyhow::Result<()>>>>,
}

/// A database of its own for one test, and what must live as long as it.
pub struct FreshDatabase {
    pub url: String,
    _dir: tempfile::TempDir,
}

/// The default limits with a rate limit of `per_minute` requests per token.
pub fn rate_limited(per_minute: u32) -> Limits {
    Limits {
        rate_limit_per_minute: NonZeroU32::new(per_minute),
        ..Limits::default()
    }
}

/// Waits for the next minute when this one ends within 5 s, so that a test of the rate limit
/// (a budget per calendar minute on PostgreSQL) runs within one minute.
pub async fn within_one_minute() {
    let into = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs_f64()
        % 60.0;
    if into > 55.0 {
        tokio::time::sleep(std::time::Duration::from_secs_f64(60.5 - into)).await;
    }
}

/// A new, empty database: a SQLite file in a temporary directory, or, when
/// `TEST_DATABASE_URL` names a PostgreSQL server (see `tests/with-postgres.sh`), a new
/// database created on it.
pub async fn fresh_database() -> FreshDatabase {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if admin_url.starts_with("postgres") => {
            use sea_orm::ConnectionTrait;
            let name = format!(
                "test_{}",
                invoices_api::domain::token::generate()
                    .trim_start_matches(invoices_api::domain::token::PREFIX)
                    .get(..24)
                    .expect("long enough")
            );
            let admin = sea_orm::Database::connect(&admin_url)
                .await
                .expect("admin connects");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            admin.close().await.expect("admin closes");
            let (base, _) = admin_url
                .rsplit_once('/')
                .expect("url with a database name");
            format!("{base}/{name}")
        }
        _ => format!("sqlite://{}", dir.path().join("test.db").display()),
    };
    FreshDatabase { url, _dir: dir }
}

/// A new SQLite file in a temporary directory, whatever database the run uses.
pub fn fresh_sqlite() -> FreshDatabase {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    FreshDatabase { url, _dir: dir }
}

/// A fresh database migrated only up to migration `version`: the schema an earlier release
/// left, for a test to write that release's rows into before this build migrates the rest.
pub async fn database_at_migration(version: u32) -> (FreshDatabase, DatabaseConnection) {
    use migration::{Migrator, MigratorTrait};
    let fresh = fresh_database().await;
    // SQLite creates the file only when asked to.
    let url = if fresh.url.starts_with("sqlite") {
        format!("{}?mode=rwc", fresh.url)
    } else {
        fresh.url.clone()
    };
    let db = sea_orm::Database::connect(&url).await.expect("connects");
    Migrator::up(&db, Some(version))
        .await
        .expect("the earlier migrations");
    (fresh, db)
}

/// Starts the server on a random port over a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Limits::default()).await
}

/// Like [`spawn_app`], with other limits.
pub async fn spawn_app_with(limits: Limits) -> TestApp {
    spawn_app_configured(limits, None).await
}

/// The app with these limits and a pool of at most `pool_size` connections (`None`: the
/// default), shared with the test's own queries.
pub async fn spawn_app_configured(limits: Limits, pool_size: Option<NonZeroU32>) -> TestApp {
    spawn_app_full(limits, pool_size, Vec::new(), false).await
}

/// Webhooks delivered with this retry schedule, polled often so tests wait little.
pub fn webhook_settings(retry_schedule: &[std::time::Duration]) -> WebhookSettings {
    WebhookSettings {
        retry_schedule: RetrySchedule(retry_schedule.to_vec()),
        poll_interval: std::time::Duration::from_millis(50),
    }
}

/// The app with the default limits, letting pages of these origins call it (CORS).
pub async fn spawn_app_with_cors(origins: &[&str]) -> TestApp {
    let origins = origins.iter().map(|o| (*o).to_owned()).collect();
    spawn_app_full(Limits::default(), None, origins, false).await
}

async fn spawn_app_full(
    limits: Limits,
    pool_size: Option<NonZeroU32>,
    cors_origins: Vec<String>,
    metrics: bool,
) -> TestApp {
    let app = |app: Application| {
        app.with_cors_origins(cors_origins)
            .with_webhooks(webhook_settings(&WEBHOOK_RETRIES))
    };
    spawn_app_on(fresh_database().await, limits, pool_size, metrics, app).await
}

/// The app on the database `fresh`, made as `configure` says from one with the default
/// settings; it serves until [`TestApp::stop`].
pub async fn spawn_app_on(
    fresh: FreshDatabase,
    limits: Limits,
    pool_size: Option<NonZeroU32>,
    metrics: bool,
    configure: impl FnOnce(Application) -> Application,
) -> TestApp {
    let db = database::open_with_pool(&fresh.url, pool_size)
        .await
        .expect("database opens");
    let mut app = configure(
        Application::with_database(db.clone(), "127.0.0.1:0", limits)
            .await
            .expect("server binds"),
    );
    if metrics {
        app = app
            .with_metrics_bind("127.0.0.1:0")
            .await
            .expect("metrics listener binds");
    }
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app
        .metrics_port()
        .map(|port| format!("http://127.0.0.1:{port}"));
    let (stop, stopping) = tokio::sync::oneshot::channel::<()>();
    let stopped = tokio::spawn(app.run_until(async {
        let _ = stopping.await;
    }));
    TestApp {
        address,
        metrics_address,
        client: reqwest::Client::new(),
        db,
        database: fresh,
        stop: std::sync::Mutex::new(Some(stop)),
        stopped: std::sync::Mutex::new(Some(stopped)),
    }
}

/// `POST /api/invoices` with an `Idempotency-Key` and this raw JSON body.
pub async fn create_with_key(
    w: &World,
    token: &str,
    company: &str,
    key: &str,
    body: &str,
) -> Reply {
    w.app
        .post_invoice_raw(
            &[
                ("Authorization", &format!("Bearer {token}")),
                ("Wethod-Company", company),
                ("Wethod-Version", VERSION),
                ("Content-Type", "application/json"),
                ("Idempotency-Key", key),
            ],
            body.to_owned(),
        )
        .await
}

/// One number per table, `SELECT {of} FROM table` (`count(*)`, `coalesce(max(id), 0)`), on
/// the database at `url`, opened for it.
pub async fn per_table(
    url: &str,
    tables: impl IntoIterator<Item = String>,
    of: &str,
) -> std::collections::BTreeMap<String, i64> {
    use sea_orm::ConnectionTrait;
    let db = database::open(url).await.expect("opens");
    let mut found = std::collections::BTreeMap::new();
    for table in tables {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT {of} FROM {table}"),
            ))
            .await
            .expect("query")
            .expect("a row");
        found.insert(table, row.try_get_by_index::<i64>(0).expect("a number"));
    }
    let _ = db.close().await;
    found
}

/// How many rows the table of `E` holds.
pub async fn row_count<E: EntityTrait>(db: &DatabaseConnection) -> u64
where
    E::Model: Sync,
{
    E::find().count(db).await.expect("count rows")
}

/// The ids of a 200 whose body is a bare JSON array of objects, in order.
pub fn ids(reply: &Reply) -> Vec<i64> {
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply
        .json()
        .as_array()
        .expect("a bare JSON array")
        .iter()
        .map(|item| item["id"].as_i64().expect("id"))
        .collect()
}

/// A response, read whole.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    pub async fn from(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body reads");
        Reply {
            status,
            headers,
            text,
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a 403 whose message names the `permission` that was missing.
    #[track_caller]
    pub fn assert_forbidden_naming(&self, permission: &str) {
        let body = self.assert_error(403, "forbidden");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.contains(permission), "{message}");
    }

    /// Asserts the contract's error shape for a status and key; returns the body.
    #[track_caller]
    pub fn assert_error(&self, status: u16, key: &str) -> Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        assert!(
            self.header("content-type")
                .is_some_and(|c| c.starts_with("application/json")),
            "error is not JSON: {:?}",
            self.header("content-type")
        );
        let body = self.json();
        assert_eq!(body["key"], key, "body: {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "message missing: {body}"
        );
        body
    }

    /// Asserts a 400 `invalid_data`; returns the fields named by its failures, in order.
    #[track_caller]
    pub fn failed_fields(&self) -> Vec<String> {
        let body = self.assert_error(400, "invalid_data");
        assert_eq!(
            body["message"],
            "You provided invalid data. Check 'failures' for details."
        );
        body["failures"]
            .as_array()
            .expect("failures is an array")
            .iter()
            .map(|f| {
                assert!(f["message"].as_str().is_some_and(|m| !m.is_empty()), "{f}");
                f["field"].as_str().expect("field is a string").to_owned()
            })
            .collect()
    }
}

impl TestApp {
    /// Stops the server as a shutdown signal would (it delivers no more webhooks) and waits
    /// until it has; its pool, `db` included, is closed then.
    pub async fn stop(&self) {
        let stop = self.stop.lock().expect("lock").take();
        let stopped = self.stopped.lock().expect("lock").take();
        if let (Some(stop), Some(stopped)) = (stop, stopped) {
            let _ = stop.send(());
            stopped
                .await
                .expect("joins")
                .expect("the server stops cleanly");
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// `POST /api/invoices` as a client of the original API sends it.
    pub async fn create_invoice(&self, token: &str, company: &str, body: &Value) -> Reply {
        let response = self
            .client
            .post(self.url("/api/invoices"))
            .bearer_auth(token)
            .header("Wethod-Company", company)
            .header("Wethod-Version", VERSION)
            .json(body)
            .send()
            .await
            .expect("request sent");
        Reply::from(response).await
    }

    /// `POST /api/invoices` with exactly these headers and this raw body.
    pub async fn post_invoice_raw(
        &self,
        headers: &[(&str, &str)],
        body: impl Into<reqwest::Body>,
    ) -> Reply {
        let mut request = self.client.post(self.url("/api/invoices")).body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Reply::from(request.send().await.expect("request sent")).await
    }

    /// Any call, with these headers besides the usual ones.
    pub async fn call_with_headers(
        &self,
        company: &str,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token)
            .header("Wethod-Company", company)
            .header("Wethod-Version", VERSION);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        Reply::from(request.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        Reply::from(
            self.client
                .get(self.url(path))
                .send()
                .await
                .expect("request sent"),
        )
        .await
    }

    /// Another node serving the same database, as behind a load balancer; returns its address.
    pub async fn another_node(&self, limits: Limits) -> String {
        let db = database::open(&self.database.url)
            .await
            .expect("database opens");
        let node = Application::with_database(db, "127.0.0.1:0", limits)
            .await
            .expect("server binds")
            .with_webhooks(webhook_settings(&WEBHOOK_RETRIES));
        let address = format!("http://127.0.0.1:{}", node.port());
        tokio::spawn(node.run_until_stopped());
        address
    }

    /// Whether the database is PostgreSQL.
    pub fn on_postgres(&self) -> bool {
        self.database.url.starts_with("postgres")
    }

    pub async fn invoice_count(&self) -> u64 {
        row_count::<invoice::Entity>(&self.db).await
    }

    pub async fn stored_invoice(&self, id: i64) -> invoice::Model {
        invoice::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .expect("query")
            .expect("invoice stored")
    }

    pub async fn add_company(&self, slug: &str) {
        admin::add_company(&self.db, slug, &format!("{slug} Inc"))
            .await
            .expect("company added");
    }

    /// A member of `company` with these permissions and a token; returns the token.
    pub async fn add_member(
        &self,
        company: &str,
        email: &str,
        permissions: &[Permission],
    ) -> String {
        admin::add_user(&self.db, email, email)
            .await
            .expect("user added");
        admin::add_member(&self.db, company, email, permissions)
            .await
            .expect("member added");
        admin::add_token(&self.db, email, "test", None)
            .await
            .expect("token added")
    }

    pub async fn add_project(
        &self,
        company: &str,
        pm: &str,
        account: &str,
        job_order: Option<&str>,
        archived: bool,
    ) -> i64 {
        admin::add_project(
            &self.db,
            NewProject {
                company_slug: company,
                name: "Project",
                job_order,
                pm_email: pm,
                account_email: account,
                archived,
            },
        )
        .await
        .expect("project added")
    }

    /// Stores a job order as given, bypassing the admin command's trimming (as data written
    /// by another system might be).
    pub async fn set_job_order_raw(&self, project_id: i64, job_order: &str) {
        entity::project::Entity::update_many()
            .col_expr(entity::project::Column::JobOrder, Expr::value(job_order))
            .filter(entity::project::Column::Id.eq(project_id))
            .exec(&self.db)
            .await
            .expect("job order stored");
    }

    pub async fn add_budget_area(&self, project: i64, uid: &str, enabled: bool) -> i64 {
        admin::add_budget_area_to_project(
            &self.db,
            project,
            admin::NewBudgetArea::named(uid, "Area", enabled),
        )
        .await
        .expect("budget area added")
    }

    pub async fn add_vat_rate(&self, company: &str, archived: bool) -> i64 {
        admin::add_vat_rate(&self.db, company, "Standard", Decimal::from(22), archived)
            .await
            .expect("vat rate added")
    }

    pub async fn add_payment_term(&self, company: &str, archived: bool) -> i64 {
        admin::add_payment_term(&self.db, company, "30 days", 30, archived)
            .await
            .expect("payment term added")
    }
}

/// Two companies with people in every role the rules tell apart.
///
/// In `acme`: `pm` (with `invoices.create`, `.view`, `.edit` and `.delete`) and `account`
/// (with `invoices.create`) run `project`; `outsider` has
/// `invoices.create` but no role on it; `boss` has only `invoices.create_other`; `viewer` has
/// neither. `globex` has its own member, project and reference data.
pub struct World {
    pub app: TestApp,
    pub pm: String,
    pub account: String,
    pub outsider: String,
    pub boss: String,
    pub viewer: String,
    pub project: i64,
    pub globex_member: String,
    pub globex_project: i64,
    pub globex_vat_rate: i64,
    pub globex_payment_term: i64,
}

pub const ACME: &str = "acme";
pub const GLOBEX: &str = "globex";

impl World {
    pub async fn new() -> Self {
        Self::with_limits(Limits::default()).await
    }

    pub async fn with_limits(limits: Limits) -> Self {
        Self::on(spawn_app_with(limits).await).await
    }

    /// The world on an app that also serves metrics on a listener of their own.
    pub async fn with_metrics(limits: Limits) -> Self {
        Self::on(spawn_app_full(limits, None, Vec::new(), true).await).await
    }

    /// The world on an app whose database pool holds at most `pool_size` connections.
    pub async fn with_pool_size(pool_size: u32) -> Self {
        Self::on(spawn_app_configured(Limits::default(), NonZeroU32::new(pool_size)).await).await
    }

    /// The world's companies, members and reference data, added to `app`'s database.
    pub async fn on(app: TestApp) -> Self {
        app.add_company(ACME).await;
        app.add_company(GLOBEX).await;
        let create = [Permission::InvoicesCreate];
        let pm = app
            .add_member(
                ACME,
                "pm@acme.test",
                &[
                    Permission::InvoicesCreate,
                    Permission::InvoicesView,
                    Permission::InvoicesEdit,
                    Permission::InvoicesDelete,
                ],
            )
            .await;
        let account = app.add_member(ACME, "account@acme.test", &create).await;
        let outsider = app.add_member(ACME, "outsider@acme.test", &create).await;
        let boss = app
            .add_member(ACME, "boss@acme.test", &[Permission::InvoicesCreateOther])
            .await;
        let viewer = app
            .add_member(ACME, "viewer@acme.test", &[Permission::InvoicesView])
            .await;
        let project = app
            .add_project(
                ACME,
                "pm@acme.test",
                "account@acme.test",
                Some("JO-1"),
                false,
            )
            .await;
        let globex_member = app
            .add_member(
                GLOBEX,
                "g@globex.test",
                &[Permission::InvoicesCreate, Permission::InvoicesCreateOther],
            )
            .await;
        let globex_project = app
            .add_project(GLOBEX, "g@globex.test", "g@globex.test", Some("G-1"), false)
            .await;
        let globex_vat_rate = app.add_vat_rate(GLOBEX, false).await;
        let globex_payment_term = app.add_payment_term(GLOBEX, false).await;
        World {
            app,
            pm,
            account,
            outsider,
            boss,
            viewer,
            project,
            globex_member,
            globex_project,
            globex_vat_rate,
            globex_payment_term,
        }
    }

    /// The smallest valid body for `project`.
    pub fn minimal_body(&self) -> Value {
        json!({ "project_id": self.project, "value": 100, "issue_date": "2024-06-15" })
    }

    /// `minimal_body` with some fields replaced or added.
    pub fn body_with(&self, changes: Value) -> Value {
        let mut body = self.minimal_body();
        if let (Some(target), Some(extra)) = (body.as_object_mut(), changes.as_object()) {
            for (k, v) in extra {
                target.insert(k.clone(), v.clone());
            }
        }
        body
    }

    pub async fn create_as(&self, token: &str, body: &Value) -> Reply {
        self.app.create_invoice(token, ACME, body).await
    }

    /// Creates an invoice as the PM; returns its id.
    pub async fn invoice(&self, changes: Value) -> i64 {
        let reply = self.create_as(&self.pm, &self.body_with(changes)).await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        reply.json()["id"].as_i64().expect("id")
    }

    /// Any call in `acme`, with a JSON body when given.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Reply {
        self.app
            .call_with_headers(ACME, method, path, token, body, &[])
            .await
    }

    /// A GET in `acme`, without a body.
    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, token, None).await
    }

    /// A GET in `company`, without a body.
    pub async fn get_in(&self, company: &str, path: &str, token: &str) -> Reply {
        self.app
            .call_with_headers(company, Method::GET, path, token, None, &[])
            .await
    }

    /// Another project of `acme` with the same PM and Account as `project`; returns its id.
    pub async fn project_with(&self, job_order: Option<&str>, archived: bool) -> i64 {
        self.app
            .add_project(
                ACME,
                "pm@acme.test",
                "account@acme.test",
                job_order,
                archived,
            )
            .await
    }

    /// A member of `acme` with these permissions (and no role on `project`); returns the token.
    pub async fn member(&self, name: &str, permissions: &[Permission]) -> String {
        self.app
            .add_member(ACME, &format!("{name}@acme.test"), permissions)
            .await
    }
}

/// How a get-one operation of a company's records answers the viewer (a member with no
/// permission that matters): `{base}/{id}` is the record as the list shows it (`listed`);
/// another company's id (`theirs`) and an unknown one are a 404; a malformed id is a 400 on
/// `id`; the same call naming a company the viewer is not a member of is a 403.
pub async fn assert_get_one_is_company_scoped(w: &World, base: &str, listed: &Value, theirs: i64) {
    let id = listed["id"].as_i64().expect("the listed record has an id");
    let one = w.get(&format!("{base}/{id}"), &w.viewer).await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(&one.json(), listed, "the same object as in the list");
    for other in [theirs, 999_999] {
        w.get(&format!("{base}/{other}"), &w.viewer)
            .await
            .assert_error(404, "not_found");
    }
    for malformed in ["0", "abc"] {
        let reply = w.get(&format!("{base}/{malformed}"), &w.viewer).await;
        assert_eq!(reply.failed_fields(), ["id"], "{malformed}");
    }
    w.get_in(GLOBEX, &format!("{base}/{id}"), &w.viewer)
        .await
        .assert_error(403, "forbidden");
}
