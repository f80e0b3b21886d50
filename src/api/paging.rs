//! `limit` and `offset` of every list: each a parameter type whose schema and check come from
//! the same constants, so the spec says exactly what is enforced.

use super::params::QueryParam;
use super::validation::Validation;
use crate::domain::paging::Page;
use crate::wire::types::inline_type;
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromParameter, ParseResult};

/// Largest page, and the page size when `limit` is not sent.
pub const MAX_LIMIT: u32 = 100;

/// Largest offset: far beyond any real list, and well inside every database's integers.
pub const MAX_OFFSET: u64 = 1_000_000_000;

/// How many records at most: 1 to [`MAX_LIMIT`].
#[derive(Clone, Copy, Debug)]
pub struct Limit(u32);

/// How many records to skip: 0 to [`MAX_OFFSET`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Offset(u64);

impl Limit {
    /// The number of records.
    pub fn get(self) -> u64 {
        u64::from(self.0)
    }
}

impl Default for Limit {
    fn default() -> Self {
        Limit(MAX_LIMIT)
    }
}

/// An integer parameter's schema: its bounds and its default.
fn bounded(format: &'static str, min: f64, max: f64, default: serde_json::Value) -> MetaSchemaRef {
    let mut schema = MetaSchema::new_with_format("integer", format);
    schema.default = Some(default);
    schema.minimum = Some(min);
    schema.maximum = Some(max);
    MetaSchemaRef::Inline(Box::new(schema))
}

inline_type!(
    Limit,
    "limit",
    bounded(
        "uint32",
        1.0,
        f64::from(MAX_LIMIT),
        Limit::default().0.into()
    )
);
inline_type!(
    Offset,
    "offset",
    bounded("uint64", 0.0, MAX_OFFSET as f64, 0.into())
);

impl ParseFromParameter for Limit {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        value
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .map(Limit)
            .ok_or_else(|| ParseError::custom(format!("must be an integer from 1 to {MAX_LIMIT}")))
    }
}

impl ParseFromParameter for Offset {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        value
            .parse::<u64>()
            .ok()
            .filter(|o| *o <= MAX_OFFSET)
            .map(Offset)
            .ok_or_else(|| ParseError::custom(format!("must be an integer from 0 to {MAX_OFFSET}")))
    }
}

/// The page asked for, or `None` with its failures recorded.
pub fn paging(
    checked: &mut Validation,
    limit: QueryParam<Option<Limit>>,
    offset: QueryParam<Option<Offset>>,
) -> Option<Page> {
    let limit = checked.take(limit.into_result());
    let offset = checked.take(offset.into_result());
    limit.zip(offset).map(|(limit, offset)| Page {
        limit: u64::from(limit.unwrap_or_default().0),
        offset: offset.unwrap_or_default().0,
    })
}
