//! The spec is an artifact: generated from the code, committed, served, and faithful to the
//! seed page.

use crate::helpers::spawn_app;
use serde_json::Value;

#[test]
fn the_committed_openapi_yaml_is_what_the_code_generates() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml");
    let committed = std::fs::read_to_string(path).expect("openapi.yaml is committed");
    let generated = invoices_api::api::spec_yaml().expect("the spec builds");
    assert!(
        committed == generated,
        "openapi.yaml is stale: run `cargo run -- openapi > openapi.yaml` and commit it"
    );
}

async fn served_spec() -> Value {
    let app = spawn_app().await;
    let reply = app.get("/openapi.json").await;
    assert_eq!(reply.status, 200);
    reply.json()
}

#[tokio::test]
async fn the_spec_and_swagger_ui_are_served() {
    let app = spawn_app().await;
    let yaml = app.get("/openapi.yaml").await;
    assert_eq!(yaml.status, 200);
    assert!(yaml.text.contains("create_invoice"));
    let docs = app.get("/docs").await;
    assert_eq!(docs.status, 200);
    assert!(docs.text.contains("swagger"), "Swagger UI page expected");
    let json = app.get("/openapi.json").await;
    assert!(
        docs.text.contains(&json.text),
        "Swagger UI must show the same spec as /openapi.json"
    );
    assert_eq!(
        yaml.text,
        invoices_api::api::spec_yaml().expect("the spec builds")
    );
}

#[tokio::test]
async fn every_operation_has_an_operation_id() {
    let spec = served_spec().await;
    let paths = spec["paths"].as_object().expect("paths");
    assert!(paths.contains_key("/api/invoices"));
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("path item") {
            assert!(
                op["operationId"].as_str().is_some_and(|id| !id.is_empty()),
                "{method} {path}"
            );
        }
    }
    assert_eq!(
        spec["paths"]["/api/invoices"]["post"]["operationId"],
        "create_invoice"
    );
}

/// Every operation that takes the bearer token documents the two headers it reads with it,
/// required and first; every other operation says it is public.
#[tokio::test]
async fn every_authenticated_operation_documents_the_identity_headers() {
    let spec = served_spec().await;
    let (mut secured, mut public) = (0, 0);
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let names: Vec<&str> = op["parameters"]
                .as_array()
                .map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect())
                .unwrap_or_default();
            if op["security"] == serde_json::json!([{ "BearerAuth": [] }]) {
                secured += 1;
                assert_eq!(
                    names.get(..2),
                    Some(&["Wethod-Company", "Wethod-Version"][..]),
                    "{method} {path}"
                );
                for header in &op["parameters"].as_array().expect("parameters")[..2] {
                    assert_eq!(header["in"], "header", "{method} {path}");
                    assert_eq!(header["required"], true, "{method} {path}");
                }
            } else {
                public += 1;
                assert_eq!(op["security"], serde_json::json!([]), "{method} {path}");
                assert!(!names.contains(&"Wethod-Company"), "{method} {path}");
            }
        }
    }
    assert!(
        secured >= 13 && public >= 1,
        "{secured} secured, {public} public"
    );
}

/// A mock server or a client generated from the spec shows documented examples: every
/// response header has one, of its schema's type.
#[tokio::test]
async fn every_response_header_has_an_example() {
    let spec = served_spec().await;
    let mut seen = 0;
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            for (status, response) in op["responses"].as_object().expect("responses") {
                let Some(headers) = response["headers"].as_object() else {
                    continue;
                };
                for (name, header) in headers {
                    let schema = &header["schema"];
                    let example = &schema["example"];
                    let typed = match schema["type"].as_str() {
                        Some("string") => example.is_string(),
                        Some("boolean") => example.is_boolean(),
                        Some("integer") => example.is_u64(),
                        _ => false,
                    };
                    assert!(typed, "{method} {path} {status} {name}: {schema}");
                    seen += 1;
                }
            }
        }
    }
    assert!(seen >= 5, "the response headers were found ({seen})");
}

