//! Black-box tests: each test starts the real server on a random port with a fresh database
//! and talks to it over HTTP.

mod auth;
mod backup;
mod cli;
mod cli_import;
mod cli_operator;
mod compression;
mod concurrency;
mod concurrent_writes;
mod conditional_requests;
mod constraints;
mod create_invoice;
mod create_paths;
mod edge;
mod errors;
mod helpers;
mod idempotency;
mod invoice_contacts;
mod lifecycle;
mod limits;
mod list_plans;
mod metrics;
mod migrations;
mod money;
mod openapi_spec;
mod permissions;
mod preconditions;
mod read_invoices;
mod readme_layout;
mod readme_limits;
mod reference;
mod send_to_contact;
mod shared_rate_limit;
mod startup;
mod update_invoice;
mod validation;
