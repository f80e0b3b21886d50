//! The header and query parameters an operation reads.
//!
//! poem-openapi's `Header<T>` and `Query<T>` fail the request at the first bad parameter.
//! [`Param`] documents the parameter all the same (required unless `T` is an `Option` or a
//! `Vec`), but hands its outcome to the operation, which reports every failure of the request
//! (parameters and body) in one 400.

use super::edge::{MAX_REPEATS, query_pairs};
use super::error::Failure;
use crate::domain::company::CompanySlug;
use crate::domain::idempotency::IdempotencyKey;
use crate::wire::types::inline_type;
use poem::{Request, RequestBody};
use poem_openapi::registry::{MetaParamIn, MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseError, ParseFromParameter, ParseResult};
use poem_openapi::{ApiExtractor, ApiExtractorType, Enum, ExtractParamOptions};
use std::marker::PhantomData;

/// The API versions this server speaks.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiVersion {
    #[oai(rename = "2024-06-15")]
    V2024_06_15,
}

/// Where a parameter is read from.
pub trait ParamLocation: Send {
    const IN: MetaParamIn;
    /// Every value sent for the parameter `name`.
    fn values(request: &Request, name: &str) -> Vec<String>;
}

/// A request header (names are case-insensitive).
pub struct InHeader;

impl ParamLocation for InHeader {
    const IN: MetaParamIn = MetaParamIn::Header;

    fn values(request: &Request, name: &str) -> Vec<String> {
        request
            .headers()
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap_or("\u{fffd}").to_owned())
            .collect()
    }
}

/// A query-string parameter (names are case-sensitive).
pub struct InQuery;

impl ParamLocation for InQuery {
    const IN: MetaParamIn = MetaParamIn::Query;

    fn values(request: &Request, name: &str) -> Vec<String> {
        query_pairs(request)
            .into_iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v)
            .collect()
    }
}

/// A parameter: its value, or why it was refused.
pub struct Param<T, L> {
    name: &'static str,
    value: Result<T, String>,
    location: PhantomData<L>,
}

pub type HeaderParam<T> = Param<T, InHeader>;
pub type QueryParam<T> = Param<T, InQuery>;

impl<T, L> Param<T, L> {
    /// The parsed value, or the failure to report, naming the parameter.
    pub fn into_result(self) -> Result<T, Failure> {
        let name = self.name;
        self.value.map_err(|message| Failure::new(name, message))
    }
}

/// Whether a parameter type takes several values (`?a=1&a=2`).
fn is_list<T: ParseFromParameter>() -> bool {
    matches!(T::schema_ref(), MetaSchemaRef::Inline(schema) if schema.ty == "array")
}

impl<'a, T: ParseFromParameter + Send, L: ParamLocation> ApiExtractor<'a> for Param<T, L> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::Parameter];
    const PARAM_IS_REQUIRED: bool = T::IS_REQUIRED;
    type ParamType = T;
    type ParamRawType = T::RawValueType;

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn param_in() -> Option<MetaParamIn> {
        Some(L::IN)
    }

    fn param_schema_ref() -> Option<MetaSchemaRef> {
        let mut schema = T::schema_ref();
        // A repeatable parameter is refused past this many values (`edge::refusal`).
        if let MetaSchemaRef::Inline(inline) = &mut schema
            && inline.ty == "array"
        {
            inline.max_items = Some(MAX_REPEATS);
        }
        Some(schema)
    }

    async fn from_request(
        request: &'a Request,
        _body: &mut RequestBody,
        param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let values = L::values(request, param_opts.name);
        let default = param_opts.default_value.as_ref().map(|default| default());
        Ok(Param {
            name: param_opts.name,
            value: parse_values(values, default),
            location: PhantomData,
        })
    }
}

/// The parameter `name` of a request (the default when absent), or why not.
pub fn read<T: ParseFromParameter, L: ParamLocation>(
    request: &Request,
    name: &'static str,
) -> Result<T, Failure> {
    parse_values(L::values(request, name), None).map_err(|message| Failure::new(name, message))
}

