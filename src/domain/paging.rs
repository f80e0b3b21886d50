//! A page of a list.

/// At most `limit` records after skipping `offset`, in the list's order.
#[derive(Clone, Copy, Debug)]
pub struct Page {
    pub limit: u64,
    pub offset: u64,
}
