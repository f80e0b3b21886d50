//! 400 `invalid_data`: every malformed request, each failure naming its field or header.

use crate::helpers::{ACME, VERSION, World};
use serde_json::{Value, json};

#[tokio::test]
async fn each_field_rule_is_enforced_on_its_field() {
    let w = World::new().await;
    let long = |n: usize| Value::String("x".repeat(n));
    let cases: Vec<(&str, Value, &str)> = vec![
        ("project_id", json!("1"), "an integer sent as a string"),
        ("project_id", json!(0), "zero"),
        ("project_id", json!(-3), "negative"),
        ("project_id", json!(1.5), "not an integer"),
        ("project_id", json!(1.0), "a float that looks whole"),
        ("project_id", Value::Null, "null"),
        ("issue_date", json!("2024-02-30"), "not a real date"),
        ("issue_date", json!("2024-6-5"), "not zero-padded"),
        ("issue_date", json!("15/06/2024"), "another format"),
        ("issue_date", json!("2024-06-15T10:00:00Z"), "a date-time"),
        ("issue_date", json!(20240615), "a number"),
        ("issue_date", Value::Null, "null"),
        ("value", Value::Null, "null"),
        ("invoice_number", json!(""), "empty"),
        ("invoice_number", json!("   "), "blank"),
        ("invoice_number", long(256), "256 characters"),
        ("invoice_number", json!(42), "a number"),
        ("purchase_order", long(256), "256 characters"),
        ("purchase_order", json!(["PO"]), "an array"),
        ("notes", long(10_001), "10001 characters"),
        ("notes", json!(false), "a boolean"),
        ("budget_area_uid", long(256), "256 characters"),
        ("budget_area_uid", json!(7), "a number"),
        ("vat_rate_id", json!(0), "zero"),
        ("vat_rate_id", json!("1"), "a string"),
        ("payment_term_id", json!(-1), "negative"),
        ("payment_term_id", json!({"id": 1}), "an object"),
        ("notes", json!("a\u{0}b"), "a NUL character"),
        ("invoice_number", json!("\u{0}"), "a NUL character"),
        ("purchase_order", json!("PO\u{0}"), "a NUL character"),
        ("budget_area_uid", json!("\u{0}"), "a NUL character"),
    ];
    for (field, value, why) in cases {
        let mut body = w.minimal_body();
        body[field] = value;
        let reply = w.create_as(&w.pm, &body).await;
        assert_eq!(reply.failed_fields(), [field], "{field}: {why}");
    }
    assert_eq!(
        w.app.invoice_count().await,
        0,
        "a refused request wrote something"
    );
}

#[tokio::test]
async fn limits_count_characters_and_are_inclusive() {
    let w = World::new().await;
    let body = w.body_with(json!({
        "invoice_number": "é".repeat(255),
        "purchase_order": "€".repeat(255),
        "notes": "ü".repeat(10_000),
    }));
    let reply = w.create_as(&w.pm, &body).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
}

#[tokio::test]
async fn each_missing_required_field_is_named() {
    let w = World::new().await;
    for field in ["project_id", "value", "issue_date"] {
        let mut body = w.minimal_body();
        body.as_object_mut().expect("object").remove(field);
        assert_eq!(w.create_as(&w.pm, &body).await.failed_fields(), [field]);
    }
}

#[tokio::test]
async fn every_failure_of_a_body_is_reported_at_once() {
    let w = World::new().await;
    let body =
        json!({ "value": "12", "issue_date": "2024-13-01", "notes": 1, "colour": "red", "id": 5 });
    let fields = w.create_as(&w.pm, &body).await.failed_fields();
    assert_eq!(
        fields,
        ["value", "issue_date", "notes", "project_id", "colour", "id"]
    );
}

#[tokio::test]
async fn unknown_fields_are_refused_by_name() {
    let w = World::new().await;
    for field in ["status", "payment_date", "id", "Value"] {
        let body = w.body_with(json!({ field: "x" }));
        assert_eq!(
            w.create_as(&w.pm, &body).await.failed_fields(),
            [field],
            "{field}"
        );
    }
}

fn headers(token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Authorization", format!("Bearer {token}")),
        ("Wethod-Company", ACME.to_owned()),
        ("Wethod-Version", VERSION.to_owned()),
        ("Content-Type", "application/json".to_owned()),
    ]
}

