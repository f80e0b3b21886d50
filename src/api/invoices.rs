//! `/api/invoices`: creating an invoice.

use super::auth::TokenAuth;
use super::body::{Fields, JsonBody, JsonObjectBody, integer, string};
use super::error::{ApiError, Failure};
use super::headers::{ApiVersion, HeaderParam};
use super::types::{Date, Timestamp, date_from_json, exchange_rate_from_json, money_from_json};
use super::{ApiTags, AppState};
use crate::domain::company::CompanySlug;
use crate::domain::idempotency::IdempotencyKey;
use crate::domain::invoice::{
    InvoiceNumber, InvoiceStatus, NOTES_MAX, NewInvoice, SHORT_TEXT_MAX, bounded_text, positive_id,
};
use crate::domain::money::{ExchangeRate, Money};
use crate::domain::permission::{CreateRight, Permission, Permissions};
use crate::store::{access, idempotency, invoices as store};
use chrono::{SubsecRound, Utc};
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::types::{Example, ParseFromJSON, ToJSON};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};

pub struct InvoicesApi;

/// The invoice status
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum Status {
    Draft,
    Sent,
    Paid,
}

impl From<InvoiceStatus> for Status {
    fn from(status: InvoiceStatus) -> Self {
        match status {
            InvoiceStatus::Draft => Status::Draft,
            InvoiceStatus::Sent => Status::Sent,
            InvoiceStatus::Paid => Status::Paid,
        }
    }
}

/// An invoice.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct Invoice {
    /// The unique identifier of the resource
    #[oai(validator(minimum(value = "1")))]
    pub id: i64,
    /// The date and time when the resource was created
    pub created_at: Timestamp,
    /// The date and time when the resource was last updated
    pub updated_at: Timestamp,
    /// The invoice status
    pub status: Status,
    /// The invoice number
    #[oai(nullable)]
    pub invoice_number: Option<String>,
    /// The invoice purchase order reference
    #[oai(nullable)]
    pub purchase_order: Option<String>,
    /// The invoice value
    pub value: Money,
    /// The invoice custom exchange rate
    #[oai(nullable)]
    pub exchange_rate: Option<ExchangeRate>,
    /// The invoice issue date
    pub issue_date: Date,
    /// The invoice payment date
    #[oai(nullable)]
    pub payment_date: Option<Date>,
    /// The invoice notes
    #[oai(nullable)]
    pub notes: Option<String>,
    /// The ID of the project associated with this invoice
    #[oai(validator(minimum(value = "1")))]
    pub project_id: i64,
    /// The UID of the budget area associated with this invoice
    #[oai(nullable)]
    pub budget_area_uid: Option<String>,
    /// The ID of the VAT rate associated with this invoice
    #[oai(nullable)]
    pub vat_rate_id: Option<i64>,
    /// The ID of the payment term associated with this invoice
    #[oai(nullable)]
    pub payment_term_id: Option<i64>,
}

impl Example for Invoice {
    fn example() -> Self {
        let at = chrono::DateTime::parse_from_rfc3339("2026-03-10T18:18:59.374Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let day = chrono::NaiveDate::from_ymd_opt(2024, 6, 15).unwrap_or_default();
        Invoice {
            id: 1,
            created_at: Timestamp(at),
            updated_at: Timestamp(at),
            status: Status::Draft,
            invoice_number: Some("INV-2024-001".into()),
            purchase_order: Some("PO-7781".into()),
            value: Money::whole(1000),
            exchange_rate: None,
            issue_date: Date(day),
            payment_date: None,
            notes: Some("First milestone".into()),
            project_id: 1,
            budget_area_uid: Some("area-1".into()),
            vat_rate_id: Some(1),
            payment_term_id: Some(1),
        }
    }
}

impl TryFrom<entity::invoice::Model> for Invoice {
    type Error = ApiError;

