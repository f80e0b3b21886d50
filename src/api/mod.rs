//! The HTTP API: one file per resource, plus what every operation shares.

pub mod access;
pub mod allow;
pub mod auth;
pub mod body;
pub mod conditional;
pub mod custom_methods;
pub mod edge;
pub mod error;
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
pub mod shape;
pub mod types;

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
    pub last_used: Arc<auth::LastUsedMemo>,
    /// Turns for the one-statement create (SQLite only).
    pub write_turns: crate::store::database::WriteTurns,
    /// The finished spec, built once.
    pub spec: Arc<Spec>,
    /// The methods of every path, for the `Allow` header of a 405.
    pub routes: Arc<allow::RouteTable>,
}

impl AppState {
    pub fn new(db: DatabaseConnection, limits: Limits) -> Self {
        let rate_limiter = limits
            .rate_limit_per_minute
            .map(|n| Arc::new(rate_limit::TokenRateLimiter::per_minute(n)));
        let write_turns =
            crate::store::database::WriteTurns::for_backend(db.get_database_backend());
        let spec = spec();
        let routes = serde_json::from_str(&spec.json)
            .map(|document| allow::RouteTable::from_spec(&document))
            .unwrap_or_default();
        AppState {
            db,
            limits,
            rate_limiter,
            last_used: Arc::default(),
            write_turns,
            spec: Arc::new(spec),
            routes: Arc::new(routes),
        }
    }
}

/// Groups of operations in the spec and in Swagger UI.
#[derive(Tags)]
pub enum ApiTags {
    /// Create, read, update, delete, send and pay invoices.
    Invoices,
    /// The company's projects.
    Projects,
    /// The budget areas of the company's projects.
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
        health::HealthApi,
    ),
    (),
> {
    OpenApiService::new(
        (
            invoices::InvoicesApi,
            reference::ReferenceApi,
            health::HealthApi,
        ),
        "Invoices API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(DESCRIPTION)
    // Relative: the API is wherever the spec was fetched from.
    .server(ServerObject::new("/").description("This server"))
}

/// Request objects that refuse unknown fields. poem-openapi's `deny_unknown_fields` does not
/// reach the spec, so `additionalProperties: false` is written here; a test checks every body
/// schema is listed.
pub const CLOSED_SCHEMAS: &[&str] = &[
    "CreateInvoiceRequest",
    "UpdateInvoiceRequest",
    "SetPaidRequest",
];

/// The finished spec, in every form it is served.
pub struct Spec {
    /// Pretty-printed JSON.
    pub json: String,
    /// The Swagger UI page, with the finished spec embedded.
    pub swagger_ui_html: String,
}

impl Spec {
    /// The YAML form: the JSON (which is also YAML), ending in a newline. See [`spec_yaml`].
    pub fn yaml(&self) -> String {
        format!("{}\n", self.json)
    }
}

/// Builds the spec once: poem-openapi's document, plus what it can't express.
pub fn spec() -> Spec {
    let service = service();
    let generated = service.spec();
    let json = match serde_json::from_str::<serde_json::Value>(&generated) {
        Ok(mut document) => {
            finish_operations(&mut document);
            for name in CLOSED_SCHEMAS {
                if let Some(schema) = document
                    .pointer_mut(&format!("/components/schemas/{name}"))
                    .and_then(serde_json::Value::as_object_mut)
                {
                    schema.insert("additionalProperties".into(), false.into());
                }
            }
            serde_json::to_string_pretty(&document).unwrap_or(generated.clone())
        }
        Err(_) => generated.clone(),
    };
    // The UI page embeds the spec as a JavaScript literal; swap in the finished one.
    let swagger_ui_html = service.swagger_ui_html().replacen(&generated, &json, 1);
    Spec {
        json,
        swagger_ui_html,
    }
}

/// What poem-openapi can't express, operation by operation: custom-method paths in their
/// `{id}:verb` form; operations without a security scheme marked public (`security: []`),
/// rather than left for readers and linters to guess; and, since every error response shares
/// one schema, an example on each error response: the typical body of its status.
fn finish_operations(document: &mut serde_json::Value) {
    let Some(paths) = document
        .get_mut("paths")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return;
    };
    *paths = std::mem::take(paths)
        .into_iter()
        .map(|(path, item)| (custom_methods::spec_path(&path).unwrap_or(path), item))
        .collect();
    for operation in paths
        .values_mut()
        .filter_map(serde_json::Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .filter_map(serde_json::Value::as_object_mut)
    {
        operation
            .entry("security")
            .or_insert_with(|| serde_json::Value::Array(Vec::new()));
        let Some(responses) = operation
            .get_mut("responses")
            .and_then(serde_json::Value::as_object_mut)
        else {
            continue;
        };
        for (status, response) in responses.iter_mut() {
            let example = status.parse().ok().and_then(error::example_for);
            if let (Some(example), Some(media)) =
                (example, response.pointer_mut("/content/application~1json"))
                && let Some(media) = media.as_object_mut()
            {
                media.insert("example".into(), example);
            }
        }
    }
}

/// What `invoices-api openapi` prints and `openapi.yaml` holds: the spec as JSON, which is
/// also YAML. A YAML emitter would leave strings such as `2024-06-15` unquoted, and YAML 1.1
/// parsers (PyYAML, used by many OpenAPI tools) read those as dates, not strings.
pub fn spec_yaml() -> String {
    spec().yaml()
}