async fn post(
    w: &World,
    headers: Vec<(&'static str, String)>,
    body: &str,
) -> crate::helpers::Reply {
    let pairs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    w.app.post_invoice_raw(&pairs, body.to_owned()).await
}

#[tokio::test]
async fn a_body_that_is_not_a_json_object_is_a_400_on_body() {
    let w = World::new().await;
    for raw in [
        "",
        "{",
        "not json",
        "[1, 2]",
        "\"text\"",
        "null",
        "{\"value\": 1,}",
    ] {
        let reply = post(&w, headers(&w.pm), raw).await;
        assert_eq!(reply.failed_fields(), ["body"], "body {raw:?}");
    }
}

#[tokio::test]
async fn missing_or_bad_company_and_version_headers_are_named() {
    let w = World::new().await;
    let body = w.minimal_body().to_string();
    let without = |name: &str| {
        headers(&w.pm)
            .into_iter()
            .filter(|(n, _)| *n != name)
            .collect::<Vec<_>>()
    };
    let with = |name: &'static str, value: &str| {
        let mut h = without(name);
        h.push((name, value.to_owned()));
        h
    };
    let cases = [
        (
            without("Wethod-Company"),
            vec!["Wethod-Company"],
            "company missing",
        ),
        (
            without("Wethod-Version"),
            vec!["Wethod-Version"],
            "version missing",
        ),
        (
            with("Wethod-Version", "2023-01-01"),
            vec!["Wethod-Version"],
            "unsupported version",
        ),
        (
            with("Wethod-Version", "latest"),
            vec!["Wethod-Version"],
            "not a version",
        ),
        (
            with("Wethod-Company", "Not A Slug!"),
            vec!["Wethod-Company"],
            "malformed slug",
        ),
        (
            without("Wethod-Company")
                .into_iter()
                .filter(|(n, _)| *n != "Wethod-Version")
                .collect(),
            vec!["Wethod-Company", "Wethod-Version"],
            "both missing",
        ),
    ];
    for (hs, expected, why) in cases {
        let reply = post(&w, hs, &body).await;
        assert_eq!(reply.failed_fields(), expected, "{why}");
    }
}

#[tokio::test]
async fn header_and_body_failures_come_in_one_400_headers_first() {
    let w = World::new().await;
    let hs: Vec<_> = headers(&w.pm)
        .into_iter()
        .filter(|(n, _)| *n != "Wethod-Version")
        .collect();
    let reply = post(
        &w,
        hs,
        r#"{"value": -1, "issue_date": "2024-06-15", "project_id": 1}"#,
    )
    .await;
    assert_eq!(reply.failed_fields(), ["Wethod-Version", "value"]);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_415() {
    let w = World::new().await;
    let body = w.minimal_body().to_string();
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
    ] {
        let mut hs: Vec<_> = headers(&w.pm)
            .into_iter()
            .filter(|(n, _)| *n != "Content-Type")
            .collect();
        hs.push(("Content-Type", content_type.to_owned()));
        post(&w, hs, &body)
            .await
            .assert_error(415, "unsupported_media_type");
    }
    let hs: Vec<_> = headers(&w.pm)
        .into_iter()
        .filter(|(n, _)| *n != "Content-Type")
        .collect();
    post(&w, hs, &body)
        .await
        .assert_error(415, "unsupported_media_type");
    assert_eq!(w.app.invoice_count().await, 0);
}

#[tokio::test]
async fn json_with_a_charset_parameter_is_accepted() {
    let w = World::new().await;
    let mut hs: Vec<_> = headers(&w.pm)
        .into_iter()
        .filter(|(n, _)| *n != "Content-Type")
        .collect();
    hs.push(("Content-Type", "application/json; charset=utf-8".to_owned()));
    let reply = post(&w, hs, &w.minimal_body().to_string()).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
}

#[tokio::test]
async fn a_body_over_64_kib_is_a_413() {
    let w = World::new().await;
    let body = w
        .body_with(json!({ "notes": "x".repeat(70_000) }))
        .to_string();
    post(&w, headers(&w.pm), &body)
        .await
        .assert_error(413, "payload_too_large");
    assert_eq!(w.app.invoice_count().await, 0);
}
