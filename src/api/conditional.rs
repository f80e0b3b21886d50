//! Conditional requests (RFC 9110, section 13): a resource's `ETag`, and the `If-Match` and
//! `If-None-Match` headers that compare with it. Parsing and comparison are the `headers`
//! crate's (through poem); this file adds the parameter types and the contract's answers.

use crate::operations::{Target, VersionCondition};
use crate::wire::types::inline_type;
use poem::http::HeaderValue;
use poem::web::headers::{self, Header};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromParameter, ParseResult};

/// A resource's strong entity tag, as sent in `ETag`: its id and version, quoted. Ids are
/// never reused, and the version rises with every change, so equal tags mean the same state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntityTag(String);

impl EntityTag {
    pub fn of(id: i64, version: i64) -> Self {
        EntityTag(format!("\"{id}-{version}\""))
    }

    /// The header's text, quotes included.
    pub fn into_header(self) -> String {
        self.0
    }

    fn parsed(&self) -> Option<headers::ETag> {
        self.0.parse().ok()
    }
}

const TOO_LONG: &str = "must be at most 1024 characters";

/// The longest `If-Match` or `If-None-Match` taken.
const MAX_LENGTH: usize = 1024;

/// Decodes a typed header from the one value sent, or says why it can't. Elements that are
/// not entity tags are kept and never match (the `headers` crate's reading), so a malformed
/// `If-Match` refuses the write (412) and a malformed `If-None-Match` gets the full answer:
/// the safe side of each.
fn decode<H: Header>(value: &str) -> Result<H, &'static str> {
    if value.len() > MAX_LENGTH {
        return Err(TOO_LONG);
    }
    let value = HeaderValue::from_str(value).map_err(|_| "must be visible text")?;
    H::decode(&mut std::iter::once(&value)).map_err(|_| "must be `*` or a list of entity tags")
}

fn entity_tags_schema(example: &str) -> MetaSchemaRef {
    let mut schema = MetaSchema::new("string");
    schema.max_length = Some(MAX_LENGTH);
    schema.example = Some(serde_json::Value::String(example.into()));
    MetaSchemaRef::Inline(Box::new(schema))
}

/// `If-Match`: the write goes ahead only when the resource's current `ETag` is listed (or the
/// value is `*`). Compared strongly: a weak tag never matches.
pub struct IfMatch(headers::IfMatch);

impl ParseFromParameter for IfMatch {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        decode(value).map(IfMatch).map_err(ParseError::custom)
    }
}

inline_type!(IfMatch, "if_match", entity_tags_schema("\"1-1\""));

/// `If-None-Match`: a read answers 304 when the resource's current `ETag` is listed (or the
/// value is `*`). Compared weakly, as RFC 9110 asks.
pub struct IfNoneMatch(headers::IfNoneMatch);

impl ParseFromParameter for IfNoneMatch {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        decode(value).map(IfNoneMatch).map_err(ParseError::custom)
    }
}

inline_type!(IfNoneMatch, "if_none_match", entity_tags_schema("\"1-1\""));

/// The message of the 412 for an `If-Match` that doesn't match.
pub const CHANGED_SINCE_READ: &str = "The invoice changed since it was read: its ETag no longer \
matches If-Match. Read it again (GET) and retry with the new ETag.";

/// `If-Match` holds for the invoice's current version when it names its strong tag, or `*`.
impl VersionCondition for IfMatch {
    fn holds(&self, id: i64, version: i64) -> bool {
        EntityTag::of(id, version)
            .parsed()
            .is_some_and(|etag| self.0.precondition_passes(&etag))
    }
}

impl IfMatch {
    /// The record `id`, changed on the header's condition when it was sent.
    pub fn target(id: i64, if_match: &Option<IfMatch>) -> Target<'_> {
        let expected = if_match.as_ref().map(|m| m as &dyn VersionCondition);
        Target { id, expected }
    }
}

/// Whether a read may answer 304 Not Modified: `If-None-Match` was sent and lists `current`.
pub fn not_modified(if_none_match: Option<&IfNoneMatch>, current: &EntityTag) -> bool {
    match (if_none_match, current.parsed()) {
        (Some(IfNoneMatch(if_none_match)), Some(etag)) => !if_none_match.precondition_passes(&etag),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn if_match(value: &str) -> IfMatch {
        IfMatch::parse_from_parameter(value).unwrap_or_else(|e| panic!("{}", e.into_message()))
    }

    fn if_none_match(value: &str) -> IfNoneMatch {
        IfNoneMatch::parse_from_parameter(value).unwrap_or_else(|e| panic!("{}", e.into_message()))
    }

    #[test]
    fn if_match_passes_only_for_the_current_strong_tag_or_a_star() {
        let current = EntityTag::of(7, 3);
        assert_eq!(current.clone().into_header(), "\"7-3\"");
        assert!(
            IfMatch::target(7, &None).expected.is_none(),
            "no header, no condition"
        );
        assert!(if_match("\"7-3\"").holds(7, 3));
        assert!(if_match("\"7-2\", \"7-3\"").holds(7, 3));
        assert!(if_match("*").holds(7, 3));
        assert!(!if_match("\"7-2\"").holds(7, 3));
        assert!(!if_match("W/\"7-3\"").holds(7, 3));
        assert!(!if_match("\"8-3\"").holds(7, 3));
    }

    #[test]
    fn what_is_not_an_entity_tag_never_matches_and_only_length_is_refused() {
        let current = EntityTag::of(7, 3);
        for odd in ["0", "7-3", "\"7-3", "\"7-3\" \"7-3\"", "*, \"a\""] {
            assert!(!if_match(odd).holds(7, 3), "{odd}");
            assert!(!not_modified(Some(&if_none_match(odd)), &current), "{odd}");
        }
        let long = format!("\"{}\"", "a".repeat(MAX_LENGTH));
        assert!(IfMatch::parse_from_parameter(&long).is_err());
    }

    #[test]
    fn if_none_match_compares_weakly() {
        let current = EntityTag::of(7, 3);
        assert!(!not_modified(None, &current));
        assert!(not_modified(Some(&if_none_match("\"7-3\"")), &current));
        assert!(not_modified(Some(&if_none_match("W/\"7-3\"")), &current));
        assert!(not_modified(Some(&if_none_match("*")), &current));
        assert!(!not_modified(Some(&if_none_match("\"7-2\"")), &current));
    }
}
