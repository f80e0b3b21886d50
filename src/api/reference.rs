//! Read-only reference data, so clients can discover the ids they send and read: projects,
//! budget areas, VAT rates, payment terms, invoice contacts and the company's members. Any
//! member of the company may read them. A list or a read by id of one entity's rows is one
//! line of [`reference_api!`] (served by [`company_list`] and [`one`]); a list with its own
//! parameters is written out (budget areas through [`list`]).
// Operations take one argument per documented parameter.
#![allow(clippy::too_many_arguments)]

use super::caller::Identity;
use super::error::ApiError;
use super::filters::DateTimeFilter;
use super::paging::{self, Limit, Offset};
use super::params::{Id, Path, QueryParam, reject_unknown_query};
use super::validation::Validation;
use super::{ApiTags, AppState};
use crate::domain::filter::Filter;
use crate::domain::member;
use crate::domain::paging::Page;
use crate::store::reference::{self, CompanyRecords};
use crate::wire::types::{Percentage, Timestamp};
use chrono::{DateTime, Utc};
use entity::{invoice_contact, payment_term, project, vat_rate};
use poem::Request;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::types::{Example, ToJSON};
use poem_openapi::{ApiResponse, Object, OpenApi};
use sea_orm::DbErr;
use std::future::Future;

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
    /// When it was created
    pub created_at: Timestamp,
    /// When it last changed
    pub updated_at: Timestamp,
}

