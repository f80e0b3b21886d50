//! How domain values travel on the wire, and how the spec documents them.
//!
//! poem-openapi's own `Decimal` is a JSON string parsed through `f64`, its `NaiveDate` is
//! documented as `naive-date`, and its timestamps carry nanoseconds. These implementations keep
//! money a numerically exact JSON number, dates `format: date`, and timestamps RFC 3339 UTC
//! with milliseconds.

use crate::domain::money::{self, ExchangeRate, Money};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON};
use rust_decimal::Decimal;
use serde_json::{Number, Value};
use std::str::FromStr;

/// Writes a decimal as a JSON number with exactly its digits (serde_json keeps the text of a
/// number because of its `arbitrary_precision` feature).
pub fn decimal_to_json(value: Decimal) -> Value {
    Number::from_str(&value.normalize().to_string())
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// Reads an exact decimal from a JSON number; strings and other types are refused.
pub fn decimal_from_json(value: &Value) -> Result<Decimal, String> {
    match value {
        Value::Number(n) => money::parse_exact(&n.to_string())
            .ok_or_else(|| "must be a number with at most 28 significant digits".to_owned()),
        other => Err(format!("must be a number, not {}", json_type_name(other))),
    }
}

/// An invoice value from a JSON number.
pub fn money_from_json(value: &Value) -> Result<Money, String> {
    decimal_from_json(value).and_then(|d| Money::new(d).map_err(|e| e.0))
}

/// An exchange rate from a JSON number.
pub fn exchange_rate_from_json(value: &Value) -> Result<ExchangeRate, String> {
    decimal_from_json(value).and_then(|d| ExchangeRate::new(d).map_err(|e| e.0))
}

/// An invoice's date from a JSON string `YYYY-MM-DD`, 1900-01-01 to 2999-12-31.
pub fn date_from_json(value: &Value) -> Result<NaiveDate, String> {
    match value {
        Value::String(s) => crate::domain::invoice::parse_invoice_date(s),
        other => Err(format!("must be a string, not {}", json_type_name(other))),
    }
}

/// The JSON type of a value, as named in error messages.
pub fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn decimal_schema(
    minimum: f64,
    exclusive_minimum: bool,
    places: u32,
    description: &'static str,
    example: &str,
) -> MetaSchemaRef {
    let mut schema = MetaSchema::new("number");
    schema.minimum = Some(minimum);
    schema.exclusive_minimum = exclusive_minimum.then_some(true);
    schema.maximum = Some(1e12);
    schema.exclusive_maximum = Some(true);
    schema.multiple_of = Some(10f64.powi(-(places as i32)));
    schema.description = Some(description);
    schema.example = Number::from_str(example).ok().map(Value::Number);
    MetaSchemaRef::Inline(Box::new(schema))
}

/// Implements poem-openapi's `Type` for a type documented by an inline schema.
macro_rules! inline_type {
    ($ty:ty, $name:literal, $schema:expr) => {
        impl poem_openapi::types::Type for $ty {
            const IS_REQUIRED: bool = true;
            type RawValueType = Self;
            type RawElementValueType = Self;

            fn name() -> std::borrow::Cow<'static, str> {
                $name.into()
            }

            fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
                $schema
            }

            fn as_raw_value(&self) -> Option<&Self::RawValueType> {
                Some(self)
            }

            fn raw_element_iter<'a>(
                &'a self,
            ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
                Box::new(self.as_raw_value().into_iter())
            }
        }
    };
}
pub(crate) use inline_type;

/// Implements poem-openapi's JSON traits for a type that is a plain inline schema.
macro_rules! wire_type {
    ($ty:ty, $name:literal, $schema:expr, $to_json:expr, $from_json:expr) => {
        inline_type!($ty, $name, $schema);

        impl ToJSON for $ty {
            fn to_json(&self) -> Option<Value> {
                #[allow(clippy::redundant_closure_call)]
                Some(($to_json)(self))
            }
        }

        impl ParseFromJSON for $ty {
            fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
                let value = value.unwrap_or_default();
                #[allow(clippy::redundant_closure_call)]
                ($from_json)(&value).map_err(ParseError::custom)
            }
        }
    };
}

