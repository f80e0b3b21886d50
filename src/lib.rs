//! invoices-api: a self-hostable implementation of the invoices API of a project-management SaaS.

pub mod api;
pub mod cli;
pub mod config;
pub mod connections;
pub mod demo;
pub mod domain;
pub mod metrics;
pub mod operations;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod webhooks;
pub mod wire;