#[tokio::test]
async fn create_invoice_documents_its_headers_security_and_responses() {
    let spec = served_spec().await;
    let op = &spec["paths"]["/api/invoices"]["post"];
    let params = op["parameters"].as_array().expect("parameters");
    let find = |name: &str| {
        params
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} documented"))
            .clone()
    };
    let company = find("Wethod-Company");
    assert_eq!(company["in"], "header");
    assert_eq!(company["required"], true);
    assert_eq!(
        company["description"],
        "The company you want to interact with"
    );
    let version = find("Wethod-Version");
    assert_eq!(version["required"], true);
    assert_eq!(version["description"], "The API version you want to use");
    let version_schema = resolve(&spec, &version["schema"]);
    assert_eq!(version_schema["enum"], serde_json::json!(["2024-06-15"]));

    assert_eq!(op["security"], serde_json::json!([{ "BearerAuth": [] }]));
    let scheme = &spec["components"]["securitySchemes"]["BearerAuth"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");

    let created = &op["responses"]["201"]["content"]["application/json"];
    assert!(
        resolve(&spec, &created["schema"])["example"].is_object(),
        "201 has an example"
    );
    let keys = [
        ("400", "invalid_data"),
        ("401", "unauthorized"),
        ("403", "forbidden"),
        ("404", "not_found"),
        ("412", "precondition_failure"),
        ("413", "payload_too_large"),
        ("415", "unsupported_media_type"),
        ("429", "too_many_requests"),
        ("500", "internal_error"),
        ("503", "unavailable"),
    ];
    for (status, key) in keys {
        let content = &op["responses"][status]["content"]["application/json"];
        // One error schema for every status (progenitor accepts no other), an example each.
        assert_eq!(
            content["schema"]["$ref"], "#/components/schemas/Error",
            "{status}"
        );
        assert_eq!(content["example"]["key"], key, "{status}");
    }
    assert!(
        op["responses"]["400"]["content"]["application/json"]["example"]["failures"].is_array()
    );
    let error_keys = &spec["components"]["schemas"]["ErrorKey"]["enum"];
    assert_eq!(
        error_keys.as_array().map(Vec::len),
        Some(13),
        "{error_keys}"
    );
    // Header names are case-insensitive; poem-openapi writes them in capitals.
    let headers = op["responses"]["201"]["headers"]
        .as_object()
        .expect("201 headers");
    assert!(
        headers.keys().any(|h| h.eq_ignore_ascii_case("location")),
        "{headers:?}"
    );
}

/// Follows a `$ref`, directly or as the first member of an `allOf`.
fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    if let Some(first) = schema["allOf"].get(0) {
        return resolve(spec, first);
    }
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            &spec["components"]["schemas"][name]
        }
        None => schema,
    }
}

#[tokio::test]
async fn the_invoice_schemas_match_the_seed_page() {
    let spec = served_spec().await;
    let request = resolve(
        &spec,
        &spec["paths"]["/api/invoices"]["post"]["requestBody"]["content"]["application/json"]["schema"],
    );
    let mut required: Vec<&str> = request["required"]
        .as_array()
        .expect("required")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    required.sort_unstable();
    assert_eq!(required, ["issue_date", "project_id", "value"]);
    assert_eq!(request["additionalProperties"], false);
    // Every body refuses unknown fields, so every body's schema must say so.
    let paths = spec["paths"].as_object().expect("paths");
    let mut bodies = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("path item") {
            let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
            if schema.is_null() {
                continue;
            }
            bodies += 1;
            assert_eq!(
                resolve(&spec, schema)["additionalProperties"],
                false,
                "the body of {method} {path} refuses unknown fields, so the spec must say so"
            );
        }
    }
    assert!(bodies >= 3, "only {bodies} operations take a body");
    let props = &request["properties"];
    assert_eq!(props["invoice_number"]["maxLength"], 255);
    assert_eq!(props["invoice_number"]["nullable"], true);
    assert!(
        props["invoice_number"]["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("The invoice number")),
        "{}",
        props["invoice_number"]
    );
    // The patterns the spec shows are the ones the server's rules are tested against.
    use invoices_api::domain::invoice::{INVOICE_NUMBER_PATTERN, TEXT_PATTERN};
    assert_eq!(props["invoice_number"]["pattern"], INVOICE_NUMBER_PATTERN);
    for field in ["purchase_order", "notes", "budget_area_uid"] {
        assert_eq!(props[field]["pattern"], TEXT_PATTERN, "{field}");
    }
    assert_eq!(props["value"]["type"], "number");
    assert_eq!(props["exchange_rate"]["type"], "number");
    assert_eq!(props["issue_date"]["format"], "date");
    assert_eq!(props["project_id"]["minimum"], 1.0);
    assert_eq!(
        props["project_id"]["description"],
        "The ID of the project to associate with this invoice"
    );
    assert_eq!(props["notes"]["maxLength"], 10000);

    let created = resolve(
        &spec,
        &spec["paths"]["/api/invoices"]["post"]["responses"]["201"]["content"]["application/json"]
            ["schema"],
    );
    let fields: Vec<&str> = created["properties"]
        .as_object()
        .expect("props")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(fields, crate::helpers::SEED_INVOICE_FIELDS);
    let status = resolve(&spec, &created["properties"]["status"]);
    assert_eq!(status["enum"], serde_json::json!(["draft", "sent", "paid"]));
    assert_eq!(created["properties"]["id"]["minimum"], 1.0);
    assert_eq!(created["properties"]["created_at"]["format"], "date-time");
    assert_eq!(created["properties"]["payment_date"]["nullable"], true);
    assert_eq!(created["example"]["invoice_number"], "INV-2024-001");
}
