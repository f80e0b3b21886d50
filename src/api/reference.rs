//! Read-only reference data, so clients can discover the ids they send: projects, budget
//! areas, VAT rates and payment terms. Any member of the company may list them.
// Operations take one argument per documented parameter.
#![allow(clippy::too_many_arguments)]

use super::access::Caller;
use super::auth::TokenAuth;
use super::error::{ApiError, Failure};
use super::filters::DateTimeFilter;
use super::paging::{self, Paging, default_limit, default_offset};
use super::params::{ApiVersion, HeaderParam, Path, QueryParam, reject_unknown_query};
use super::shape::Shape;
use super::types::{Percentage, Timestamp};
use super::{ApiTags, AppState};
use crate::domain::company::CompanySlug;
use crate::store::{invoices, reference};
use poem::Request;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{ApiResponse, Object, OpenApi};

pub struct ReferenceApi;

/// A project of the company.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct Project {
    /// The unique identifier of the project
    pub id: i64,
    /// The project name
    pub name: String,
    /// The project's job order code; invoices need one
    #[oai(nullable)]
    pub job_order: Option<String>,
    /// The ID of the project's PM
    pub pm_id: i64,
    /// The ID of the project's Account
    pub account_id: i64,
    /// Whether the project is archived (no invoices can be created for it)
    pub is_archived: bool,
}

impl Example for Project {
    fn example() -> Self {
        Project {
            id: 1,
            name: "Website redesign".into(),
            job_order: Some("JO-2026-001".into()),
            pm_id: 1,
            account_id: 2,
            is_archived: false,
        }
    }
}

/// A budget area of a project.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct BudgetArea {
    /// The UID of the budget area, as invoices name it
    pub uid: String,
    /// The budget area name
    pub name: String,
    /// Whether invoices may use it
    pub is_enabled: bool,
    /// The ID of its project
    pub project_id: i64,
}

impl Example for BudgetArea {
    fn example() -> Self {
        BudgetArea {
            uid: "area-1".into(),
            name: "Design".into(),
            is_enabled: true,
            project_id: 1,
        }
    }
}

/// A VAT rate of the company.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct VatRate {
    /// The unique identifier of the VAT rate
    pub id: i64,
    /// The VAT rate name
    pub name: String,
    /// The rate, in percent
    pub rate: Percentage,
    /// Whether the VAT rate is archived (invoices can't use it)
    pub is_archived: bool,
}

impl Example for VatRate {
    fn example() -> Self {
        VatRate {
            id: 1,
            name: "Standard".into(),
            rate: Percentage(rust_decimal::Decimal::from(22)),
            is_archived: false,
        }
    }
}

/// A payment term of the company.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct PaymentTerm {
    /// The unique identifier of the payment term
    pub id: i64,
    /// The payment term name
    pub name: String,
    /// Days to pay
    pub days: i32,
    /// Whether the payment term is archived (invoices can't use it)
    pub is_archived: bool,
}

impl Example for PaymentTerm {
    fn example() -> Self {
        PaymentTerm {
            id: 1,
            name: "30 days".into(),
            days: 30,
            is_archived: false,
        }
    }
}

/// An invoice contact of the company: an address invoices are sent to.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct InvoiceContact {
    /// The unique identifier of the invoice contact
    pub id: i64,
    /// When the contact was created
    pub created_at: Timestamp,
    /// When the contact was last changed
    pub updated_at: Timestamp,
    /// The contact's email address (at most 50 characters)
    pub email: String,
    /// The contact's alias (at most 50 characters)
    pub alias: String,
}

impl Example for InvoiceContact {
    fn example() -> Self {
        let at = chrono::DateTime::parse_from_rfc3339("2026-03-10T18:18:59.374Z")
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_default();
        InvoiceContact {
            id: 1,
            created_at: Timestamp(at),
            updated_at: Timestamp(at),
            email: "billing@client.example".into(),
            alias: "Client billing".into(),
        }
    }
}

impl From<entity::invoice_contact::Model> for InvoiceContact {
    fn from(c: entity::invoice_contact::Model) -> Self {
        InvoiceContact {
            id: c.id,
            created_at: Timestamp(c.created_at),
            updated_at: Timestamp(c.updated_at),
            email: c.email,
            alias: c.alias,
        }
    }
}

#[derive(ApiResponse)]
pub enum InvoiceContactsResponse {
    /// The invoice contacts, in id order.
    #[oai(status = 200, content_type = "application/json")]
    Ok(Json<Vec<InvoiceContact>>),
}

