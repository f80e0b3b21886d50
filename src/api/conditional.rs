//! Conditional requests (RFC 9110, section 13): a resource's `ETag`, and the `If-Match` and
//! `If-None-Match` headers that compare with it. Parsing and comparison are the `headers`
//! crate's (through poem); this file adds the parameter types and the contract's answers.

use super::error::ApiError;
use super::types::inline_type;
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

const ENTITY_TAGS: &str =
    "must be `*` or a comma-separated list of entity tags (\"1-2\"), at most 1024 characters";

/// The longest `If-Match` or `If-None-Match` taken.
const MAX_LENGTH: usize = 1024;

/// What [`is_entity_tag_list`] accepts, for the spec.
const PATTERN: &str = r#"^(\*|(W/)?"[!#-~]*"( *, *(W/)?"[!#-~]*")*)$"#;

/// Whether `value` is `*` or a list of entity tags (`"…"` or `W/"…"`, visible ASCII but `"`
/// inside the quotes, separated by commas and spaces), as RFC 9110 writes them: exactly what
/// [`PATTERN`] says. The `headers` crate skips elements that
/// don't parse; a client that sent one made a mistake it should hear about.
fn is_entity_tag_list(value: &str) -> bool {
    if value.len() > MAX_LENGTH {
        return false;
    }
    value == "*"
        || value.split(',').all(|element| {
            let element = element.trim_matches(' ');
            let quoted = element.strip_prefix("W/").unwrap_or(element);
            quoted.len() >= 2
                && quoted.starts_with('"')
                && quoted.ends_with('"')
                && quoted[1..quoted.len() - 1]
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'"')
        })
}

/// Decodes a typed header from the one value sent, or says why it can't.
fn decode<H: Header>(value: &str) -> Result<H, &'static str> {
    if !is_entity_tag_list(value) {
        return Err(ENTITY_TAGS);
    }
    let value = HeaderValue::from_str(value).map_err(|_| ENTITY_TAGS)?;
    H::decode(&mut std::iter::once(&value)).map_err(|_| ENTITY_TAGS)
}

fn entity_tags_schema(example: &str) -> MetaSchemaRef {
    let mut schema = MetaSchema::new("string");
    schema.max_length = Some(MAX_LENGTH);
    schema.pattern = Some(PATTERN.to_owned());
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

/// 412 `precondition_failure` when `If-Match` was sent and does not list `current`.
pub fn require_match(if_match: Option<&IfMatch>, current: &EntityTag) -> Result<(), ApiError> {
    let Some(IfMatch(if_match)) = if_match else {
        return Ok(());
    };
    let passes = current
        .parsed()
        .is_some_and(|etag| if_match.precondition_passes(&etag));
    if passes {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed(CHANGED_SINCE_READ.to_owned()))
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
        assert!(require_match(None, &current).is_ok());
        assert!(require_match(Some(&if_match("\"7-3\"")), &current).is_ok());
        assert!(require_match(Some(&if_match("\"7-2\", \"7-3\"")), &current).is_ok());
        assert!(require_match(Some(&if_match("*")), &current).is_ok());
        assert!(require_match(Some(&if_match("\"7-2\"")), &current).is_err());
        assert!(require_match(Some(&if_match("W/\"7-3\"")), &current).is_err());
    }

    #[test]
    fn only_a_star_or_a_list_of_entity_tags_parses() {
        for ok in ["*", "\"a\"", "W/\"a\"", "\"a\", W/\"b\"", "\"\""] {
            assert!(IfMatch::parse_from_parameter(ok).is_ok(), "{ok}");
        }
        let long = format!("\"{}\"", "a".repeat(MAX_LENGTH));
        assert!(IfMatch::parse_from_parameter(&long).is_err());
        for bad in [
            "",
            "7-3",
            "\"a",
            "\"a\" \"b\"",
            "\"a\",",
            "\"\u{e9}\"",
            "*, \"a\"",
        ] {
            assert!(IfMatch::parse_from_parameter(bad).is_err(), "{bad}");
        }
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
