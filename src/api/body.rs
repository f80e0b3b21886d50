//! JSON request bodies that report every failure at once, each naming its field.
//!
//! poem-openapi's `Json<T>` stops at the first problem and does not name missing or
//! wrong-typed fields. Our extractor reads the body as a JSON value and hands it to a
//! [`JsonObjectBody`] implementation that checks field by field, while the spec still shows the
//! typed schema of the documented request object.

use super::AppState;
use super::error::{ApiError, Failure};
use crate::config::Limits;
use crate::wire::types::json_type_name;
use poem::{Request, RequestBody};
use poem_openapi::registry::{MetaMediaType, MetaRequest, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};
use serde_json::{Map, Value};

/// A request body type: its documented schema and its field-by-field parser.
pub trait JsonObjectBody: Sized + Send {
    /// The poem-openapi object that documents this body in the spec.
    type Schema: poem_openapi::types::Type;

    /// Whether a request must send a body; an optional body may be left out entirely (no
    /// body, or an empty one) or sent as `[]`, which all read as `{}`.
    const REQUIRED: bool = true;

    /// Parses the fields of a JSON object, recording every failure in `fields`.
    fn parse(fields: &mut Fields) -> Option<Self>;
}

/// The outcome of reading a JSON body: refused as a whole (not JSON, too large, unreadable:
/// answered before any other failure of the request), or read, with the parsed value or every
/// failure found in it. It never fails the request by itself, so the operation answers in the
/// contract's order (a 401 first).
pub enum JsonBody<T> {
    Refused(ApiError),
    Read {
        parsed: Result<T, Vec<Failure>>,
        /// SHA-256 (hex) of the JSON value as re-serialized (insignificant whitespace
        /// ignored); it tells a retry from a different request under the same idempotency key.
        digest: String,
    },
}

impl<T: JsonObjectBody> JsonBody<T> {
    pub(crate) fn from_map(map: Map<String, Value>) -> Self {
        let digest = serde_json::to_vec(&map)
            .map(|bytes| crate::domain::token::sha256_hex(&bytes))
            .unwrap_or_default();
        let mut fields = Fields::new(map);
        let parsed = T::parse(&mut fields);
        JsonBody::Read {
            parsed: fields.finish(parsed),
            digest,
        }
    }
}

impl<T> JsonBody<T> {
    fn failed(failure: Failure) -> Self {
        JsonBody::Read {
            parsed: Err(vec![failure]),
            digest: String::new(),
        }
    }

    /// The digest of a body that was read (empty otherwise).
    pub fn digest(&self) -> &str {
        match self {
            JsonBody::Read { digest, .. } => digest,
            JsonBody::Refused(_) => "",
        }
    }
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<'a, T: JsonObjectBody> ApiExtractor<'a> for JsonBody<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <T::Schema as poem_openapi::types::Type>::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: None,
            content: vec![MetaMediaType {
                content_type: "application/json",
                schema: <T::Schema as poem_openapi::types::Type>::schema_ref(),
            }],
            required: T::REQUIRED,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(Self::read(request, body)
            .await
            .unwrap_or_else(JsonBody::Refused))
    }
}

impl<T: JsonObjectBody> JsonBody<T> {
    /// Reads the body: a refusal for a body that is not JSON (415), too large (413) or
    /// unreadable; otherwise the parsed value or every failure found in it.
    async fn read(request: &Request, body: &mut RequestBody) -> Result<Self, ApiError> {
        let declared_empty = request
            .header(poem::http::header::CONTENT_LENGTH)
            .is_none_or(|length| length.trim() == "0");
        if !T::REQUIRED && request.content_type().is_none() && declared_empty {
            return Ok(JsonBody::from_map(Map::new()));
        }
        // A compressed body is refused, not decoded: its size before decoding says nothing of
        // what it would take to hold it.
        let encoded = request
            .header(poem::http::header::CONTENT_ENCODING)
            .is_some_and(|coding| !coding.trim().eq_ignore_ascii_case("identity"));
        if encoded || !request.content_type().is_some_and(is_json) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let limit = request
            .data::<AppState>()
            .map(|state| state.limits.max_body_bytes)
            .unwrap_or_else(|| Limits::default().max_body_bytes);
        let bytes = body
            .take()
            .map_err(|e| ApiError::Internal(e.into()))?
            .into_bytes_limit(limit)
            .await
            .map_err(|e| match e {
                poem::error::ReadBodyError::PayloadTooLarge => {
                    ApiError::PayloadTooLarge(Some(limit))
                }
                other => ApiError::invalid("body", format!("could not be read: {other}")),
            })?;
        if !T::REQUIRED && bytes.is_empty() {
            return Ok(JsonBody::from_map(Map::new()));
        }
        let value: Value = match serde_json::from_slice(&bytes) {
            Ok(value) => value,
            Err(e) => {
                return Ok(JsonBody::failed(Failure::new(
                    "body",
                    format!("is not valid JSON: {e}"),
                )));
            }
        };
        let map = match value {
            Value::Object(map) => map,
            // PHP's json_encode writes an empty parameter array as `[]`: clients generated in
            // PHP send it for "no parameters", so an optional body takes it as `{}`.
            Value::Array(items) if items.is_empty() && !T::REQUIRED => Map::new(),
            value => {
                return Ok(JsonBody::failed(Failure::new(
                    "body",
                    format!("must be a JSON object, not {}", json_type_name(&value)),
                )));
            }
        };
        Ok(JsonBody::from_map(map))
    }
}