    fn try_from(row: entity::invoice::Model) -> Result<Self, ApiError> {
        let corrupt = |what: &str| {
            ApiError::Internal(anyhow::anyhow!(
                "invoice {}: stored {what} is invalid",
                row.id
            ))
        };
        let status = InvoiceStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?;
        let value = Money::new(row.value.0).map_err(|_| corrupt("value"))?;
        let exchange_rate = row
            .exchange_rate
            .map(|r| ExchangeRate::new(r.0))
            .transpose()
            .map_err(|_| corrupt("exchange_rate"))?;
        Ok(Invoice {
            id: row.id,
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
            status: status.into(),
            invoice_number: row.invoice_number,
            purchase_order: row.purchase_order,
            value,
            exchange_rate,
            issue_date: Date(row.issue_date),
            payment_date: row.payment_date.map(Date),
            notes: row.notes,
            project_id: row.project_id,
            budget_area_uid: row.budget_area_uid,
            vat_rate_id: row.vat_rate_id,
            payment_term_id: row.payment_term_id,
        })
    }
}

/// The body of `POST /api/invoices`. Fields not listed here are refused.
#[derive(Object)]
#[oai(example, deny_unknown_fields)]
pub struct CreateInvoiceRequest {
    /// The invoice number; unique within the company, not blank
    #[oai(nullable, validator(max_length = 255, pattern = r"\S"))]
    pub invoice_number: Option<String>,
    /// The invoice purchase order reference
    #[oai(nullable, validator(max_length = 255))]
    pub purchase_order: Option<String>,
    /// The invoice value
    pub value: Money,
    /// The invoice custom exchange rate
    #[oai(nullable)]
    pub exchange_rate: Option<ExchangeRate>,
    /// The invoice issue date
    pub issue_date: Date,
    /// The invoice notes
    #[oai(nullable, validator(max_length = 10000))]
    pub notes: Option<String>,
    /// The ID of the project to associate with this invoice
    #[oai(validator(minimum(value = "1")))]
    pub project_id: i64,
    /// The UID of the budget area to associate with this invoice
    #[oai(nullable, validator(max_length = 255))]
    pub budget_area_uid: Option<String>,
    /// The ID of the VAT rate to associate with this invoice
    #[oai(nullable, validator(minimum(value = "1")))]
    pub vat_rate_id: Option<i64>,
    /// The ID of the payment term to associate with this invoice
    #[oai(nullable, validator(minimum(value = "1")))]
    pub payment_term_id: Option<i64>,
}

impl Example for CreateInvoiceRequest {
    fn example() -> Self {
        let invoice = Invoice::example();
        CreateInvoiceRequest {
            invoice_number: invoice.invoice_number,
            purchase_order: invoice.purchase_order,
            value: invoice.value,
            exchange_rate: invoice.exchange_rate,
            issue_date: invoice.issue_date,
            notes: invoice.notes,
            project_id: invoice.project_id,
            budget_area_uid: invoice.budget_area_uid,
            vat_rate_id: invoice.vat_rate_id,
            payment_term_id: invoice.payment_term_id,
        }
    }
}

/// Parses the create body field by field; the rules are those `CreateInvoiceRequest` documents.
impl JsonObjectBody for NewInvoice {
    type Schema = CreateInvoiceRequest;

