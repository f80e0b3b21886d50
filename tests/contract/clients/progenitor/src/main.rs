//! progenitor's client for openapi.yaml against the live server: a typed 201, a typed 400 and a
//! typed 412. Usage: progenitor-client-check BASE_URL TOKEN

progenitor::generate_api!(spec = "../../../../openapi.yaml", interface = Builder);

use types::{CreateInvoiceRequest, ErrorKey, Status};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (base_url, token) = (args.next().ok_or("BASE_URL")?, args.next().ok_or("TOKEN")?);
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse()?);
    let http = reqwest::Client::builder().default_headers(headers).build()?;
    let client = Client::new_with_client(&base_url, http);

    let body = |project_id: i64, value: f64| -> Result<CreateInvoiceRequest, Box<dyn std::error::Error>> {
        Ok(serde_json::from_value(serde_json::json!({
            "project_id": project_id, "value": value, "issue_date": "2026-11-25"
        }))?)
    };
    let create = |body: CreateInvoiceRequest| {
        client
            .create_invoice()
            .wethod_company("demo")
            .wethod_version(types::ApiVersion::try_from("2024-06-15").expect("the version"))
            .body(body)
            .send()
    };

    let created = create(body(1, 1250.5)?).await?;
    assert_eq!(created.status().as_u16(), 201);
    assert_eq!(created.status, Status::Draft);

    let refused = |error: Error<types::Error>, status: u16, key: ErrorKey| match error {
        Error::ErrorResponse(response) => {
            assert_eq!(response.status().as_u16(), status);
            assert_eq!(response.key, key);
            Ok(response.into_inner())
        }
        other => Err(format!("expected a typed {status}, got {other}")),
    };
    let invalid = create(body(1, 1.005)?).await.err().ok_or("expected a 400")?;
    let invalid = refused(invalid, 400, ErrorKey::InvalidData)?;
    assert_eq!(invalid.failures.first().map(|f| f.field.as_str()), Some("value"));
    let archived = create(body(2, 10.0)?).await.err().ok_or("expected a 412")?;
    refused(archived, 412, ErrorKey::PreconditionFailure)?;

    println!("progenitor: typed 201 (invoice {}), typed 400, typed 412", created.id);
    Ok(())
}
