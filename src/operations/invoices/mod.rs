//! What a caller can do with invoices: read one, list them, change one, delete one, move one
//! through its states. (Creating one is still `api::invoices::create`.)

pub mod checks;
mod lifecycle;
mod read;
mod update;
mod write_gate;

pub use lifecycle::{Transition, delete, transition};
pub use read::{get, list};
pub use update::update;