    fn parse(f: &mut Fields) -> Option<Self> {
        let id = |v| integer(v).and_then(positive_id);
        let text = |max| move |v| string(v).and_then(|s| bounded_text(s, max));
        let invoice_number = f.optional("invoice_number", |v| {
            string(v).and_then(InvoiceNumber::parse)
        });
        let purchase_order = f.optional("purchase_order", text(SHORT_TEXT_MAX));
        let value = f.required("value", |v| money_from_json(&v));
        let exchange_rate = f.optional("exchange_rate", |v| exchange_rate_from_json(&v));
        let issue_date = f.required("issue_date", |v| date_from_json(&v));
        let notes = f.optional("notes", text(NOTES_MAX));
        let project_id = f.required("project_id", id);
        let budget_area_uid = f.optional("budget_area_uid", text(SHORT_TEXT_MAX));
        let vat_rate_id = f.optional("vat_rate_id", id);
        let payment_term_id = f.optional("payment_term_id", id);
        Some(NewInvoice {
            project_id: project_id?,
            value: value?,
            issue_date: issue_date?,
            invoice_number,
            purchase_order,
            exchange_rate,
            notes,
            budget_area_uid,
            vat_rate_id,
            payment_term_id,
        })
    }
}

#[derive(ApiResponse)]
pub enum CreateInvoiceResponse {
    /// Returns the invoice created.
    #[oai(status = 201, content_type = "application/json")]
    Created(
        Json<Invoice>,
        /// The path of the new invoice: `/api/invoices/{id}`
        #[oai(header = "Location")]
        String,
        /// `true` when this is the replay of an earlier response to the same
        /// `Idempotency-Key`; absent otherwise
        #[oai(header = "Idempotent-Replayed")]
        Option<bool>,
    ),
}

impl CreateInvoiceResponse {
    fn created(invoice: Invoice, replayed: bool) -> Self {
        let location = format!("/api/invoices/{}", invoice.id);
        CreateInvoiceResponse::Created(Json(invoice), location, replayed.then_some(true))
    }
}

/// A create request whose headers and body are well formed.
struct CreateRequest {
    company: CompanySlug,
    invoice: NewInvoice,
    idempotency_key: Option<IdempotencyKey>,
    body_digest: String,
}

/// Collects every header and body failure into one 400, headers first.
fn request_shape(
    company: HeaderParam<CompanySlug>,
    version: HeaderParam<ApiVersion>,
    idempotency_key: HeaderParam<Option<IdempotencyKey>>,
    body: JsonBody<NewInvoice>,
) -> Result<CreateRequest, ApiError> {
    let mut failures: Vec<Failure> = Vec::new();
    let company = company.into_result().map_err(|f| failures.push(f)).ok();
    let _version = version.into_result().map_err(|f| failures.push(f)).ok();
    let idempotency_key = idempotency_key
        .into_result()
        .map_err(|f| failures.push(f))
        .ok();
    let invoice = body.parsed.map_err(|f| failures.extend(f)).ok();
    match (company, idempotency_key, invoice) {
        (Some(company), Some(idempotency_key), Some(invoice)) if failures.is_empty() => {
            Ok(CreateRequest {
                company,
                invoice,
                idempotency_key,
                body_digest: body.digest,
            })
        }
        _ => Err(ApiError::InvalidData(failures)),
    }
}

/// The answer to a request whose key was already used: the first response when the body is
/// the same, a 400 on the header when it is not.
fn replay(
    stored: entity::idempotency_key::Model,
    body_digest: &str,
) -> Result<CreateInvoiceResponse, ApiError> {
    if stored.request_hash != body_digest {
        return Err(ApiError::invalid(
            IDEMPOTENCY_KEY_HEADER,
            "was already used with a different body; use a new key for a new request",
        ));
    }
    let value: serde_json::Value =
        serde_json::from_str(&stored.response_body).map_err(|e| ApiError::Internal(e.into()))?;
    let invoice = <Invoice as ParseFromJSON>::parse_from_json(Some(value)).map_err(|e| {
        ApiError::Internal(anyhow::anyhow!("stored response: {}", e.into_message()))
    })?;
    Ok(CreateInvoiceResponse::created(invoice, true))
}

const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";

fn precondition(message: &str) -> ApiError {
    ApiError::PreconditionFailed(message.to_owned())
}

#[OpenApi(tag = "ApiTags::Invoices")]
impl InvoicesApi {
    /// Create an invoice
    ///
    /// Required permissions:
    /// - `invoices.create`: required to create invoices for projects where the user is PM or Account.
    /// - `invoices.create_other`: required to create invoices for projects where the user is not PM or Account.
    ///
    /// The new invoice is a `draft` with no payment date. Preconditions (412), checked in this
    /// order: the project exists in this company; it is not archived; it has a job order;
    /// `budget_area_uid`, when given, names an enabled budget area of the project;
    /// `vat_rate_id` and `payment_term_id`, when given, exist in this company and are not
    /// archived. A duplicate `invoice_number` within the company is a 400, checked last.
    #[oai(
        path = "/api/invoices",
        method = "post",
        operation_id = "create_invoice"
    )]
    async fn create_invoice(
        &self,
        state: Data<&AppState>,
        auth: TokenAuth,
        /// The company you want to interact with
        #[oai(name = "Wethod-Company")]
        company: HeaderParam<CompanySlug>,
        /// The API version you want to use
        #[oai(name = "Wethod-Version")]
        version: HeaderParam<ApiVersion>,
        /// A key of your choosing (1–255 visible ASCII characters, a UUID for instance) that
        /// makes retrying safe: a request repeating the key and the body of an earlier
        /// successful create, within 24 hours, gets that create's 201 again (with
        /// `Idempotent-Replayed: true`) and creates nothing. The same key with another body is
        /// a 400 on this header. Keys belong to one user in one company; failed requests don't
        /// use them up.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: HeaderParam<Option<IdempotencyKey>>,
        body: JsonBody<NewInvoice>,
    ) -> Result<CreateInvoiceResponse, ApiError> {
        let db = &state.db;
        let user_id = auth.0.user_id;
        let CreateRequest {
            company,
            invoice: new,
            idempotency_key,
            body_digest,
        } = request_shape(company, version, idempotency_key, body)?;

        let membership = access::membership(db, user_id, company.as_str())
            .await?
            .ok_or_else(|| ApiError::Forbidden("You are not a member of this company.".into()))?;
        // Timestamps are kept to the millisecond, so what is stored is what is returned.
        let now = Utc::now().trunc_subsecs(3);
        if let Some(key) = &idempotency_key
            && let Some(stored) =
                idempotency::find_live(db, membership.company_id, user_id, key, now).await?
        {
            return replay(stored, &body_digest);
        }
        let right = CreateRight::of(&Permissions::from_names(&membership.permissions));
        if right == CreateRight::None {
            return Err(ApiError::Forbidden(format!(
                "Missing permission: {} or {}.",
                Permission::InvoicesCreate,
                Permission::InvoicesCreateOther
            )));
        }

        let project = store::project_in_company(db, membership.company_id, new.project_id)
            .await?
            .ok_or_else(|| precondition("The project does not exist in this company."))?;
        let is_pm_or_account = user_id == project.pm_user_id || user_id == project.account_user_id;
        if !right.covers(is_pm_or_account) {
            return Err(ApiError::Forbidden(format!(
                "Missing permission: {} (you are neither the PM nor the Account of this project).",
                Permission::InvoicesCreateOther
            )));
        }
        if project.archived {
            return Err(precondition("The project is archived."));
        }
        if project
            .job_order
            .as_deref()
            .is_none_or(|j| j.trim().is_empty())
        {
            return Err(precondition("The project has no job order."));
        }
        if let Some(uid) = &new.budget_area_uid
            && !store::enabled_budget_area_exists(db, project.id, uid).await?
        {
            return Err(precondition(
                "The budget area does not exist in this project or is disabled.",
            ));
        }
        if let Some(id) = new.vat_rate_id
            && !store::usable_vat_rate_exists(db, membership.company_id, id).await?
        {
            return Err(precondition(
                "The VAT rate does not exist in this company or is archived.",
            ));
        }
        if let Some(id) = new.payment_term_id
            && !store::usable_payment_term_exists(db, membership.company_id, id).await?
        {
            return Err(precondition(
                "The payment term does not exist in this company or is archived.",
            ));
        }

        let remember = idempotency_key.as_ref().map(|key| store::Remember {
            key,
            request_hash: &body_digest,
            render: |row: &entity::invoice::Model| -> anyhow::Result<String> {
                let invoice = Invoice::try_from(row.clone())?;
                Ok(invoice.to_json_string())
            },
        });
        let inserted =
            store::insert_draft(db, membership.company_id, user_id, new, now, remember).await;
        let row = match inserted {
            Ok(row) => row,
            Err(
                conflict @ (store::InsertInvoiceError::DuplicateNumber
                | store::InsertInvoiceError::KeyTaken),
            ) => {
                // A concurrent request with the same key may have just committed (its invoice
                // number or its key then collides with ours): answer as a retry of it.
                if let Some(key) = &idempotency_key
                    && let Some(stored) =
                        idempotency::find_live(db, membership.company_id, user_id, key, now).await?
                {
                    return replay(stored, &body_digest);
                }
                return Err(match conflict {
                    store::InsertInvoiceError::DuplicateNumber => ApiError::invalid(
                        "invoice_number",
                        "is already used by another invoice of this company",
                    ),
                    other => ApiError::Internal(other.into()),
                });
            }
            Err(store::InsertInvoiceError::Render(err)) => return Err(ApiError::Internal(err)),
            Err(store::InsertInvoiceError::Db(err)) => return Err(err.into()),
        };
        Ok(CreateInvoiceResponse::created(
            Invoice::try_from(row)?,
            false,
        ))
    }
}
