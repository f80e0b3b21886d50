//! The headers an operation reads: company, version, idempotency key.
//!
//! poem-openapi's `Header<T>` fails the request at the first bad header. [`HeaderParam`]
//! documents the header all the same (required unless `T` is an `Option`), but hands its
//! outcome to the operation, which reports every header failure (and the body's) in one 400.

use super::error::Failure;
use super::types::inline_type;
use crate::domain::company::CompanySlug;
use crate::domain::idempotency::IdempotencyKey;
use poem::{Request, RequestBody};
use poem_openapi::registry::{MetaParamIn, MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseError, ParseFromParameter, ParseResult};
use poem_openapi::{ApiExtractor, ApiExtractorType, Enum, ExtractParamOptions};

/// The API versions this server speaks.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiVersion {
    #[oai(rename = "2024-06-15")]
    V2024_06_15,
}

/// A header parameter: its value, or why it was refused.
pub struct HeaderParam<T> {
    name: &'static str,
    value: Result<T, String>,
}

impl<T> HeaderParam<T> {
    /// The parsed value, or the failure to report, naming the header.
    pub fn into_result(self) -> Result<T, Failure> {
        let name = self.name;
        self.value.map_err(|message| Failure::new(name, message))
    }
}

impl<'a, T: ParseFromParameter + Send> ApiExtractor<'a> for HeaderParam<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::Parameter];
    const PARAM_IS_REQUIRED: bool = T::IS_REQUIRED;
    type ParamType = T;
    type ParamRawType = T::RawValueType;

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn param_in() -> Option<MetaParamIn> {
        Some(MetaParamIn::Header)
    }

    fn param_schema_ref() -> Option<MetaSchemaRef> {
        Some(T::schema_ref())
    }

    async fn from_request(
        request: &'a Request,
        _body: &mut RequestBody,
        param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let values: Vec<&str> = request
            .headers()
            .get_all(param_opts.name)
            .iter()
            .map(|v| v.to_str().unwrap_or("\u{fffd}"))
            .collect();
        let value = match values.as_slice() {
            [] if T::IS_REQUIRED => Err("is required".to_owned()),
            [_, _, ..] => Err("must be sent once".to_owned()),
            _ => T::parse_from_parameters(values).map_err(|e| e.into_message()),
        };
        Ok(HeaderParam {
            name: param_opts.name,
            value,
        })
    }
}

/// Implements poem-openapi's parameter traits for a string newtype with a `parse` function.
macro_rules! string_header_type {
    ($ty:ty, $name:literal, $pattern:literal, $max:literal, $example:literal) => {
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
            schema.example = Some(serde_json::Value::String($example.into()));
            MetaSchemaRef::Inline(Box::new(schema))
        });
    };
}

string_header_type!(
    CompanySlug,
    "company_slug",
    "^[a-z0-9-]{1,100}$",
    100,
    "acme"
);
string_header_type!(
    IdempotencyKey,
    "idempotency_key",
    "^[\\x21-\\x7E]{1,255}$",
    255,
    "3f1c2b7e-0a4d-4c1e-9a57-1d2e3f4a5b6c"
);
