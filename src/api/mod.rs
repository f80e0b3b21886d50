//! The HTTP API: one file per resource, plus what every operation shares.

pub mod auth;
pub mod body;
pub mod error;
pub mod headers;
pub mod health;
pub mod invoices;
pub mod middleware;
pub mod types;

use poem_openapi::{OpenApiService, Tags};
use sea_orm::DatabaseConnection;

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
}

/// Groups of operations in the spec and in Swagger UI.
#[derive(Tags)]
pub enum ApiTags {
    /// Create and manage invoices.
    Invoices,
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

Money (`value`, `exchange_rate`) travels as JSON numbers and is exact: never a float. \
Every response carries `x-request-id` (the client's own, if it sent a valid one).";

/// The OpenAPI service: every operation, documented.
pub fn service() -> OpenApiService<(invoices::InvoicesApi, health::HealthApi), ()> {
    OpenApiService::new(
        (invoices::InvoicesApi, health::HealthApi),
        "Invoices API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(DESCRIPTION)
}

/// The spec as YAML: what `invoices-api openapi` prints and `openapi.yaml` holds.
pub fn spec_yaml() -> String {
    service().spec_yaml()
}
