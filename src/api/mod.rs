//! The HTTP API: one file per resource, plus what every operation shares.

pub mod allow;
pub mod body;
pub mod caller;
pub mod compression;
pub mod conditional;
pub mod custom_methods;
pub mod edge;
pub mod error;
pub mod events;
pub mod filters;
pub mod health;
pub mod invoices;
pub mod middleware;
pub mod paging;
pub mod params;
#[cfg(test)]
mod parsing_fuzz;
pub mod rate_limit;
pub mod reference;
pub mod response_headers;
#[cfg(test)]
mod schema_agreement;
pub mod spec;
pub mod validation;

use crate::config::Limits;
use poem_openapi::{OpenApiService, ServerObject, Tags};
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub limits: Limits,
    /// Present when a per-token rate limit is configured.
    pub rate_limiter: Option<Arc<rate_limit::TokenRateLimiter>>,
    /// When this node last refreshed each token's `last_used_at` without reading the token.
    pub last_used: Arc<crate::operations::last_used::LastUsedMemo>,
    /// Turns for the one-statement create (SQLite only).
    pub write_turns: crate::store::database::WriteTurns,
    /// The finished spec, built once, and the routes it describes.
    pub spec: Arc<spec::Spec>,
    /// What this node counts, when it serves metrics (`--metrics-bind`); nothing is counted
    /// otherwise.
    pub metrics: Option<Arc<crate::metrics::Metrics>>,
    /// The storage's refusals this node saw, for `/health`.
    pub storage: Arc<crate::store::refusal::StorageWatch>,
    /// Serves reads only (`serve --read-only`): writes answer 503, and nothing of the node
    /// writes (no token's last use, no shared rate-limit counts, no purges, no deliveries).
    pub read_only: bool,
}

impl AppState {
    /// What the operations reach of this node: its database and its writer turns.
    pub fn storage(&self) -> crate::operations::Storage<'_> {
        crate::operations::Storage {
            db: &self.db,
            write_turns: &self.write_turns,
            last_used: &self.last_used,
        }
    }

    /// The state of a server on `db` (serving reads only, when `read_only`); fails when the
    /// spec can't be finished.
    pub fn new(db: DatabaseConnection, limits: Limits, read_only: bool) -> anyhow::Result<Self> {
        let rate_limiter = limits.rate_limit_per_minute.map(|n| {
            Arc::new(match read_only {
                // Its counts are this node's own: sharing them would be a write per minute.
                true => rate_limit::TokenRateLimiter::in_memory(n),
                false => rate_limit::TokenRateLimiter::per_minute(n, &db),
            })
        });
        let write_turns =
            crate::store::database::WriteTurns::for_backend(db.get_database_backend());
        Ok(AppState {
            db,
            limits,
            rate_limiter,
            last_used: Arc::default(),
            write_turns,
            spec: Arc::new(spec::Spec::build()?),
            storage: Arc::default(),
            metrics: None,
            read_only,
        })
    }
}

/// Groups of operations in the spec and in Swagger UI.
#[derive(Tags)]
pub enum ApiTags {
    /// Create, read, update, delete, send and pay invoices.
    Invoices,
    /// The company's projects.
    Projects,
    /// The budgets of the company's projects: the versions of each project's plan.
    Budgets,
    /// The budget areas of the company's budgets.
    #[oai(rename = "Budget areas")]
    BudgetAreas,
    /// The company's VAT rates.
    #[oai(rename = "VAT rates")]
    VatRates,
    /// The company's payment terms.
    #[oai(rename = "Payment terms")]
    PaymentTerms,
    /// The company's invoice contacts: the addresses invoices are sent to.
    #[oai(rename = "Invoice contacts")]
    InvoiceContacts,
    /// The company's members: the users who may act in it.
    Members,
    /// Every change of the company's invoices, in order: the audit trail, and what webhooks
    /// deliver.
    Events,
    /// The service itself.
    Service,
}

const DESCRIPTION: &str = "\
A self-hostable implementation of the invoices API of the project-management SaaS. \
Existing clients work by changing only the base URL.

Every call sends `Authorization: Bearer <token>` (a personal access token), \
`Wethod-Company: <company slug>`, `Wethod-Version: 2024-06-15` and, with a body, \
`Content-Type: application/json`.

Errors are JSON `{key, message}`; a 400 adds `failures: [{field, message}]` listing every \
problem of the request at once, each naming the body field or header at fault. Checks run in \
this order: 401 (token); 415 (body not JSON), 400 (headers and body); 403 (not a member of the \
company: an unknown company answers the same); 403 (neither create permission); 412 (project \
missing in this company); 403 (`invoices.create_other` needed where the user is neither PM nor \
Account of the project); 412 (project archived, no job order, budget area, VAT rate, payment \
term); 400 (duplicate `invoice_number` in the company). A failed request writes nothing.

Every response with one invoice carries a strong `ETag`. Writes of one invoice take \
`If-Match` and answer 412 when the invoice changed since that version was read; \
`GET /api/invoices/{id}` answers 304 to an `If-None-Match` naming the current version. \
Concurrent writes of one invoice run one after the other, each checked against the state the \
previous one left.

Money (`value`, `exchange_rate`) travels as JSON numbers and is exact: never a float. \
Every response carries `x-request-id` (the client's own, if it sent a valid one).";

/// The OpenAPI service: every operation, documented.
pub fn service() -> OpenApiService<
    (
        invoices::InvoicesApi,
        reference::ReferenceApi,
        events::EventsApi,
        health::HealthApi,
    ),
    (),
> {
    OpenApiService::new(
        (
            invoices::InvoicesApi,
            reference::ReferenceApi,
            events::EventsApi,
            health::HealthApi,
        ),
        "Invoices API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(DESCRIPTION)
    // Relative: the API is wherever the spec was fetched from.
    .server(ServerObject::new("/").description("This server"))
}

/// What `invoices-api openapi` prints and `openapi.yaml` holds (see [`spec::Spec::yaml`]).
pub fn spec_yaml() -> anyhow::Result<String> {
    Ok(spec::Spec::build()?.yaml())
}
