//! The README's limits table says what the code enforces.

use invoices_api::api::edge::{MAX_HEADER_BYTES, MAX_HEADERS, MAX_REPEATS, MAX_URI_BYTES};
use invoices_api::api::error::MAX_FAILURES;
use invoices_api::config::{ConnectionLimits, Limits};
use invoices_api::domain::invoice::{EARLIEST_DATE, LATEST_DATE};
use invoices_api::store::events::IDS_PER_TRANSACTION;
use invoices_api::webhooks::{MAX_URL_CHARS, PER_ENDPOINT, TIMEOUT};

/// The `value` column of the README's limits table, by limit.
fn readme_limits() -> Vec<(String, String)> {
    let readme = include_str!("../../README.md");
    let table = readme.split("### Limits").nth(1).expect("a Limits section");
    table
        .lines()
        .skip_while(|line| !line.starts_with("| limit |"))
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            (cells[1].to_owned(), cells[2].to_owned())
        })
        .collect()
}

#[test]
fn the_readme_limits_table_matches_the_code() {
    let limits = Limits::default();
    let connections = ConnectionLimits::default();
    let expected = [
        ("request body", format!("{} bytes", limits.max_body_bytes)),
        (
            "URI, path and query string",
            format!("{MAX_URI_BYTES} bytes"),
        ),
        ("request headers", MAX_HEADERS.to_string()),
        (
            "request header bytes, names and values",
            format!("{MAX_HEADER_BYTES} bytes"),
        ),
        (
            "repetitions of one query parameter",
            MAX_REPEATS.to_string(),
        ),
        ("`failures` listed in one 400", MAX_FAILURES.to_string()),
        (
            "issue and payment dates",
            format!("{EARLIEST_DATE} to {LATEST_DATE}"),
        ),
        (
            "request duration",
            format!("{} s", limits.request_timeout.as_secs()),
        ),
        (
            "request head arrival",
            format!("{} s", connections.head_timeout.as_secs()),
        ),
        ("open connections", connections.max_connections.to_string()),
        (
            "open connections per client address",
            connections.max_connections_per_client.to_string(),
        ),
        (
            "streams per HTTP/2 connection",
            limits.http2_max_streams.to_string(),
        ),
        (
            "webhook endpoint URL",
            format!("{MAX_URL_CHARS} characters"),
        ),
        ("webhook attempt", format!("{} s", TIMEOUT.as_secs())),
        (
            "webhook deliveries in flight per endpoint",
            format!("{PER_ENDPOINT} per node"),
        ),
        (
            "invoice events in one transaction (PostgreSQL)",
            IDS_PER_TRANSACTION.to_string(),
        ),
    ];
    let table = readme_limits();
    for (limit, value) in expected {
        let row = table
            .iter()
            .find(|(name, _)| name == limit)
            .unwrap_or_else(|| panic!("no README row for {limit}"));
        assert!(
            row.1.starts_with(&value),
            "README says {limit} is {:?}; the code: {value}",
            row.1
        );
    }
}
