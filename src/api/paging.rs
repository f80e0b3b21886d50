//! `limit` and `offset` of every list.

use super::error::Failure;
use super::params::QueryParam;
use super::shape::Shape;
use crate::store::reference::Page;

/// Largest page.
pub const MAX_LIMIT: u32 = 100;

/// Largest offset: far beyond any real list, and well inside every database's integers.
pub const MAX_OFFSET: u64 = 1_000_000_000;

pub fn default_limit() -> u32 {
    MAX_LIMIT
}

pub fn default_offset() -> u64 {
    0
}

/// A valid page request.
pub type Paging = Page;

/// The page asked for: `limit` 1–100 (default 100), `offset` 0–10^9 (default 0).
pub fn paging(
    shape: &mut Shape,
    limit: QueryParam<u32>,
    offset: QueryParam<u64>,
) -> Option<Paging> {
    let limit = shape.take(limit.into_result().and_then(|l| {
        if (1..=MAX_LIMIT).contains(&l) {
            Ok(l)
        } else {
            Err(Failure::new("limit", "must be between 1 and 100"))
        }
    }));
    let offset = shape.take(offset.into_result().and_then(|o| {
        if o <= MAX_OFFSET {
            Ok(o)
        } else {
            Err(Failure::new("offset", "must be at most 1000000000"))
        }
    }));
    limit.zip(offset).map(|(limit, offset)| Page {
        limit: u64::from(limit),
        offset,
    })
}