/// A parameter's value from every value sent for it.
fn parse_values<T: ParseFromParameter>(
    values: Vec<String>,
    default: Option<T>,
) -> Result<T, String> {
    match (values.as_slice(), default) {
        ([], Some(default)) => Ok(default),
        ([], None) if T::IS_REQUIRED => Err("is required".to_owned()),
        ([_, _, ..], _) if !is_list::<T>() => Err("must be sent once".to_owned()),
        _ => T::parse_from_parameters(values).map_err(|e| e.into_message()),
    }
}

/// Implements poem-openapi's parameter traits for a string newtype with a `parse` function.
macro_rules! string_header_type {
    ($ty:ty, $name:literal, $pattern:literal, $max:literal, $example:expr) => {
        impl ParseFromParameter for $ty {
            fn parse_from_parameter(value: &str) -> ParseResult<Self> {
                <$ty>::parse(value).map_err(ParseError::custom)
            }
        }

        inline_type!($ty, $name, {
            let mut schema = MetaSchema::new("string");
            schema.pattern = Some($pattern.into());
            schema.min_length = Some(1);
            schema.max_length = Some($max);
            schema.example = $example.map(|e: &str| serde_json::Value::String(e.into()));
            MetaSchemaRef::Inline(Box::new(schema))
        });
    };
}

string_header_type!(
    CompanySlug,
    "company_slug",
    "^[a-z0-9-]{1,100}$",
    100,
    Some("acme")
);
string_header_type!(
    IdempotencyKey,
    "idempotency_key",
    "^[\\x21-\\x7E]{1,255}$",
    255,
    // No example: a key is meant to be new for every new request.
    None
);

/// Records a failure for every query parameter the operation doesn't know, so a typo
/// (`?projectid=1`) is an error rather than a silently ignored filter.
pub fn reject_unknown_query(
    checked: &mut super::validation::Validation,
    request: &Request,
    known: &[&str],
) {
    let mut seen: Vec<String> = Vec::new();
    for (name, _) in query_pairs(request) {
        if !known.contains(&name.as_str()) && !seen.contains(&name) {
            checked.fail(Failure::new(name.clone(), "is not a known query parameter"));
            seen.push(name);
        }
    }
}

/// A record's id as a parameter: an integer ≥ 1. Its schema and its check are both here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Id(pub i64);

const ID_RULE: &str = "must be an integer greater than or equal to 1";

inline_type!(Id, "id", {
    let mut schema = MetaSchema::new_with_format("integer", "int64");
    schema.minimum = Some(1.0);
    schema.example = Some(serde_json::json!(1));
    MetaSchemaRef::Inline(Box::new(schema))
});

impl ParseFromParameter for Id {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        value
            .parse::<i64>()
            .ok()
            .filter(|id| *id >= 1)
            .map(Id)
            .ok_or_else(|| ParseError::custom(ID_RULE))
    }
}

/// The `{id}` of a resource path: an [`Id`], or why not.
///
/// poem-openapi names path parameters `param0`, `param1`… internally, so its own parse errors
/// can't name the parameter; this one reports failures on `id`, with the others of the request.
/// (The type must be called `Path`: that is how poem-openapi's macro tells a path parameter.)
pub struct Path(Result<i64, String>);

impl Path {
    pub const NAME: &'static str = "id";

    pub fn into_result(self) -> Result<i64, Failure> {
        self.0.map_err(|message| Failure::new(Self::NAME, message))
    }
}

impl<'a> ApiExtractor<'a> for Path {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::Parameter];
    const PARAM_IS_REQUIRED: bool = true;
    type ParamType = i64;
    type ParamRawType = i64;

    fn param_in() -> Option<MetaParamIn> {
        Some(MetaParamIn::Path)
    }

    fn param_schema_ref() -> Option<MetaSchemaRef> {
        Some(<Id as poem_openapi::types::Type>::schema_ref())
    }

    async fn from_request(
        request: &'a Request,
        _body: &mut RequestBody,
        param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let raw = request.raw_path_param(param_opts.name).unwrap_or_default();
        let id = Id::parse_from_parameter(raw)
            .map(|id| id.0)
            .map_err(|e| e.into_message());
        Ok(Path(id))
    }
}
