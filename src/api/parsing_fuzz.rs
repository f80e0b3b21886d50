//! Property-based fuzzing of everything that parses what a client sends: JSON bodies (as bytes
//! and as objects with the known field names and arbitrary values), filter values, dates,
//! conditional headers and query strings. The property is that parsing answers (a value or
//! failures, each naming a field) and never panics. Bounded: `PROPTEST_CASES` (default 2000
//! per property) keeps it to seconds in CI.

use super::body::JsonBody;
use super::conditional::{IfMatch, IfNoneMatch};
use super::edge;
use super::filters::{DateFilter, DateTimeFilter, IdFilter};
use super::invoices::model::SetPaid;
use crate::domain::invoice::{InvoicePatch, NewInvoice, parse_invoice_date};
use poem_openapi::types::ParseFromParameter;
use proptest::prelude::*;
use serde_json::{Map, Value};
use std::sync::LazyLock;

/// Every field of every request body the spec documents, and one it doesn't.
static FIELDS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let spec = super::spec::Spec::build().expect("the spec builds");
    let spec: Value = serde_json::from_str(&spec.json).expect("JSON");
    let mut fields: Vec<String> = super::schema_agreement::body_schemas(&spec)
        .iter()
        .flat_map(|(_, schema)| schema["properties"].as_object().expect("properties").keys())
        .cloned()
        .collect();
    fields.sort();
    fields.dedup();
    fields.push("unknown".into());
    fields
});

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000)
}

/// Any JSON value, numbers written as arbitrary text (exact decimals are read from it).
fn json_value() -> impl Strategy<Value = Value> {
    let number = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| n.to_string()),
        "-?[0-9]{1,30}(\\.[0-9]{0,30})?([eE][-+]?[0-9]{1,5})?",
    ]
    .prop_filter_map("a JSON number", |text| {
        serde_json::from_str::<Value>(&text).ok()
    });
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number,
        ".{0,300}".prop_map(Value::String),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((".{0,8}", inner), 0..4)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// An object with some of the known field names (and one unknown), each with any value.
fn body_object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((prop::sample::select(FIELDS.clone()), json_value()), 0..12)
        .prop_map(|pairs| pairs.into_iter().collect())
}

/// Every body parser on one object; each failure names a field.
fn parse_every_body(map: Map<String, Value>) {
    fn failures<T>(body: JsonBody<T>) -> Option<Vec<super::error::Failure>> {
        match body {
            JsonBody::Read { parsed, .. } => parsed.err(),
            JsonBody::Refused(refusal) => panic!("a JSON object was refused: {refusal:?}"),
        }
    }
    let new = failures(JsonBody::<NewInvoice>::from_map(map.clone()));
    let patch = failures(JsonBody::<InvoicePatch>::from_map(map.clone()));
    let paid = failures(JsonBody::<SetPaid>::from_map(map));
    for failures in [new, patch, paid].into_iter().flatten() {
        assert!(!failures.is_empty());
        assert!(
            failures
                .iter()
                .all(|f| !f.field.is_empty() && !f.message.is_empty())
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn any_body_bytes_parse_or_fail_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&bytes) {
            parse_every_body(map);
        }
    }

    #[test]
    fn any_object_with_the_known_fields_parses_or_names_its_failures(map in body_object()) {
        parse_every_body(map);
    }

    #[test]
    fn any_filter_value_parses_or_fails_without_panicking(raw in "((eq|neq|gt|gte|lt|lte|in|bt):)?.{0,40}") {
        let _ = IdFilter::parse_from_parameter(&raw);
        let _ = DateFilter::parse_from_parameter(&raw);
        let _ = DateTimeFilter::parse_from_parameter(&raw);
        let _ = parse_invoice_date(&raw);
    }

    #[test]
    fn any_conditional_header_parses_or_fails_without_panicking(raw in ".{0,64}") {
        let _ = IfMatch::parse_from_parameter(&raw);
        let _ = IfNoneMatch::parse_from_parameter(&raw);
    }

    #[test]
    fn any_query_string_is_refused_or_let_through_without_panicking(
        pairs in prop::collection::vec(("[a-z_%0-9]{0,12}", "[ -~]{0,20}"), 0..40)
    ) {
        let query: String = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", v.replace(['#', ' '], "+")))
            .collect::<Vec<_>>()
            .join("&");
        let Ok(uri) = format!("/api/invoices?{query}").parse::<poem::http::Uri>() else {
            return Ok(());
        };
        let request = poem::Request::builder().uri(uri).finish();
        if let Some(refusal) = edge::refusal(&request) {
            let body = refusal.body();
            prop_assert!(body["key"].is_string());
        }
        let _ = super::edge::query_pairs(&request);
    }
}