/// The fields of a JSON object being parsed, and the failures found so far.
pub struct Fields {
    map: Map<String, Value>,
    failures: Vec<Failure>,
}

impl Fields {
    pub fn new(map: Map<String, Value>) -> Self {
        Fields {
            map,
            failures: Vec::new(),
        }
    }

    /// A field that must be present and not null.
    pub fn required<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(Value) -> Result<T, String>,
    ) -> Option<T> {
        match self.map.remove(name) {
            None => self.fail(name, "is required"),
            Some(Value::Null) => self.fail(name, "is required and must not be null"),
            Some(value) => parse(value).map_err(|m| self.fail::<()>(name, m)).ok(),
        }
    }

    /// A field that may be absent or null (both mean "none").
    pub fn optional<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(Value) -> Result<T, String>,
    ) -> Option<T> {
        match self.map.remove(name) {
            None | Some(Value::Null) => None,
            Some(value) => parse(value).map_err(|m| self.fail::<()>(name, m)).ok(),
        }
    }

    /// A field that may be absent (`None`) but, when present, not null.
    pub fn not_null<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(Value) -> Result<T, String>,
    ) -> Option<T> {
        match self.map.remove(name) {
            None => None,
            Some(Value::Null) => self.fail(name, "must not be null"),
            Some(value) => parse(value).map_err(|m| self.fail::<()>(name, m)).ok(),
        }
    }

    /// A field that may be absent (`None`), null (`Some(None)`), or a value.
    pub fn nullable<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(Value) -> Result<T, String>,
    ) -> Option<Option<T>> {
        match self.map.remove(name) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(value) => parse(value)
                .map_err(|m| self.fail::<()>(name, m))
                .ok()
                .map(Some),
        }
    }

    fn fail<T>(&mut self, name: &str, message: impl Into<String>) -> Option<T> {
        self.failures.push(Failure::new(name, message));
        None
    }

    /// Every field not taken is unknown; the parse stands only if nothing failed.
    fn finish<T>(mut self, parsed: Option<T>) -> Result<T, Vec<Failure>> {
        let mut unknown: Vec<String> = self.map.keys().cloned().collect();
        unknown.sort();
        for name in unknown {
            self.fail::<()>(&name, "is not a known field");
        }
        match parsed {
            Some(value) if self.failures.is_empty() => Ok(value),
            _ => Err(self.failures),
        }
    }
}

/// A JSON integer (`5`, not `"5"` nor `5.0`).
pub fn integer(value: Value) -> Result<i64, String> {
    match &value {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| "must be an integer between 1 and 9223372036854775807".to_owned()),
        other => Err(format!("must be an integer, not {}", json_type_name(other))),
    }
}

/// A JSON string.
pub fn string(value: Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(format!("must be a string, not {}", json_type_name(&other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("Application/JSON"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/x-www-form-urlencoded"));
    }

    #[test]
    fn integers_are_strict() {
        let parse = |s: &str| integer(serde_json::from_str(s).expect("json"));
        assert_eq!(parse("5"), Ok(5));
        assert!(parse("\"5\"").is_err());
        assert!(parse("5.0").is_err());
        assert!(parse("99999999999999999999").is_err());
    }

    #[test]
    fn unknown_and_missing_fields_are_all_reported() {
        let map = match serde_json::json!({"b": 1, "a": 2}) {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let mut fields = Fields::new(map);
        let x = fields.required("x", integer);
        let failures = fields.finish(x).expect_err("fails");
        let names: Vec<_> = failures.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["x", "a", "b"]);
    }
}
