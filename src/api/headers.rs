//! The company and version headers every call sends.
//!
//! poem-openapi's `Header<T>` fails the request at the first bad header. [`RequiredHeader`]
//! documents the header as required all the same, but hands its outcome to the operation, which
//! reports every header failure (and the body's) in one 400.

use super::error::Failure;
use crate::domain::company::CompanySlug;
use poem::{Request, RequestBody};
use poem_openapi::registry::{MetaParamIn, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseFromParameter, Type};
use poem_openapi::{ApiExtractor, ApiExtractorType, Enum, ExtractParamOptions};

/// The API versions this server speaks.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiVersion {
    #[oai(rename = "2024-06-15")]
    V2024_06_15,
}

/// A header the operation requires; its value, or why it was refused.
pub struct RequiredHeader<T> {
    name: &'static str,
    value: Result<T, String>,
}

impl<T> RequiredHeader<T> {
    /// The parsed value, or the failure to report, naming the header.
    pub fn into_result(self) -> Result<T, Failure> {
        let name = self.name;
        self.value.map_err(|message| Failure::new(name, message))
    }
}

impl<'a, T: ParseFromParameter + Send> ApiExtractor<'a> for RequiredHeader<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::Parameter];
    const PARAM_IS_REQUIRED: bool = true;
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
            [] => Err("is required".to_owned()),
            [one] => T::parse_from_parameter(one).map_err(|e| e.into_message()),
            _ => Err("must be sent once".to_owned()),
        };
        Ok(RequiredHeader {
            name: param_opts.name,
            value,
        })
    }
}

impl ParseFromParameter for CompanySlug {
    fn parse_from_parameter(value: &str) -> poem_openapi::types::ParseResult<Self> {
        CompanySlug::parse(value).map_err(poem_openapi::types::ParseError::custom)
    }
}

impl Type for CompanySlug {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> std::borrow::Cow<'static, str> {
        "company_slug".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        let mut schema = poem_openapi::registry::MetaSchema::new("string");
        schema.pattern = Some("^[a-z0-9-]{1,100}$".into());
        schema.min_length = Some(1);
        schema.max_length = Some(100);
        schema.example = Some(serde_json::Value::String("acme".into()));
        MetaSchemaRef::Inline(Box::new(schema))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'b>(
        &'b self,
    ) -> Box<dyn Iterator<Item = &'b Self::RawElementValueType> + 'b> {
        Box::new(self.as_raw_value().into_iter())
    }
}
