//! The values of list filters on the wire: strings with a pattern that matches exactly what the
//! server accepts (`gte:2024-01-01`).

use crate::domain::filter::{FORMS, Filter, patterns};
use crate::domain::invoice::parse_date;
use chrono::{DateTime, SubsecRound, Utc};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromParameter, ParseResult};
use regex::Regex;
use std::sync::LazyLock;

/// Declares one kind of filter value: its pattern, example, and how its value parses.
macro_rules! filter_value {
    ($(#[$doc:meta])* $ty:ident, $name:literal, $pattern:path, $example:literal, $value:ty, $parse:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $ty(pub Filter<$value>);

        impl $ty {
            /// The compiled pattern; a pattern that doesn't compile (a unit test guards
            /// against it) matches nothing.
            fn matches(raw: &str) -> bool {
                static REGEX: LazyLock<Option<Regex>> =
                    LazyLock::new(|| Regex::new(&$pattern()).ok());
                REGEX.as_ref().is_some_and(|r| r.is_match(raw))
            }
        }

        crate::wire::types::inline_type!($ty, $name, {
            let mut schema = MetaSchema::new("string");
            schema.pattern = Some($pattern());
            schema.example = Some(serde_json::Value::String($example.into()));
            MetaSchemaRef::Inline(Box::new(schema))
        });

        impl ParseFromParameter for $ty {
            fn parse_from_parameter(raw: &str) -> ParseResult<Self> {
                if !Self::matches(raw) {
                    return Err(ParseError::custom(format!(
                        concat!("must be ", $name, " in one of the forms: {}"),
                        FORMS
                    )));
                }
                #[allow(clippy::redundant_closure_call)]
                Filter::parse(raw, $parse).map($ty).map_err(ParseError::custom)
            }
        }
    };
}

filter_value!(
    /// A project id filter (`3`, `gt:3`, `in:3,4`).
    IdFilter, "an id ≥ 1", patterns::id, "gte:1", i64,
    |v: &str| v.parse::<i64>().map_err(|e| e.to_string())
);
filter_value!(
    /// A date filter (`2024-01-01`, `gte:2024-01-01`, `bt:2024-01-01,2024-01-31`).
    DateFilter, "a date YYYY-MM-DD", patterns::date, "gte:2024-01-01", chrono::NaiveDate,
    parse_date
);
filter_value!(
    /// A date-time filter (`gt:2026-03-10T18:18:59.374Z`).
    DateTimeFilter, "an RFC 3339 date-time", patterns::date_time, "gt:2026-03-10T18:18:59.374Z",
    DateTime<Utc>,
    |v: &str| DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc).trunc_subsecs(3))
        .map_err(|e| e.to_string())
);
