//! Read-only reference data, so clients can discover the ids they send and read: projects,
//! budgets and their budget areas, VAT rates, payment terms, invoice contacts and the
//! company's members. Any member of the company may read them (`operations::reference`) but
//! budgets and budget areas, which need `budget.view` or `budget.view_other`
//! (`operations::budgets`). Each operation extracts its
//! parameters (a list's shared ones through [`list_of`]), calls its operation and renders the
//! rows.
// Operations take one argument per documented parameter.
#![allow(clippy::too_many_arguments)]

use super::caller::Identity;
use super::error::ApiError;
use super::filters::DateTimeFilter;
use super::paging::{self, Limit, Offset};
use super::params::{Id, Path, QueryParam, reject_unknown_query};
use super::validation::Validation;
use super::{ApiTags, AppState};
use crate::domain::member;
use crate::operations::Caller;
use crate::operations::budgets;
use crate::operations::reference::{self, ListOf};
use crate::wire::types::{Amount, Percentage, Timestamp};
use entity::{invoice_contact, payment_term, project, vat_rate};
use poem::Request;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::types::{Example, ToJSON};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};

pub struct ReferenceApi;

/// The time the examples show.
fn example_time() -> Timestamp {
    let at = chrono::DateTime::parse_from_rfc3339("2026-03-10T18:18:59.374Z")
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_default();
    Timestamp(at)
}

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
    /// When it was created
    pub created_at: Timestamp,
    /// When it last changed
    pub updated_at: Timestamp,
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
            created_at: example_time(),
            updated_at: example_time(),
        }
    }
}

/// Where a budget is in its approval.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "UPPERCASE")]
pub enum BudgetStatus {
    Draft,
    Submitted,
    Approved,
}

/// The kind of a budget area.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BudgetAreaType {
    #[oai(rename = "DEFAULT")]
    Default,
    #[oai(rename = "CONTINGENCY-DISCOUNT")]
    ContingencyDiscount,
    #[oai(rename = "TRAVEL-CORE-COST-EXPENSES")]
    TravelCoreCostExpenses,
    #[oai(rename = "PM")]
    Pm,
}

/// A budget of a project: one version of its plan, with its totals.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct Budget {
    /// The unique identifier of the budget
    pub id: i64,
    /// When it was created
    pub created_at: Timestamp,
    /// When it last changed
    pub updated_at: Timestamp,
    /// The budget's version, unique within its project
    pub version: i32,
    // Described by its type: a field's own description makes poem-openapi wrap the `$ref` in
    // an `allOf`, which openapi-python-client can't read.
    pub status: BudgetStatus,
    /// Whether it is the project's baseline
    pub is_baseline: bool,
    /// The budget's notes
    #[oai(nullable)]
    pub notes: Option<String>,
    /// The budget's currency, an ISO 4217 code
    pub currency: String,
    /// Whether the budget's currency is enabled
    pub is_currency_enabled: bool,
    /// The final net price
    pub final_net_price: Amount,
    /// The total external cost
    pub total_external_cost: Amount,
    /// The total cost
    pub total_cost: Amount,
    /// The total price
    pub total_price: Amount,
    /// The total days
    pub total_days: Amount,
    /// The ID of its project
    pub project_id: i64,
    /// The ID of its price list
    #[oai(nullable)]
    pub price_list_id: Option<i64>,
}

impl Example for Budget {
    fn example() -> Self {
        let amount = |s: &str| Amount(s.parse().unwrap_or_default());
        Budget {
            id: 1,
            created_at: example_time(),
            updated_at: example_time(),
            version: 1,
            status: BudgetStatus::Approved,
            is_baseline: true,
            notes: None,
            currency: "EUR".into(),
            is_currency_enabled: false,
            final_net_price: amount("12500"),
            total_external_cost: amount("2000"),
            total_cost: amount("8000"),
            total_price: amount("12500"),
            total_days: amount("25.5"),
            project_id: 1,
            price_list_id: None,
        }
    }
}

