//! Rules and value types of the invoices domain: no HTTP, no SQL.
//!
//! Each type is built once from raw input and can't hold a bad value.

pub mod company;
pub mod event;
pub mod filter;
pub mod idempotency;
pub mod invoice;
pub mod invoice_list;
pub mod member;
pub mod money;
pub mod paging;
pub mod permission;
pub mod token;
