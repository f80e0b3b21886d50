//! openapi-generator's Rust client for openapi.yaml against the live server: a typed 201, a
//! typed 400 and a typed 412; a contact read, and an invoice sent to it; a budget and a budget
//! area read.
//! Usage: openapi-generator-rust-check BASE_URL TOKEN

use og_invoices::apis::budget_areas_api::{get_budget_area, list_budget_areas};
use og_invoices::apis::budgets_api::{get_budget, list_budgets};
use og_invoices::apis::configuration::Configuration;
use og_invoices::apis::invoice_contacts_api::{get_invoice_contact, list_invoice_contacts};
use og_invoices::apis::invoices_api::{CreateInvoiceError, create_invoice, send_invoice};
use og_invoices::apis::{Error, ResponseContent};
use og_invoices::models::{ApiVersion, CreateInvoiceRequest, ErrorKey, SendInvoiceRequest, Status};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let config = Configuration {
        base_path: args.next().ok_or("BASE_URL")?,
        bearer_access_token: Some(args.next().ok_or("TOKEN")?),
        ..Configuration::default()
    };
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).ok_or("a date")?;
    let create = |project_id: i64, value: f64| {
        let body = CreateInvoiceRequest::new(value, day, project_id);
        create_invoice(&config, "demo", ApiVersion::Variant20240615, body, None)
    };

    let created = create(1, 1250.5).await?;
    assert_eq!(created.status, Status::Draft);

    // Every error status shares one schema; the status code and the typed key tell them apart.
    fn refusal(error: Error<CreateInvoiceError>, status: u16, key: ErrorKey) -> Result<og_invoices::models::Error, String> {
        match error {
            Error::ResponseError(ResponseContent { status: got, entity: Some(entity), .. }) => {
                let body = match entity {
                    CreateInvoiceError::Status400(body) | CreateInvoiceError::Status412(body) => body,
                    other => return Err(format!("unexpected entity {other:?}")),
                };
                if got.as_u16() != status || body.key != key {
                    return Err(format!("expected {status} {key:?}, got {got} {:?}", body.key));
                }
                Ok(body)
            }
            other => Err(format!("expected a typed {status}, got {other}")),
        }
    }
    let invalid = create(1, 1.005).await.err().ok_or("expected a 400")?;
    let invalid = refusal(invalid, 400, ErrorKey::InvalidData)?;
    let fields: Vec<String> = invalid.failures.unwrap_or_default().into_iter().map(|f| f.field).collect();
    assert_eq!(fields, ["value"]);
    let archived = create(2, 10.0).await.err().ok_or("expected a 412")?;
    refusal(archived, 412, ErrorKey::PreconditionFailure)?;

    let version = ApiVersion::Variant20240615;
    let contacts = list_invoice_contacts(&config, "demo", version, None, None, None).await?;
    let first = contacts.first().ok_or("the demo's invoice contact is listed")?;
    let contact = get_invoice_contact(&config, "demo", version, first.id).await?;
    assert_eq!(contact.email, first.email);
    let mut to_contact = SendInvoiceRequest::new();
    to_contact.invoice_contact_id = Some(Some(contact.id));
    let sent = send_invoice(&config, "demo", version, created.id, None, Some(to_contact)).await?;
    assert_eq!(sent.status, Status::Sent);

    let budgets = list_budgets(&config, "demo", version, None, None, None, None).await?;
    let listed = budgets.first().ok_or("the demo's budget is listed")?;
    let budget = get_budget(&config, "demo", version, listed.id).await?;
    assert_eq!((budget.version, &budget.currency), (1, &"EUR".to_owned()));
    let areas =
        list_budget_areas(&config, "demo", version, None, None, None, None, Some(budget.id))
            .await?;
    let first_area = areas.first().ok_or("the budget's areas are listed")?;
    let area = get_budget_area(&config, "demo", version, first_area.id).await?;
    assert_eq!(area.uid, first_area.uid);

    println!(
        "openapi-generator (rust): typed 201 (invoice {}), typed 400, typed 412, contact {} read, sent to it; budget {} and its area {} read",
        created.id, contact.id, budget.id, area.id
    );
    Ok(())
}