/// A budget area of a budget. `uid` (what an invoice's `budget_area_uid` names) and
/// `project_id` are additions to the original's fields.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct BudgetArea {
    /// The unique identifier of the budget area
    pub id: i64,
    /// When it was created
    pub created_at: Timestamp,
    /// When it last changed
    pub updated_at: Timestamp,
    /// The budget area name
    pub name: String,
    /// Whether invoices may use it
    pub is_enabled: bool,
    // Described by its type (see `Budget::status`).
    #[oai(rename = "type")]
    pub area_type: BudgetAreaType,
    /// The total external cost
    pub total_external_cost: Amount,
    /// The total cost
    pub total_cost: Amount,
    /// The total price
    pub total_price: Amount,
    /// The total days
    pub total_days: Amount,
    /// The ID of its budget; null only for an area a node of the release before (0.2.0) added
    /// during a rolling upgrade
    #[oai(nullable)]
    pub budget_id: Option<i64>,
    /// The ID of its price list
    #[oai(nullable)]
    pub price_list_id: Option<i64>,
    /// The UID of the budget area, as invoices name it (an addition to the original)
    pub uid: String,
    /// The ID of its budget's project (an addition to the original)
    pub project_id: i64,
}

impl Example for BudgetArea {
    fn example() -> Self {
        let amount = |s: &str| Amount(s.parse().unwrap_or_default());
        BudgetArea {
            id: 1,
            created_at: example_time(),
            updated_at: example_time(),
            name: "Design".into(),
            is_enabled: true,
            area_type: BudgetAreaType::Default,
            total_external_cost: amount("500"),
            total_cost: amount("3000"),
            total_price: amount("4500"),
            total_days: amount("9"),
            budget_id: Some(1),
            price_list_id: None,
            uid: "area-1".into(),
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
    /// When it was created
    pub created_at: Timestamp,
    /// When it last changed
    pub updated_at: Timestamp,
}

impl Example for VatRate {
    fn example() -> Self {
        VatRate {
            id: 1,
            name: "Standard".into(),
            rate: Percentage(rust_decimal::Decimal::from(22)),
            is_archived: false,
            created_at: example_time(),
            updated_at: example_time(),
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
    /// When it was created
    pub created_at: Timestamp,
    /// When it last changed
    pub updated_at: Timestamp,
}

impl Example for PaymentTerm {
    fn example() -> Self {
        PaymentTerm {
            id: 1,
            name: "30 days".into(),
            days: 30,
            is_archived: false,
            created_at: example_time(),
            updated_at: example_time(),
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
        InvoiceContact {
            id: 1,
            created_at: example_time(),
            updated_at: example_time(),
            email: "billing@client.example".into(),
            alias: "Client billing".into(),
        }
    }
}

/// A member of the company: a user who may act in it.
#[derive(Object, Clone, Debug)]
#[oai(example)]
pub struct Member {
    /// The user's ID, as a project's `pm_id` and `account_id` and an event's `user_id` name it
    pub id: i64,
    /// The user's name
    pub name: String,
    /// The user's email address
    pub email: String,
    /// When the user joined the company
    pub joined_at: Timestamp,
}

impl Example for Member {
    fn example() -> Self {
        Member {
            id: 1,
            name: "Ann Example".into(),
            email: "ann@acme.example".into(),
            joined_at: example_time(),
        }
    }
}

impl From<member::Member> for Member {
    fn from(m: member::Member) -> Self {
        Member {
            id: m.user_id,
            name: m.name,
            email: m.email,
            joined_at: Timestamp(m.joined_at),
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

impl From<entity::project::Model> for Project {
    fn from(p: entity::project::Model) -> Self {
        Project {
            id: p.id,
            name: p.name,
            job_order: p.job_order,
            pm_id: p.pm_user_id,
            account_id: p.account_user_id,
            is_archived: p.archived,
            created_at: Timestamp(p.created_at),
            updated_at: Timestamp(p.updated_at),
        }
    }
}

impl From<entity::budget::Model> for Budget {
    fn from(b: entity::budget::Model) -> Self {
        use entity::budget::BudgetStatus as Stored;
        Budget {
            id: b.id,
            created_at: Timestamp(b.created_at),
            updated_at: Timestamp(b.updated_at),
            version: b.version,
            status: match b.status {
                Stored::Draft => BudgetStatus::Draft,
                Stored::Submitted => BudgetStatus::Submitted,
                Stored::Approved => BudgetStatus::Approved,
            },
            is_baseline: b.is_baseline,
            notes: b.notes,
            currency: b.currency,
            is_currency_enabled: b.is_currency_enabled,
            final_net_price: Amount(b.final_net_price.0),
            total_external_cost: Amount(b.total_external_cost.0),
            total_cost: Amount(b.total_cost.0),
            total_price: Amount(b.total_price.0),
            total_days: Amount(b.total_days.0),
            project_id: b.project_id,
            price_list_id: b.price_list_id,
        }
    }
}

impl From<entity::budget_area::Model> for BudgetArea {
    fn from(b: entity::budget_area::Model) -> Self {
        use entity::budget_area::BudgetAreaType as Stored;
        BudgetArea {
            id: b.id,
            created_at: Timestamp(b.created_at),
            updated_at: Timestamp(b.updated_at),
            name: b.name,
            is_enabled: b.enabled,
            area_type: match b.area_type {
                Stored::Default => BudgetAreaType::Default,
                Stored::ContingencyDiscount => BudgetAreaType::ContingencyDiscount,
                Stored::TravelCoreCostExpenses => BudgetAreaType::TravelCoreCostExpenses,
                Stored::Pm => BudgetAreaType::Pm,
            },
            total_external_cost: Amount(b.total_external_cost.0),
            total_cost: Amount(b.total_cost.0),
            total_price: Amount(b.total_price.0),
            total_days: Amount(b.total_days.0),
            budget_id: b.budget_id,
            price_list_id: b.price_list_id,
            uid: b.uid,
            project_id: b.project_id,
        }
    }
}

impl From<entity::vat_rate::Model> for VatRate {
    fn from(v: entity::vat_rate::Model) -> Self {
        VatRate {
            id: v.id,
            name: v.name,
            rate: Percentage(v.rate.0),
            is_archived: v.archived,
            created_at: Timestamp(v.created_at),
            updated_at: Timestamp(v.updated_at),
        }
    }
}

impl From<entity::payment_term::Model> for PaymentTerm {
    fn from(t: entity::payment_term::Model) -> Self {
        PaymentTerm {
            id: t.id,
            name: t.name,
            days: t.days,
            is_archived: t.archived,
            created_at: Timestamp(t.created_at),
            updated_at: Timestamp(t.updated_at),
        }
    }
}

/// A page of a list.
#[derive(ApiResponse)]
pub enum ListResponse<T: ToJSON> {
    /// The records, in id order.
    #[oai(status = 200, content_type = "application/json")]
    Ok(Json<Vec<T>>),
}

/// One record.
#[derive(ApiResponse)]
pub enum OneResponse<T: ToJSON> {
    /// The record asked for.
    #[oai(status = 200, content_type = "application/json")]
    Ok(Json<T>),
}

/// The query parameters every list takes: `limit`, `offset` and `updated_at`.
type ListParams = (
    QueryParam<Option<Limit>>,
    QueryParam<Option<Offset>>,
    QueryParam<Option<Vec<DateTimeFilter>>>,
);

/// What a list takes besides its own parameters: `limit`, `offset` and `updated_at`; the list's
/// own parameters (`own`) are already taken into `checked`. Admits the caller.
async fn list_of(
    state: &AppState,
    identity: Identity,
    request: &Request,
    mut checked: Validation,
    own: &[&str],
    (limit, offset, updated_at): ListParams,
) -> Result<(Caller, ListOf), ApiError> {
    let known: Vec<&str> = ["limit", "offset", "updated_at"]
        .iter()
        .chain(own)
        .copied()
        .collect();
    reject_unknown_query(&mut checked, request, &known);
    let page = paging::paging(&mut checked, limit, offset);
    let updated_at = checked.take(updated_at.into_result()).map(|filters| {
        let filters = filters.unwrap_or_default().into_iter();
        filters.map(|f| f.0).collect()
    });
    let (caller, (page, updated_at)) = identity.admit(state, checked, page.zip(updated_at)).await?;
    Ok((caller, ListOf { updated_at, page }))
}

/// A caller admitted to read one record by `id`.
async fn one_of(state: &AppState, identity: Identity, id: Path) -> Result<(Caller, i64), ApiError> {
    let mut checked = Validation::default();
    let id = checked.take(id.into_result());
    identity.admit(state, checked, id).await
}

/// The rows, rendered as a list's answer.
fn page<Row, T: ToJSON + From<Row>>(rows: Vec<Row>) -> ListResponse<T> {
    ListResponse::Ok(Json(rows.into_iter().map(T::from).collect()))
}

/// The row, rendered as a read's answer.
fn found<Row, T: ToJSON + From<Row>>(row: Row) -> OneResponse<T> {
    OneResponse::Ok(Json(row.into()))
}

#[OpenApi]
impl ReferenceApi {
    /// List projects
    ///
    /// The company's projects, in id order, for any member. `updated_at` filters like the
    /// invoice list's (`updated_at=gt:2026-03-10T18:18:59.374Z`), so a client can sync them.
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
        identity: Identity,
        /// How many at most (1–100)
        limit: QueryParam<Option<Limit>>,
        /// How many to skip (at most 1000000000)
        offset: QueryParam<Option<Offset>>,
        /// The last update: an RFC 3339 date-time, optionally after an operator prefix
        /// (`gt:2026-03-10T18:18:59.374Z`), or a list or range of date-times
        updated_at: QueryParam<Option<Vec<DateTimeFilter>>>,
    ) -> Result<ListResponse<Project>, ApiError> {
        let unchecked = Validation::default();
        let params = (limit, offset, updated_at);
        let (caller, of) = list_of(&state, identity, request, unchecked, &[], params).await?;
        Ok(page(
            reference::company_list::<project::Entity>(&state.db, &caller, of).await?,
        ))
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
        identity: Identity,
        /// The ID of the project
        id: Path,
    ) -> Result<OneResponse<Project>, ApiError> {
        let (caller, id) = one_of(&state, identity, id).await?;
        let project = reference::one::<project::Entity>(&state.db, &caller, id, "project");
        Ok(found(project.await?))
    }

    /// List budgets
    ///
    /// Required permissions: `budget.view` (projects where the user is PM or Account) or
    /// `budget.view_other` (every project).
    ///
    /// The budgets of the company's projects (of one project with `project_id`) that the
    /// caller may read, in id order. `updated_at` filters like the invoice list's.
    #[oai(
        path = "/api/budgets",
        method = "get",
        operation_id = "list_budgets",
        tag = "ApiTags::Budgets"
    )]
    async fn list_budgets(
        &self,
        state: Data<&AppState>,
        request: &Request,
        identity: Identity,
        /// How many at most (1–100)
        limit: QueryParam<Option<Limit>>,
        /// How many to skip (at most 1000000000)
        offset: QueryParam<Option<Offset>>,
        /// The last update: an RFC 3339 date-time, optionally after an operator prefix
        /// (`gt:2026-03-10T18:18:59.374Z`), or a list or range of date-times
        updated_at: QueryParam<Option<Vec<DateTimeFilter>>>,
        /// Only the budgets of this project
        project_id: QueryParam<Option<Id>>,
    ) -> Result<ListResponse<Budget>, ApiError> {
        let mut checked = Validation::default();
        let project_id = checked.take(project_id.into_result()).flatten();
        let params = (limit, offset, updated_at);
        let own = ["project_id"];
        let (caller, of) = list_of(&state, identity, request, checked, &own, params).await?;
        let project_id = project_id.map(|id| id.0);
        Ok(page(
            budgets::list(&state.db, &caller, project_id, of).await?,
        ))
    }

    /// Get a budget
    ///
    /// Required permissions: `budget.view` (projects where the user is PM or Account) or
    /// `budget.view_other` (every project).
    ///
    /// One budget of the company's projects; another company's is not found.
    #[oai(
        path = "/api/budgets/:id",
        method = "get",
        operation_id = "get_budget",
        tag = "ApiTags::Budgets"
    )]
    async fn get_budget(
        &self,
        state: Data<&AppState>,
        identity: Identity,
        /// The ID of the budget
        id: Path,
    ) -> Result<OneResponse<Budget>, ApiError> {
        let (caller, id) = one_of(&state, identity, id).await?;
        Ok(found(budgets::one(&state.db, &caller, id).await?))
    }

    /// List budget areas
    ///
    /// Required permissions: `budget.view` (projects where the user is PM or Account) or
    /// `budget.view_other` (every project).
    ///
    /// The budget areas the caller may read (of one budget with `budget_id`, of one project
    /// with `project_id`, an addition to the original), in id order. `updated_at` filters like
    /// the invoice list's.
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
        identity: Identity,
        /// How many at most (1–100)
        limit: QueryParam<Option<Limit>>,
        /// How many to skip (at most 1000000000)
        offset: QueryParam<Option<Offset>>,
        /// The last update: an RFC 3339 date-time, optionally after an operator prefix
        /// (`gt:2026-03-10T18:18:59.374Z`), or a list or range of date-times
        updated_at: QueryParam<Option<Vec<DateTimeFilter>>>,
        /// Only the budget areas of this project
        project_id: QueryParam<Option<Id>>,
        /// Only the budget areas of this budget
        budget_id: QueryParam<Option<Id>>,
    ) -> Result<ListResponse<BudgetArea>, ApiError> {
        let mut checked = Validation::default();
        let project_id = checked.take(project_id.into_result()).flatten();
        let budget_id = checked.take(budget_id.into_result()).flatten();
        let params = (limit, offset, updated_at);
        let own = ["project_id", "budget_id"];
        let (caller, of) = list_of(&state, identity, request, checked, &own, params).await?;
        let (project_id, budget_id) = (project_id.map(|id| id.0), budget_id.map(|id| id.0));
        Ok(page(
            budgets::areas(&state.db, &caller, project_id, budget_id, of).await?,
        ))
    }

    /// Get a budget area
    ///
    /// Required permissions: `budget.view` (projects where the user is PM or Account) or
    /// `budget.view_other` (every project).
    ///
    /// One budget area of the company's budgets; another company's is not found.
    #[oai(
        path = "/api/budget-areas/:id",
        method = "get",
        operation_id = "get_budget_area",
        tag = "ApiTags::BudgetAreas"
    )]
    async fn get_budget_area(
        &self,
        state: Data<&AppState>,
        identity: Identity,
        /// The ID of the budget area
        id: Path,
    ) -> Result<OneResponse<BudgetArea>, ApiError> {
        let (caller, id) = one_of(&state, identity, id).await?;
        Ok(found(budgets::area(&state.db, &caller, id).await?))
    }