impl Example for BudgetArea {
    fn example() -> Self {
        BudgetArea {
            uid: "area-1".into(),
            name: "Design".into(),
            is_enabled: true,
            project_id: 1,
            created_at: example_time(),
            updated_at: example_time(),
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

impl From<entity::budget_area::Model> for BudgetArea {
    fn from(b: entity::budget_area::Model) -> Self {
        BudgetArea {
            uid: b.uid,
            name: b.name,
            is_enabled: b.enabled,
            project_id: b.project_id,
            created_at: Timestamp(b.created_at),
            updated_at: Timestamp(b.updated_at),
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

/// The query parameters every list takes.
pub struct ListParams {
    limit: QueryParam<Option<Limit>>,
    offset: QueryParam<Option<Offset>>,
    updated_at: QueryParam<Option<Vec<DateTimeFilter>>>,
}

/// What a list's store query is given: the caller's company, the `updated_at` filters, the
/// page.
pub struct ListOf {
    pub company_id: i64,
    pub updated_at: Vec<Filter<DateTime<Utc>>>,
    pub page: Page,
}

/// A list of the caller's company: `limit`, `offset` and `updated_at`, the list's own query
/// parameters (`own`, already taken into `checked`), then a page of `rows`.
async fn list<Row, T, F>(
    state: &AppState,
    identity: Identity,
    request: &Request,
    mut checked: Validation,
    own: &[&str],
    params: ListParams,
    rows: impl FnOnce(ListOf) -> F,
) -> Result<ListResponse<T>, ApiError>
where
    T: ToJSON + From<Row>,
    F: Future<Output = Result<Vec<Row>, DbErr>>,
{
    let known: Vec<&str> = ["limit", "offset", "updated_at"]
        .iter()
        .chain(own)
        .copied()
        .collect();
    reject_unknown_query(&mut checked, request, &known);
    let page = paging::paging(&mut checked, params.limit, params.offset);
    let updated_at = checked
        .take(params.updated_at.into_result())
        .map(|filters| {
            filters
                .unwrap_or_default()
                .into_iter()
                .map(|f| f.0)
                .collect()
        });
    let (caller, (page, updated_at)) = identity.admit(state, checked, page.zip(updated_at)).await?;
    let rows = rows(ListOf {
        company_id: caller.company_id,
        updated_at,
        page,
    })
    .await?;
    Ok(ListResponse::Ok(Json(
        rows.into_iter().map(T::from).collect(),
    )))
}

/// A page of the company's rows of `E`, as `T`: a list with no query parameters of its own.
async fn company_list<E, T>(
    state: &AppState,
    identity: Identity,
    request: &Request,
    params: ListParams,
) -> Result<ListResponse<T>, ApiError>
where
    E: CompanyRecords,
    T: ToJSON + From<E::Model>,
{
    let checked = Validation::default();
    list(state, identity, request, checked, &[], params, |of| {
        let query = reference::company_page::<E>(of.company_id, &of.updated_at, of.page);
        reference::rows(&state.db, query)
    })
    .await
}

/// The company's row of `E` with this id, as `T`; another company's is not found (404, naming
/// `what`).
async fn one<E, T>(
    state: &AppState,
    identity: Identity,
    id: Path,
    what: &str,
) -> Result<OneResponse<T>, ApiError>
where
    E: CompanyRecords,
    T: ToJSON + From<E::Model>,
{
    let mut checked = Validation::default();
    let id = checked.take(id.into_result());
    let (caller, id) = identity.admit(state, checked, id).await?;
    let found = reference::one_in_company::<E>(&state.db, caller.company_id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("No {what} {id} in this company.")))?;
    Ok(OneResponse::Ok(Json(found.into())))
}

/// The module's operations, in the order the spec lists them. A list that takes only the
/// parameters every list takes and pages the company's rows of one entity is one `list` line:
/// its function, path, operation id and tag, entity and record. Reading one such row by id is
/// one `get` line: the same, plus what a 404 calls the record and the id's description. Every
/// other operation is written out.
macro_rules! reference_api {
    (@read [$($operations:tt)*]) => {
        #[OpenApi]
        impl ReferenceApi {
            $($operations)*
        }
    };
    (@read [$($operations:tt)*]
        $(#[$doc:meta])*
        list $operation:ident($path:tt, $operation_id:tt, $tag:tt) of $entity:ty as $record:ty;
        $($rest:tt)*
    ) => {
        reference_api!(@read [
            $($operations)*
            $(#[$doc])*
            #[oai(path = $path, method = "get", operation_id = $operation_id, tag = $tag)]
            async fn $operation(
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
            ) -> Result<ListResponse<$record>, ApiError> {
                let params = ListParams {
                    limit,
                    offset,
                    updated_at,
                };
                company_list::<$entity, _>(&state, identity, request, params).await
            }
        ] $($rest)*);
    };
    (@read [$($operations:tt)*]
        $(#[$doc:meta])*
        get $operation:ident($path:tt, $operation_id:tt, $tag:tt)
            of $entity:ty as $record:ty, $what:tt, id: $id_doc:tt;
        $($rest:tt)*
    ) => {
        reference_api!(@read [
            $($operations)*
            $(#[$doc])*
            #[oai(path = $path, method = "get", operation_id = $operation_id, tag = $tag)]
            async fn $operation(
                &self,
                state: Data<&AppState>,
                identity: Identity,
                #[doc = $id_doc]
                id: Path,
            ) -> Result<OneResponse<$record>, ApiError> {
                one::<$entity, _>(&state, identity, id, $what).await
            }
        ] $($rest)*);
    };
    (@read [$($operations:tt)*]
        $(#[$attribute:meta])*
        async fn $operation:ident $parameters:tt -> $answer:ty $body:block
        $($rest:tt)*
    ) => {
        reference_api!(@read [
            $($operations)*
            $(#[$attribute])*
            async fn $operation $parameters -> $answer $body
        ] $($rest)*);
    };
    ($($operations:tt)*) => {
        reference_api!(@read [] $($operations)*);
    };
}

reference_api! {
    /// List projects
    ///
    /// The company's projects, in id order, for any member. `updated_at` filters like the
    /// invoice list's (`updated_at=gt:2026-03-10T18:18:59.374Z`), so a client can sync them.
    list list_projects("/api/projects", "list_projects", "ApiTags::Projects")
        of project::Entity as Project;

    /// Get a project
    ///
    /// One of the company's projects, for any member; another company's project is not found.
    get get_project("/api/projects/:id", "get_project", "ApiTags::Projects")
        of project::Entity as Project, "project", id: "The ID of the project";

    /// List budget areas
    ///
    /// The budget areas of the company's projects (of one project with `project_id`), in id
    /// order, for any member. `updated_at` filters like the invoice list's.
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
    ) -> Result<ListResponse<BudgetArea>, ApiError> {
        let mut checked = Validation::default();
        let project_id = checked
            .take(project_id.into_result())
            .flatten()
            .map(|id| id.0);
        let params = ListParams {
            limit,
            offset,
            updated_at,
        };
        list(
            &state,
            identity,
            request,
            checked,
            &["project_id"],
            params,
            |of| {
                let query = reference::budget_areas_select(
                    of.company_id,
                    project_id,
                    &of.updated_at,
                    of.page,
                );
                reference::rows(&state.db, query)
            },
        )
        .await
    }

    /// List VAT rates
    ///
    /// The company's VAT rates, in id order, for any member. `updated_at` filters like the
    /// invoice list's.
    list list_vat_rates("/api/vat-rates", "list_vat_rates", "ApiTags::VatRates")
        of vat_rate::Entity as VatRate;

    /// List payment terms
    ///
    /// The company's payment terms, in id order, for any member. `updated_at` filters like the
    /// invoice list's.
    list list_payment_terms("/api/payment-terms", "list_payment_terms", "ApiTags::PaymentTerms")
        of payment_term::Entity as PaymentTerm;

    /// List invoice contacts
    ///
    /// The company's invoice contacts, in id order, for any member. `updated_at` filters like
    /// the invoice list's (`updated_at=gt:2026-03-10T18:18:59.374Z`), so a client can sync them.
    list list_invoice_contacts(
        "/api/invoice-contacts",
        "list_invoice_contacts",
        "ApiTags::InvoiceContacts"
    ) of invoice_contact::Entity as InvoiceContact;

    /// Get an invoice contact
    ///
    /// One of the company's invoice contacts, for any member; another company's is not found.
    get get_invoice_contact(
        "/api/invoice-contacts/:id",
        "get_invoice_contact",
        "ApiTags::InvoiceContacts"
    ) of invoice_contact::Entity as InvoiceContact,
        "invoice contact", id: "The ID of the invoice contact";

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
        let page = paging::paging(&mut checked, limit, offset);
        let (caller, page) = identity.admit(&state, checked, page).await?;
        let query = reference::members_page(caller.company_id, page);
        let members = reference::members(&state.db, query).await?;
        Ok(ListResponse::Ok(Json(
            members.into_iter().map(Member::from).collect(),
        )))
    }
}