wire_type!(
    Money,
    "money",
    decimal_schema(
        0.0,
        false,
        Money::MAX_PLACES,
        "An exact amount: a JSON number ≥ 0 and < 10^12 with at most 2 decimal places.",
        "1000.5"
    ),
    |m: &Money| decimal_to_json(m.amount()),
    money_from_json
);

wire_type!(
    ExchangeRate,
    "exchange_rate",
    decimal_schema(
        0.0,
        true,
        ExchangeRate::MAX_PLACES,
        "An exact rate: a JSON number > 0 and < 10^12 with at most 6 decimal places.",
        "1.0842"
    ),
    |r: &ExchangeRate| decimal_to_json(r.rate()),
    exchange_rate_from_json
);

/// A percentage (a VAT rate), exact, from 0 to 100.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Percentage(pub Decimal);

wire_type!(
    Percentage,
    "percentage",
    {
        let mut schema = MetaSchema::new("number");
        schema.minimum = Some(0.0);
        schema.maximum = Some(100.0);
        schema.description = Some("An exact percentage: a JSON number from 0 to 100.");
        schema.example = Number::from_str("22").ok().map(Value::Number);
        MetaSchemaRef::Inline(Box::new(schema))
    },
    |p: &Percentage| decimal_to_json(p.0),
    |v: &Value| decimal_from_json(v).map(Percentage)
);

/// An exact amount of money or days a budget holds: at most 2 decimal places, negative where
/// it is a discount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amount(pub Decimal);

wire_type!(
    Amount,
    "amount",
    {
        let mut schema = MetaSchema::new("number");
        schema.multiple_of = Some(0.01);
        schema.description = Some(
            "An exact amount: a JSON number with at most 2 decimal places (negative for a discount).",
        );
        schema.example = Number::from_str("12500.5").ok().map(Value::Number);
        MetaSchemaRef::Inline(Box::new(schema))
    },
    |a: &Amount| decimal_to_json(a.0),
    |v: &Value| decimal_from_json(v).map(Amount)
);

/// An invoice's calendar date, `YYYY-MM-DD` on the wire, from 1900-01-01 to 2999-12-31.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

wire_type!(
    Date,
    "date",
    {
        let mut schema = MetaSchema::new_with_format("string", "date");
        // The years the dates may have (1900–2999), as a pattern: OpenAPI has no date bounds.
        schema.pattern = Some("^(19[0-9]{2}|2[0-9]{3})-[0-9]{2}-[0-9]{2}$".into());
        schema.example = Some(Value::String("2024-06-15".into()));
        MetaSchemaRef::Inline(Box::new(schema))
    },
    |d: &Date| Value::String(d.0.format("%Y-%m-%d").to_string()),
    |v: &Value| date_from_json(v).map(Date)
);

/// A moment in time, RFC 3339 in UTC with milliseconds on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp(pub DateTime<Utc>);

wire_type!(
    Timestamp,
    "timestamp",
    {
        let mut schema = MetaSchema::new_with_format("string", "date-time");
        schema.example = Some(Value::String("2026-03-10T18:18:59.374Z".into()));
        MetaSchemaRef::Inline(Box::new(schema))
    },
    |t: &Timestamp| Value::String(t.0.to_rfc3339_opts(SecondsFormat::Millis, true)),
    |v: &Value| match v {
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .map(|t| Timestamp(t.with_timezone(&Utc)))
            .map_err(|e| format!("must be an RFC 3339 date-time: {e}")),
        other => Err(format!("must be a string, not {}", json_type_name(other))),
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_leave_as_exact_numbers() {
        let d = Decimal::from_str_exact("999999999999.99").expect("literal");
        assert_eq!(decimal_to_json(d).to_string(), "999999999999.99");
        let d = Decimal::from_str_exact("1000.10").expect("literal");
        assert_eq!(decimal_to_json(d).to_string(), "1000.1");
    }

    #[test]
    fn decimals_arrive_exact_and_never_as_strings() {
        let v: Value = serde_json::from_str("0.1").expect("json");
        assert_eq!(
            decimal_from_json(&v).map(|d| d.to_string()),
            Ok("0.1".into())
        );
        assert!(decimal_from_json(&Value::String("1".into())).is_err());
    }
}
