//! What a caller can do with invoices: read one, list them, change one, delete one, move one
//! through its states, create one.

pub mod checks;
mod create;
mod lifecycle;
mod read;
mod update;
mod write_gate;

pub use create::{Created, Keyed, create, create_if_allowed};
pub use lifecycle::{Transition, delete, transition};
pub use read::{get, list};
pub use update::update;
