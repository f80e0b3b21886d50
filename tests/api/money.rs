//! Money is exact: JSON numbers in and out, never a float in between.

use crate::helpers::World;
use rust_decimal::Decimal;
use serde_json::Value;

/// Sends `value` as the exact JSON number text given; returns the reply.
async fn create_with_value_text(w: &World, field: &str, text: &str) -> crate::helpers::Reply {
    let mut body = w.minimal_body();
    body[field] = serde_json::from_str::<Value>(text).expect("number literal");
    w.create_as(&w.pm, &body).await
}

#[tokio::test]
async fn values_come_back_numerically_exact_and_are_stored_exactly() {
    let w = World::new().await;
    let cases = [
        ("999999999999.99", "999999999999.99"),
        ("0.1", "0.1"),
        ("1000.10", "1000.1"),
        ("0", "0"),
        ("0.01", "0.01"),
        ("123456789012.34", "123456789012.34"),
        ("1.5e2", "150"),
        ("1.100", "1.1"),
    ];
    for (sent, expected) in cases {
        let reply = create_with_value_text(&w, "value", sent).await;
        assert_eq!(reply.status, 201, "value {sent}: {}", reply.text);
        let body = reply.json();
        assert!(
            body["value"].is_number(),
            "value {sent} must come back as a JSON number"
        );
        assert_eq!(body["value"].to_string(), expected, "value {sent}");
        let stored = w.app.stored_invoice(body["id"].as_i64().expect("id")).await;
        assert_eq!(
            stored.value.0,
            Decimal::from_str_exact(expected).expect("decimal"),
            "stored value for {sent}"
        );
    }
}

#[tokio::test]
async fn exchange_rates_come_back_exact_with_six_places() {
    let w = World::new().await;
    for (sent, expected) in [
        ("0.000001", "0.000001"),
        ("999999999999.999999", "999999999999.999999"),
        ("1.084200", "1.0842"),
    ] {
        let reply = create_with_value_text(&w, "exchange_rate", sent).await;
        assert_eq!(reply.status, 201, "rate {sent}: {}", reply.text);
        let body = reply.json();
        assert_eq!(body["exchange_rate"].to_string(), expected, "rate {sent}");
        let stored = w.app.stored_invoice(body["id"].as_i64().expect("id")).await;
        assert_eq!(
            stored.exchange_rate.map(|r| r.0),
            Some(Decimal::from_str_exact(expected).expect("decimal"))
        );
    }
}

#[tokio::test]
async fn money_outside_its_rules_is_refused_on_its_field() {
    let w = World::new().await;
    let cases = [
        ("value", "-0.01", "negative"),
        ("value", "1000000000000", "10^12 is out of range"),
        ("value", "1e12", "10^12 in exponent form"),
        ("value", "1.005", "three decimal places"),
        ("value", "\"100\"", "a string, not a number"),
        ("value", "true", "a boolean"),
        ("value", "123456789012345678901234567890", "too many digits"),
        ("exchange_rate", "0", "zero"),
        ("exchange_rate", "-1", "negative"),
        ("exchange_rate", "1000000000000", "10^12"),
        ("exchange_rate", "1.0000001", "seven decimal places"),
        ("exchange_rate", "\"1.5\"", "a string"),
    ];
    for (field, text, why) in cases {
        let reply = create_with_value_text(&w, field, text).await;
        assert_eq!(reply.failed_fields(), [field], "{field} = {text} ({why})");
    }
    assert_eq!(w.app.invoice_count().await, 0);
}

#[tokio::test]
async fn the_body_is_read_without_floats_even_for_long_numbers() {
    let w = World::new().await;
    let raw = format!(
        r#"{{"project_id": {}, "value": 999999999999.99, "exchange_rate": 123456789012.123456, "issue_date": "2024-06-15"}}"#,
        w.project
    );
    let reply = w
        .app
        .post_invoice_raw(
            &[
                ("Authorization", &format!("Bearer {}", w.pm)),
                ("Wethod-Company", "acme"),
                ("Wethod-Version", "2024-06-15"),
                ("Content-Type", "application/json"),
            ],
            raw,
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert!(
        reply.text.contains(r#""value":999999999999.99"#),
        "{}",
        reply.text
    );
    assert!(
        reply
            .text
            .contains(r#""exchange_rate":123456789012.123456"#),
        "{}",
        reply.text
    );
}