#[derive(ApiResponse)]
pub enum InvoiceContactResponse {
    /// The invoice contact.
    #[oai(status = 200, content_type = "application/json")]
    Ok(Json<InvoiceContact>),
}

#[derive(ApiResponse)]
pub enum ProjectsResponse {
    /// The projects, in id order.
    #[oai(status = 200, content_type = "application/json")]
    Ok(Json<Vec<Project>>),
}

#[derive(ApiResponse)]
pub enum ProjectResponse {
    /// The project.
    #[oai(status = 200, content_type = "application/json")]
    Ok(Json<Project>),
}

impl From<entity::project::Model> for Project {
    fn from(p: entity::project::Model) -> Self {
        Project {
            id: p.id,
            name: p.name,
            job_order: p.job_order,
            pm_id: p.pm_user_id,
            account_id: p.account_user_id,
            is_archived: p.archived,
        }
    }
}

#[derive(ApiResponse)]
pub enum BudgetAreasResponse {
    /// The budget areas, in id order.
    #[oai(status = 200, content_type = "application/json")]
    Ok(Json<Vec<BudgetArea>>),
}

#[derive(ApiResponse)]
pub enum VatRatesResponse {
    /// The VAT rates, in id order.
    #[oai(status = 200, content_type = "application/json")]
    Ok(Json<Vec<VatRate>>),
}

#[derive(ApiResponse)]
pub enum PaymentTermsResponse {
    /// The payment terms, in id order.
    #[oai(status = 200, content_type = "application/json")]
    Ok(Json<Vec<PaymentTerm>>),
}

/// The shape checks every list here shares: headers, unknown parameters, paging; then the
/// caller, who only needs to be a member.
async fn member_and_page(
    state: &AppState,
    auth: &TokenAuth,
    request: &Request,
    mut shape: Shape,
    company: Option<CompanySlug>,
    known: &[&str],
    limit: QueryParam<u32>,
    offset: QueryParam<u64>,
) -> Result<(Caller, Paging), ApiError> {
    reject_unknown_query(&mut shape, request, known);
    let page = paging::paging(&mut shape, limit, offset);
    let (company, page) = shape.finish(company.zip(page))?;
    let caller = Caller::resolve(&state.db, &auth.0, &company).await?;
    Ok((caller, page))
}

/// The shape checks of reading one record: headers and the id; then the caller, who only
/// needs to be a member.
async fn member_and_id(
    state: &AppState,
    auth: &TokenAuth,
    company: HeaderParam<CompanySlug>,
    version: HeaderParam<ApiVersion>,
    id: Path,
) -> Result<(Caller, i64), ApiError> {
    let (mut shape, company) = Shape::with_headers(company, version);
    let id = shape.take(id.into_result());
    let (company, id) = shape.finish(company.zip(id))?;
    Ok((Caller::resolve(&state.db, &auth.0, &company).await?, id))
}

const PAGING: [&str; 2] = ["limit", "offset"];

