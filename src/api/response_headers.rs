//! The values of response headers, each with its example in the spec, so that what is built
//! from the spec shows real values: a mock server such as Prism answers
//! `Location: /api/invoices/1`, not `Location: string`.

use super::conditional::EntityTag;
use crate::wire::types::inline_type;
use poem::http::HeaderValue;
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::ToHeader;
use serde_json::{Value, json};

/// Documents `$ty` as a response header of schema type `$schema` (and `format`, if given)
/// with `$example`, written by `$text`.
macro_rules! response_header {
    ($ty:ty, $name:literal, $schema:literal $(format $format:literal)?, $example:expr, $text:expr) => {
        inline_type!($ty, $name, {
            let mut schema = MetaSchema::new($schema);
            $(schema.format = Some($format);)?
            schema.example = Some($example);
            MetaSchemaRef::Inline(Box::new(schema))
        });

        impl ToHeader for $ty {
            fn to_header(&self) -> Option<HeaderValue> {
                #[allow(clippy::redundant_closure_call)]
                HeaderValue::from_str(&($text)(self)).ok()
            }
        }
    };
}

/// The path of a resource just created (`Location`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location(pub String);

/// That an answer replays an earlier one (`Idempotent-Replayed: true`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Replayed;

/// The authentication scheme a 401 asks for (`WWW-Authenticate: Bearer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BearerChallenge;

/// Seconds to wait before trying again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryAfterSeconds(pub u64);

response_header!(
    Location,
    "location",
    "string",
    Value::String("/api/invoices/1".into()),
    |l: &Location| l.0.clone()
);
response_header!(
    Replayed,
    "replayed",
    "boolean",
    json!(true),
    |_: &Replayed| "true".to_owned()
);
response_header!(
    BearerChallenge,
    "bearer_challenge",
    "string",
    Value::String("Bearer".into()),
    |_: &BearerChallenge| "Bearer".to_owned()
);
response_header!(
    RetryAfterSeconds,
    "seconds",
    "integer" format "uint64",
    json!(12),
    |s: &RetryAfterSeconds| s.0.to_string()
);
response_header!(
    EntityTag,
    "entity_tag",
    "string",
    Value::String("\"1-1\"".into()),
    |t: &EntityTag| t.clone().into_header()
);
