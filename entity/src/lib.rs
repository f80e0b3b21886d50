//! The persistent model of invoices-api: one module per table, plus the column types they share.
//!
//! This crate is the pure model: no rules, no queries. Migrations never import it (each
//! migration freezes the table shape it creates).

pub mod exact_decimal;

pub mod api_token;
pub mod budget;
pub mod budget_area;
pub mod company;
pub mod idempotency_key;
pub mod invoice;
pub mod invoice_contact;
pub mod invoice_event;
pub mod membership;
pub mod membership_permission;
pub mod payment_term;
pub mod project;
pub mod user;
pub mod vat_rate;
pub mod webhook_delivery;
pub mod webhook_endpoint;

pub use exact_decimal::ExactDecimal;
