//! Every request body's schema, as the finished spec shows it, held to the parser that reads
//! the body: what the schema accepts the parser accepts, and what it refuses the parser refuses
//! on that field. A body schema in the spec without a parser here fails the test, so a new body
//! can't slip by.

use super::body::{JsonBody, JsonObjectBody};
use super::invoices::model::{SendInvoice, SetPaid};
use super::spec::Spec;
use crate::domain::invoice::{InvoicePatch, NewInvoice};
use poem_openapi::types::Type;
use serde_json::{Map, Value, json};

/// A body parser: the fields it reports failures on, for a JSON object.
type FailedFields = fn(Map<String, Value>) -> Vec<(String, String)>;

fn failed<T: JsonObjectBody>(map: Map<String, Value>) -> Vec<(String, String)> {
    match JsonBody::<T>::from_map(map) {
        JsonBody::Read { parsed: Err(f), .. } => {
            f.into_iter().map(|f| (f.field, f.message)).collect()
        }
        JsonBody::Read { parsed: Ok(_), .. } => Vec::new(),
        JsonBody::Refused(refusal) => vec![("body".into(), format!("{refusal:?}"))],
    }
}

fn parsers() -> Vec<(String, FailedFields)> {
    fn entry<T: JsonObjectBody>() -> (String, FailedFields) {
        (T::Schema::name().into_owned(), failed::<T>)
    }
    vec![
        entry::<NewInvoice>(),
        entry::<InvoicePatch>(),
        entry::<SendInvoice>(),
        entry::<SetPaid>(),
    ]
}

/// The finished spec's request body schemas, by name.
pub(super) fn body_schemas(spec: &Value) -> Vec<(String, Value)> {
    let mut names: Vec<String> = spec["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(Value::as_object)
        .flat_map(|item| item.values())
        .filter_map(|op| {
            op.pointer("/requestBody/content/application~1json/schema/$ref")?
                .as_str()?
                .strip_prefix("#/components/schemas/")
                .map(str::to_owned)
        })
        .collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let schema = spec["components"]["schemas"][&name].clone();
            (name, schema)
        })
        .collect()
}

/// Whether the parser reports a failure on `field` for the object `{field: value}`.
fn refuses(parse: FailedFields, field: &str, value: Value) -> bool {
    let map = Map::from_iter([(field.to_owned(), value)]);
    parse(map).iter().any(|(f, _)| f == field)
}

fn number(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// A value the property's schema accepts.
fn valid_value(property: &Value) -> Value {
    if !property["example"].is_null() {
        return property["example"].clone();
    }
    match property["type"].as_str() {
        Some("integer") => json!(property["minimum"].as_f64().unwrap_or(1.0) as i64),
        Some("number") => json!(1),
        _ => json!("x"),
    }
}

/// Every rule the schema states about one property, checked against the parser.
fn check_property(schema: &str, parse: FailedFields, field: &str, property: &Value) {
    let at = format!("{schema}.{field}");
    let valid = valid_value(property);
    assert!(
        !refuses(parse, field, valid.clone()),
        "{at}: {valid} refused"
    );
    let nullable = property["nullable"] == true;
    assert_eq!(refuses(parse, field, Value::Null), !nullable, "{at}: null");
    assert!(
        refuses(parse, field, json!(true)),
        "{at}: a boolean accepted"
    );
    if property["type"] == "string" {
        assert!(refuses(parse, field, json!(12)), "{at}: a number accepted");
    } else {
        assert!(
            refuses(parse, field, json!("12")),
            "{at}: a string accepted"
        );
    }
    if let Some(max) = property["maxLength"].as_u64() {
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        let fits = json!("é".repeat(max));
        assert!(
            !refuses(parse, field, fits),
            "{at}: {max} characters refused"
        );
        let over = json!("é".repeat(max + 1));
        assert!(
            refuses(parse, field, over),
            "{at}: {} characters accepted",
            max + 1
        );
    }
    if property["pattern"]
        .as_str()
        .is_some_and(|p| p.contains("[^\\u0000]"))
    {
        assert!(
            refuses(parse, field, json!("a\u{0}b")),
            "{at}: NUL accepted"
        );
    }
    if property["type"] == "integer"
        && let Some(min) = property["minimum"].as_f64()
    {
        let min = min as i64;
        assert!(!refuses(parse, field, json!(min)), "{at}: {min} refused");
        assert!(
            refuses(parse, field, json!(min - 1)),
            "{at}: {} accepted",
            min - 1
        );
        assert!(refuses(parse, field, number("1.5")), "{at}: 1.5 accepted");
    }
    if property["type"] == "number" {
        let exclusive = |key: &str| property[key] == true;
        if let Some(min) = property["minimum"].as_f64() {
            let at_min = number(&min.to_string());
            assert_eq!(
                refuses(parse, field, at_min),
                exclusive("exclusiveMinimum"),
                "{at}: the minimum {min}"
            );
            assert!(
                refuses(parse, field, number(&format!("{}", min - 1.0))),
                "{at}: below"
            );
        }
        if let Some(max) = property["maximum"].as_f64() {
            let at_max = number(&format!("{max:.0}"));
            assert_eq!(
                refuses(parse, field, at_max),
                exclusive("exclusiveMaximum"),
                "{at}: the maximum {max}"
            );
        }
        if let Some(step) = property["multipleOf"].as_f64() {
            let places = (-step.log10()).round() as usize;
            let finer = number(&format!("1.{}1", "0".repeat(places)));
            assert!(refuses(parse, field, finer), "{at}: finer than {step}");
        }
    }
}

#[test]
fn every_request_schema_agrees_with_its_parser() {
    let spec = Spec::build().expect("the spec builds");
    let spec: Value = serde_json::from_str(&spec.json).expect("JSON");
    let parsers = parsers();
    let schemas = body_schemas(&spec);
    let mut with_parser: Vec<&String> = parsers.iter().map(|(name, _)| name).collect();
    with_parser.sort();
    let in_spec: Vec<&String> = schemas.iter().map(|(name, _)| name).collect();
    assert_eq!(
        in_spec, with_parser,
        "every body schema of the spec has its parser here"
    );

    for (name, schema) in &schemas {
        let parse = parsers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, parse)| *parse)
            .expect("listed");
        let properties = schema["properties"].as_object().expect("properties");
        for (field, property) in properties {
            check_property(name, parse, field, property);
        }
        // What the schema requires is exactly what an empty object lacks.
        let mut required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        required.sort_unstable();
        let mut missing: Vec<String> = parse(Map::new()).into_iter().map(|(f, _)| f).collect();
        missing.sort();
        assert_eq!(missing, required, "{name}: the required fields");
        // And nothing else: `additionalProperties: false` is what the parser does.
        assert_eq!(schema["additionalProperties"], false, "{name}");
        assert!(
            refuses(parse, "not_a_field", json!(1)),
            "{name}: an unknown field accepted"
        );
    }
}