    /// List VAT rates
    ///
    /// The company's VAT rates, in id order, for any member. `updated_at` filters like the
    /// invoice list's.
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
        identity: Identity,
        /// How many at most (1–100)
        limit: QueryParam<Option<Limit>>,
        /// How many to skip (at most 1000000000)
        offset: QueryParam<Option<Offset>>,
        /// The last update: an RFC 3339 date-time, optionally after an operator prefix
        /// (`gt:2026-03-10T18:18:59.374Z`), or a list or range of date-times
        updated_at: QueryParam<Option<Vec<DateTimeFilter>>>,
    ) -> Result<ListResponse<VatRate>, ApiError> {
        let unchecked = Validation::default();
        let params = (limit, offset, updated_at);
        let (caller, of) = list_of(&state, identity, request, unchecked, &[], params).await?;
        Ok(page(
            reference::company_list::<vat_rate::Entity>(&state.db, &caller, of).await?,
        ))
    }

    /// List payment terms
    ///
    /// The company's payment terms, in id order, for any member. `updated_at` filters like the
    /// invoice list's.
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
        identity: Identity,
        /// How many at most (1–100)
        limit: QueryParam<Option<Limit>>,
        /// How many to skip (at most 1000000000)
        offset: QueryParam<Option<Offset>>,
        /// The last update: an RFC 3339 date-time, optionally after an operator prefix
        /// (`gt:2026-03-10T18:18:59.374Z`), or a list or range of date-times
        updated_at: QueryParam<Option<Vec<DateTimeFilter>>>,
    ) -> Result<ListResponse<PaymentTerm>, ApiError> {
        let unchecked = Validation::default();
        let params = (limit, offset, updated_at);
        let (caller, of) = list_of(&state, identity, request, unchecked, &[], params).await?;
        let terms = reference::company_list::<payment_term::Entity>(&state.db, &caller, of);
        Ok(page(terms.await?))
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
        identity: Identity,
        /// How many at most (1–100)
        limit: QueryParam<Option<Limit>>,
        /// How many to skip (at most 1000000000)
        offset: QueryParam<Option<Offset>>,
        /// The last update: an RFC 3339 date-time, optionally after an operator prefix
        /// (`gt:2026-03-10T18:18:59.374Z`), or a list or range of date-times
        updated_at: QueryParam<Option<Vec<DateTimeFilter>>>,
    ) -> Result<ListResponse<InvoiceContact>, ApiError> {
        let unchecked = Validation::default();
        let params = (limit, offset, updated_at);
        let (caller, of) = list_of(&state, identity, request, unchecked, &[], params).await?;
        let contacts = reference::company_list::<invoice_contact::Entity>(&state.db, &caller, of);
        Ok(page(contacts.await?))
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
        identity: Identity,
        /// The ID of the invoice contact
        id: Path,
    ) -> Result<OneResponse<InvoiceContact>, ApiError> {
        let (caller, id) = one_of(&state, identity, id).await?;
        let what = "invoice contact";
        let contact = reference::one::<invoice_contact::Entity>(&state.db, &caller, id, what);
        Ok(found(contact.await?))
    }

    /// List members
    ///
    /// The company's members (the users who may act in it), in id order, for any member: so a
    /// client can show who a project's `pm_id` and `account_id` or an event's `user_id` is.
    #[oai(
        path = "/api/members",
        method = "get",
        operation_id = "list_members",
        tag = "ApiTags::Members"
    )]
    async fn list_members(
        &self,
        state: Data<&AppState>,
        request: &Request,
        identity: Identity,
        /// How many at most (1–100)
        limit: QueryParam<Option<Limit>>,
        /// How many to skip (at most 1000000000)
        offset: QueryParam<Option<Offset>>,
    ) -> Result<ListResponse<Member>, ApiError> {
        let mut checked = Validation::default();
        reject_unknown_query(&mut checked, request, &["limit", "offset"]);
        let paged = paging::paging(&mut checked, limit, offset);
        let (caller, paged) = identity.admit(&state, checked, paged).await?;
        Ok(page(reference::members(&state.db, &caller, paged).await?))
    }
}
