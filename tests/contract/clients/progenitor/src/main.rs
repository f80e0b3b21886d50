//! progenitor's client for openapi.yaml against the live server: a typed 201, a typed 400 and a
//! typed 412; a contact read, and an invoice sent to it; a budget and a budget area read.
//! Usage: progenitor-client-check BASE_URL TOKEN

progenitor::generate_api!(spec = "../../../../openapi.yaml", interface = Builder);

use types::{CreateInvoiceRequest, ErrorKey, SendInvoiceRequest, Status};

/// A path id: the spec's `id` is an integer ≥ 1, which progenitor types as a `NonZeroU64`.
fn path_id(id: i64) -> Result<std::num::NonZeroU64, String> {
    u64::try_from(id)
        .ok()
        .and_then(std::num::NonZeroU64::new)
        .ok_or_else(|| format!("{id} is not an id"))
}

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

    let version = || types::ApiVersion::try_from("2024-06-15").expect("the version");
    let contacts = client
        .list_invoice_contacts()
        .wethod_company("demo")
        .wethod_version(version())
        .send()
        .await?;
    let first = contacts.first().ok_or("the demo's invoice contact is listed")?;
    let contact = client
        .get_invoice_contact()
        .id(path_id(first.id)?)
        .wethod_company("demo")
        .wethod_version(version())
        .send()
        .await?;
    assert_eq!(contact.email, first.email);
    let to_contact: SendInvoiceRequest =
        serde_json::from_value(serde_json::json!({ "invoice_contact_id": contact.id }))?;
    let sent = client
        .send_invoice()
        .id(created.id)
        .wethod_company("demo")
        .wethod_version(version())
        .body(to_contact)
        .send()
        .await?;
    assert_eq!(sent.status, Status::Sent);

    let budgets = client
        .list_budgets()
        .wethod_company("demo")
        .wethod_version(version())
        .send()
        .await?;
    let listed = budgets.first().ok_or("the demo's budget is listed")?;
    let budget = client
        .get_budget()
        .id(path_id(listed.id)?)
        .wethod_company("demo")
        .wethod_version(version())
        .send()
        .await?;
    assert_eq!(budget.currency, listed.currency);
    let areas = client
        .list_budget_areas()
        .wethod_company("demo")
        .wethod_version(version())
        .send()
        .await?;
    let first_area = areas.first().ok_or("the demo's budget areas are listed")?;
    let area = client
        .get_budget_area()
        .id(path_id(first_area.id)?)
        .wethod_company("demo")
        .wethod_version(version())
        .send()
        .await?;
    assert_eq!(area.uid, first_area.uid);

    println!(
        "progenitor: typed 201 (invoice {}), typed 400, typed 412, contact {} read, sent to it; budget {} and its area {} read",
        created.id, contact.id, budget.id, area.id
    );
    Ok(())
}