#[OpenApi]
impl ReferenceApi {
    /// List projects
    ///
    /// The company's projects, for any member.
    #[oai(
        path = "/api/projects",
        method = "get",
        operation_id = "list_projects",
        tag = "ApiTags::Projects"
    )]
    async fn list_projects(
        &self,
        state: Data<&AppState>,
        request: &Request,
        auth: TokenAuth,
        /// The company you want to interact with
        #[oai(name = "Wethod-Company")]
        company: HeaderParam<CompanySlug>,
        /// The API version you want to use
        #[oai(name = "Wethod-Version")]
        version: HeaderParam<ApiVersion>,
        /// How many at most (1–100)
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        limit: QueryParam<u32>,
        /// How many to skip (at most 1000000000)
        #[oai(
            default = "default_offset",
            validator(minimum(value = "0"), maximum(value = "1000000000"))
        )]
        offset: QueryParam<u64>,
    ) -> Result<ProjectsResponse, ApiError> {
        let (shape, company) = Shape::with_headers(company, version);
        let (caller, page) = member_and_page(
            &state, &auth, request, shape, company, &PAGING, limit, offset,
        )
        .await?;
        let rows = reference::projects(&state.db, caller.company_id, page).await?;
        Ok(ProjectsResponse::Ok(Json(
            rows.into_iter().map(Project::from).collect(),
        )))
    }

    /// Get a project
    ///
    /// One of the company's projects, for any member; another company's project is not found.
    #[oai(
        path = "/api/projects/:id",
        method = "get",
        operation_id = "get_project",
        tag = "ApiTags::Projects"
    )]
    async fn get_project(
        &self,
        state: Data<&AppState>,
        auth: TokenAuth,
        /// The company you want to interact with
        #[oai(name = "Wethod-Company")]
        company: HeaderParam<CompanySlug>,
        /// The API version you want to use
        #[oai(name = "Wethod-Version")]
        version: HeaderParam<ApiVersion>,
        /// The ID of the project
        id: Path,
    ) -> Result<ProjectResponse, ApiError> {
        let (caller, id) = member_and_id(&state, &auth, company, version, id).await?;
        let project = invoices::project_in_company(&state.db, caller.company_id, id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("No project {id} in this company.")))?;
        Ok(ProjectResponse::Ok(Json(project.into())))
    }

    /// List budget areas
    ///
    /// The budget areas of the company's projects (of one project with `project_id`), for any
    /// member.
    #[oai(
        path = "/api/budget-areas",
        method = "get",
        operation_id = "list_budget_areas",
        tag = "ApiTags::BudgetAreas"
    )]
    async fn list_budget_areas(
        &self,
        state: Data<&AppState>,
        request: &Request,
        auth: TokenAuth,
        /// The company you want to interact with
        #[oai(name = "Wethod-Company")]
        company: HeaderParam<CompanySlug>,
        /// The API version you want to use
        #[oai(name = "Wethod-Version")]
        version: HeaderParam<ApiVersion>,
        /// How many at most (1–100)
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        limit: QueryParam<u32>,
        /// How many to skip (at most 1000000000)
        #[oai(
            default = "default_offset",
            validator(minimum(value = "0"), maximum(value = "1000000000"))
        )]
        offset: QueryParam<u64>,
        /// Only the budget areas of this project
        #[oai(validator(minimum(value = "1")))]
        project_id: QueryParam<Option<i64>>,
    ) -> Result<BudgetAreasResponse, ApiError> {
        let (mut shape, company) = Shape::with_headers(company, version);
        let project_id = shape
            .take(project_id.into_result().and_then(|id| match id {
                Some(id) if id < 1 => Err(Failure::new(
                    "project_id",
                    "must be an integer greater than or equal to 1",
                )),
                other => Ok(other),
            }))
            .flatten();
        let known = ["limit", "offset", "project_id"];
        let (caller, page) = member_and_page(
            &state, &auth, request, shape, company, &known, limit, offset,
        )
        .await?;
        let rows = reference::budget_areas(&state.db, caller.company_id, project_id, page).await?;
        Ok(BudgetAreasResponse::Ok(Json(
            rows.into_iter()
                .map(|b| BudgetArea {
                    uid: b.uid,
                    name: b.name,
                    is_enabled: b.enabled,
                    project_id: b.project_id,
                })
                .collect(),
        )))
    }

    /// List VAT rates
    ///
    /// The company's VAT rates, for any member.
    #[oai(
        path = "/api/vat-rates",
        method = "get",
        operation_id = "list_vat_rates",
        tag = "ApiTags::VatRates"
    )]
    async fn list_vat_rates(
        &self,
        state: Data<&AppState>,
        request: &Request,
        auth: TokenAuth,
        /// The company you want to interact with
        #[oai(name = "Wethod-Company")]
        company: HeaderParam<CompanySlug>,
        /// The API version you want to use
        #[oai(name = "Wethod-Version")]
        version: HeaderParam<ApiVersion>,
        /// How many at most (1–100)
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        limit: QueryParam<u32>,
        /// How many to skip (at most 1000000000)
        #[oai(
            default = "default_offset",
            validator(minimum(value = "0"), maximum(value = "1000000000"))
        )]
        offset: QueryParam<u64>,
    ) -> Result<VatRatesResponse, ApiError> {
        let (shape, company) = Shape::with_headers(company, version);
        let (caller, page) = member_and_page(
            &state, &auth, request, shape, company, &PAGING, limit, offset,
        )
        .await?;
        let rows = reference::vat_rates(&state.db, caller.company_id, page).await?;
        Ok(VatRatesResponse::Ok(Json(
            rows.into_iter()
                .map(|v| VatRate {
                    id: v.id,
                    name: v.name,
                    rate: Percentage(v.rate.0),
                    is_archived: v.archived,
                })
                .collect(),
        )))
    }

    /// List payment terms
    ///
    /// The company's payment terms, for any member.
    #[oai(
        path = "/api/payment-terms",
        method = "get",
        operation_id = "list_payment_terms",
        tag = "ApiTags::PaymentTerms"
    )]
    async fn list_payment_terms(
        &self,
        state: Data<&AppState>,
        request: &Request,
        auth: TokenAuth,
        /// The company you want to interact with
        #[oai(name = "Wethod-Company")]
        company: HeaderParam<CompanySlug>,
        /// The API version you want to use
        #[oai(name = "Wethod-Version")]
        version: HeaderParam<ApiVersion>,
        /// How many at most (1–100)
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        limit: QueryParam<u32>,
        /// How many to skip (at most 1000000000)
        #[oai(
            default = "default_offset",
            validator(minimum(value = "0"), maximum(value = "1000000000"))
        )]
        offset: QueryParam<u64>,
    ) -> Result<PaymentTermsResponse, ApiError> {
        let (shape, company) = Shape::with_headers(company, version);
        let (caller, page) = member_and_page(
            &state, &auth, request, shape, company, &PAGING, limit, offset,
        )
        .await?;
        let rows = reference::payment_terms(&state.db, caller.company_id, page).await?;
        Ok(PaymentTermsResponse::Ok(Json(
            rows.into_iter()
                .map(|t| PaymentTerm {
                    id: t.id,
                    name: t.name,
                    days: t.days,
                    is_archived: t.archived,
                })
                .collect(),
        )))
    }

    /// List invoice contacts
    ///
    /// The company's invoice contacts, in id order, for any member. `updated_at` filters like
    /// the invoice list's (`updated_at=gt:2026-03-10T18:18:59.374Z`), so a client can sync them.
    #[oai(
        path = "/api/invoice-contacts",
        method = "get",
        operation_id = "list_invoice_contacts",
        tag = "ApiTags::InvoiceContacts"
    )]
    async fn list_invoice_contacts(
        &self,
        state: Data<&AppState>,
        request: &Request,
        auth: TokenAuth,
        /// The company you want to interact with
        #[oai(name = "Wethod-Company")]
        company: HeaderParam<CompanySlug>,
        /// The API version you want to use
        #[oai(name = "Wethod-Version")]
        version: HeaderParam<ApiVersion>,
        /// How many at most (1–100)
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        limit: QueryParam<u32>,
        /// How many to skip (at most 1000000000)
        #[oai(
            default = "default_offset",
            validator(minimum(value = "0"), maximum(value = "1000000000"))
        )]
        offset: QueryParam<u64>,
        /// The last update: an RFC 3339 date-time, optionally after an operator prefix
        /// (`gt:2026-03-10T18:18:59.374Z`), or a list or range of date-times
        updated_at: QueryParam<Option<Vec<DateTimeFilter>>>,
    ) -> Result<InvoiceContactsResponse, ApiError> {
        let (mut shape, company) = Shape::with_headers(company, version);
        let updated_at: Vec<_> = shape
            .take(updated_at.into_result())
            .flatten()
            .unwrap_or_default()
            .into_iter()
            .map(|f| f.0)
            .collect();
        let known = ["limit", "offset", "updated_at"];
        let (caller, page) = member_and_page(
            &state, &auth, request, shape, company, &known, limit, offset,
        )
        .await?;
        let rows =
            reference::invoice_contacts(&state.db, caller.company_id, &updated_at, page).await?;
        Ok(InvoiceContactsResponse::Ok(Json(
            rows.into_iter().map(InvoiceContact::from).collect(),
        )))
    }

    /// Get an invoice contact
    ///
    /// One of the company's invoice contacts, for any member; another company's is not found.
    #[oai(
        path = "/api/invoice-contacts/:id",
        method = "get",
        operation_id = "get_invoice_contact",
        tag = "ApiTags::InvoiceContacts"
    )]
    async fn get_invoice_contact(
        &self,
        state: Data<&AppState>,
        auth: TokenAuth,
        /// The company you want to interact with
        #[oai(name = "Wethod-Company")]
        company: HeaderParam<CompanySlug>,
        /// The API version you want to use
        #[oai(name = "Wethod-Version")]
        version: HeaderParam<ApiVersion>,
        /// The ID of the invoice contact
        id: Path,
    ) -> Result<InvoiceContactResponse, ApiError> {
        let (caller, id) = member_and_id(&state, &auth, company, version, id).await?;
        let contact = reference::invoice_contact(&state.db, caller.company_id, id)
            .await?
            .ok_or_else(|| {
                ApiError::NotFound(format!("No invoice contact {id} in this company."))
            })?;
        Ok(InvoiceContactResponse::Ok(Json(contact.into())))
    }
}
