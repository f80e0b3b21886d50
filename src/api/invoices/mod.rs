//! `/api/invoices`: the invoice resource. This file is its OpenAPI surface (parameters, bodies,
//! responses, documentation): each handler extracts the request, calls its operation
//! (`operations::invoices`; the create is still `create.rs` here) and renders the answer.
// Operations take one argument per documented parameter.
#![allow(clippy::too_many_arguments)]

mod create;
pub mod model;
mod read;

pub use create::{CreateInvoiceResponse, IDEMPOTENCY_KEY_HEADER};

use super::body::JsonBody;
use super::caller::{Caller, Identity};
use super::conditional::{self, EntityTag, IfMatch, IfNoneMatch};
use super::error::ApiError;
use super::filters::{DateFilter, DateTimeFilter, IdFilter};
use super::paging::{self, Limit, Offset};
use super::params::{HeaderParam, Path, QueryParam, reject_unknown_query};
use super::validation::Validation;
use super::{ApiTags, AppState};
use crate::domain::idempotency::IdempotencyKey;
use crate::domain::invoice::{InvoicePatch, NewInvoice};
use crate::domain::invoice_list::ListOrder;
use crate::operations::invoices::{self, Transition};
use crate::wire::invoice::Invoice;
use chrono::Utc;
use model::{InvoiceOrder, SendInvoice, SetPaid, Tagged};
use poem::Request;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

pub struct InvoicesApi;

#[derive(ApiResponse)]
pub enum InvoiceResponse {
    /// The invoice.
    #[oai(status = 200, content_type = "application/json")]
    Ok(
        Json<Invoice>,
        /// The version of the invoice returned: send it in `If-Match` to change only that
        /// version, or in `If-None-Match` to read only a newer one
        #[oai(header = "ETag")]
        EntityTag,
    ),
}

impl From<Tagged> for InvoiceResponse {
    fn from(tagged: Tagged) -> Self {
        InvoiceResponse::Ok(Json(tagged.invoice), tagged.etag)
    }
}

// Built once per request and moved once: boxing the invoice would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(ApiResponse)]
pub enum GetInvoiceResponse {
    /// The invoice.
    #[oai(status = 200, content_type = "application/json")]
    Ok(
        Json<Invoice>,
        /// The version of the invoice returned: send it in `If-Match` to change only that
        /// version, or in `If-None-Match` to read only a newer one
        #[oai(header = "ETag")]
        EntityTag,
    ),
    /// The invoice is still the version named in `If-None-Match`; no body.
    #[oai(status = 304)]
    NotModified(
        /// The version of the invoice, unchanged
        #[oai(header = "ETag")]
        EntityTag,
    ),
}

#[derive(ApiResponse)]
pub enum InvoiceListResponse {
    /// The invoices, in id order.
    #[oai(status = 200, content_type = "application/json")]
    Ok(Json<Vec<Invoice>>),
}

#[derive(ApiResponse)]
pub enum DeletedResponse {
    /// The invoice was deleted.
    #[oai(status = 204)]
    Deleted,
}

/// The query parameters `GET /api/invoices` knows.
const LIST_PARAMETERS: [&str; 7] = [
    "limit",
    "offset",
    "order_by",
    "project_id",
    "issue_date",
    "payment_date",
    "updated_at",
];

/// Admits the caller of an operation on one invoice that reads one more header (a
/// conditional one).
async fn caller_id_and<T>(
    state: &AppState,
    identity: Identity,
    id: Path,
    other: HeaderParam<T>,
) -> Result<(Caller, (i64, T)), ApiError> {
    let mut checked = Validation::default();
    let id = checked.take(id.into_result());
    let other = checked.take(other.into_result());
    identity.admit(state, checked, id.zip(other)).await
}

/// Admits the caller of a write of one invoice that takes `If-Match` and a body.
async fn caller_id_if_match_and_body<T>(
    state: &AppState,
    identity: Identity,
    id: Path,
    if_match: HeaderParam<Option<IfMatch>>,
    body: JsonBody<T>,
) -> Result<(Caller, ((i64, Option<IfMatch>), T)), ApiError> {
    let mut checked = Validation::default();
    let id = checked.take(id.into_result());
    let if_match = checked.take(if_match.into_result());
    let body = checked.take_body(body);
    identity
        .admit(state, checked, id.zip(if_match).zip(body))
        .await
}

/// Moves the invoice through `transition` and answers with it.
async fn transition_to(
    state: &AppState,
    caller: &Caller,
    id: i64,
    if_match: &Option<IfMatch>,
    transition: Transition,
) -> Result<InvoiceResponse, ApiError> {
    let target = IfMatch::target(id, if_match);
    let row = invoices::transition(state.storage(), caller, target, transition).await?;
    Ok(Tagged::try_from(row)?.into())
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
        identity: Identity,
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
        create::create(&state, identity, idempotency_key, body).await
    }

    /// List invoices
    ///
    /// Required permissions:
    /// - `invoices.view`: lists the invoices of projects where the user is PM or Account.
    /// - `invoices.view_other`: lists the invoices of every project.
    ///
    /// A bare JSON array, in id order unless `order_by` says otherwise. Each filter takes a
    /// plain value (equality) or an operator prefix `eq:`, `neq:`, `gt:`, `gte:`, `lt:`,
    /// `lte:` (`issue_date=gte:2024-01-01`); `in:` or `nin:` before 1 to 100 values separated
    /// by commas (`project_id=in:3,4`); or `bt:` before two values, both included
    /// (`issue_date=bt:2024-01-01,2024-01-31`). A filter may be repeated and all must hold
    /// (`issue_date=gte:2024-01-01&issue_date=lt:2024-02-01`).
    /// Filters on `payment_date` match only invoices that have one. Unknown query parameters
    /// are refused.
    ///
    /// To keep a copy in sync at any size, follow changes in `updated_at` order: ask for
    /// `order_by=updated_at` (no filter the first time), then for
    /// `updated_at=gte:<the updated_at of the last invoice received>&order_by=updated_at`,
    /// skipping the invoices already received with that same `updated_at`, until a page is
    /// shorter than `limit`; poll the same way later. Each page is an index walk from the cursor,
    /// whatever the company's size. A change is visible a moment after its `updated_at` is
    /// taken, so a client that polls should start a few seconds before its cursor. Paging
    /// with `offset` can skip an invoice that changes while the pages are read.
    #[oai(path = "/api/invoices", method = "get", operation_id = "list_invoices")]
    async fn list_invoices(
        &self,
        state: Data<&AppState>,
        request: &Request,
        identity: Identity,
        /// How many invoices at most (1–100)
        limit: QueryParam<Option<Limit>>,
        /// How many invoices to skip (at most 1000000000)
        offset: QueryParam<Option<Offset>>,
        /// The order: `id` (the default) or `updated_at` (then id)
        order_by: QueryParam<Option<InvoiceOrder>>,
        /// The project: an ID, optionally after an operator prefix (`gt:3`), or a list
        /// (`in:3,4`, `nin:3,4`) or range (`bt:3,9`) of IDs
        project_id: QueryParam<Option<Vec<IdFilter>>>,
        /// The issue date: `YYYY-MM-DD`, optionally after an operator prefix (`gte:2024-01-01`),
        /// or a list or range of dates (`bt:2024-01-01,2024-01-31`)
        issue_date: QueryParam<Option<Vec<DateFilter>>>,
        /// The payment date: `YYYY-MM-DD`, optionally after an operator prefix, or a list or
        /// range of dates
        payment_date: QueryParam<Option<Vec<DateFilter>>>,
        /// The last update: an RFC 3339 date-time, optionally after an operator prefix
        /// (`gt:2026-03-10T18:18:59.374Z`), or a list or range of date-times
        updated_at: QueryParam<Option<Vec<DateTimeFilter>>>,
    ) -> Result<InvoiceListResponse, ApiError> {
        let mut checked = Validation::default();
        reject_unknown_query(&mut checked, request, &LIST_PARAMETERS);
        let page = paging::paging(&mut checked, limit, offset);
        let order = checked
            .take(order_by.into_result())
            .flatten()
            .map_or(ListOrder::Id, ListOrder::from);
        let filters = read::Filters {
            project_id: checked
                .take(project_id.into_result())
                .flatten()
                .unwrap_or_default(),
            issue_date: checked
                .take(issue_date.into_result())
                .flatten()
                .unwrap_or_default(),
            payment_date: checked
                .take(payment_date.into_result())
                .flatten()
                .unwrap_or_default(),
            updated_at: checked
                .take(updated_at.into_result())
                .flatten()
                .unwrap_or_default(),
        };
        let (caller, page) = identity.admit(&state, checked, page).await?;
        let query = read::list_query(filters, order, page);
        let invoices = invoices::list(&state.db, &caller, query)
            .await?
            .into_iter()
            .map(Invoice::try_from)
            .collect::<Result<_, _>>()?;
        Ok(InvoiceListResponse::Ok(Json(invoices)))
    }

    /// Get an invoice
    ///
    /// Required permissions:
    /// - `invoices.view`: for invoices of projects where the user is PM or Account.
    /// - `invoices.view_other`: for invoices of every project.
    ///
    /// 404 when the company has no invoice with this ID.
    #[oai(
        path = "/api/invoices/:id",
        method = "get",
        operation_id = "get_invoice"
    )]
    async fn get_invoice(
        &self,
        state: Data<&AppState>,
        identity: Identity,
        /// The ID of the invoice
        id: Path,
        /// ETags of versions you already have: when the invoice is still one of them, the
        /// answer is 304 without a body
        #[oai(name = "If-None-Match")]
        if_none_match: HeaderParam<Option<IfNoneMatch>>,
    ) -> Result<GetInvoiceResponse, ApiError> {
        let (caller, (id, if_none_match)) =
            caller_id_and(&state, identity, id, if_none_match).await?;
        let tagged = Tagged::try_from(invoices::get(&state.db, &caller, id).await?)?;
        if conditional::not_modified(if_none_match.as_ref(), &tagged.etag) {
            return Ok(GetInvoiceResponse::NotModified(tagged.etag));
        }
        Ok(GetInvoiceResponse::Ok(Json(tagged.invoice), tagged.etag))
    }

    /// Update an invoice
    ///
    /// Required permissions:
    /// - `invoices.edit`: for invoices of projects where the user is PM or Account.
    /// - `invoices.edit_other`: for invoices of every project.
    /// - `invoices.edit_sent`: also, for invoices that are `sent` or `paid`.
    ///
    /// Changes the fields sent, with the rules of creation; an absent field is kept and `null`
    /// clears an optional one. Moving the invoice to another project needs the permission on
    /// both projects. The invoice's (resulting) project must exist, be open and have a job
    /// order; a budget area, VAT rate or payment term sent must be usable, and on a move the
    /// kept budget area must belong to the new project (412). `updated_at` changes on every
    /// successful update.
    #[oai(
        path = "/api/invoices/:id",
        method = "patch",
        operation_id = "update_invoice"
    )]
    async fn update_invoice(
        &self,
        state: Data<&AppState>,
        identity: Identity,
        /// The ID of the invoice
        id: Path,
        /// The ETag of the version you read: the change is made only if the invoice is still
        /// that version, else 412 (`*`: any version)
        #[oai(name = "If-Match")]
        if_match: HeaderParam<Option<IfMatch>>,
        body: JsonBody<InvoicePatch>,
    ) -> Result<InvoiceResponse, ApiError> {
        let (caller, ((id, if_match), patch)) =
            caller_id_if_match_and_body(&state, identity, id, if_match, body).await?;
        let target = IfMatch::target(id, &if_match);
        let row = invoices::update(state.storage(), &caller, target, patch).await?;
        Ok(Tagged::try_from(row)?.into())
    }

    /// Delete an invoice
    ///
    /// Required permissions:
    /// - `invoices.delete`: for invoices of projects where the user is PM or Account.
    /// - `invoices.delete_other`: for invoices of every project.
    /// - `invoices.edit_sent`: also, for invoices that are `sent` or `paid`.
    #[oai(
        path = "/api/invoices/:id",
        method = "delete",
        operation_id = "delete_invoice"
    )]
    async fn delete_invoice(
        &self,
        state: Data<&AppState>,
        identity: Identity,
        /// The ID of the invoice
        id: Path,
        /// The ETag of the version you read: the change is made only if the invoice is still
        /// that version, else 412 (`*`: any version)
        #[oai(name = "If-Match")]
        if_match: HeaderParam<Option<IfMatch>>,
    ) -> Result<DeletedResponse, ApiError> {
        let (caller, (id, if_match)) = caller_id_and(&state, identity, id, if_match).await?;
        invoices::delete(state.storage(), &caller, IfMatch::target(id, &if_match)).await?;
        Ok(DeletedResponse::Deleted)
    }

    /// Send an invoice
    ///
    /// Required permissions: `invoices.edit` (projects where the user is PM or Account) or
    /// `invoices.edit_other` (every project).
    ///
    /// A `draft` becomes `sent`; any other status is a 412. The body may name the invoice
    /// contact it is sent to (`{"invoice_contact_id": 3}`), recorded with the invoice; a
    /// contact that is not the company's is a 412, checked after the status. The body may be
    /// left out, empty, `{}` or `[]`: sent without naming a contact.
    #[oai(
        path = "/api/invoices/:id/~send",
        method = "post",
        operation_id = "send_invoice"
    )]
    async fn send_invoice(
        &self,
        state: Data<&AppState>,
        identity: Identity,
        /// The ID of the invoice
        id: Path,
        /// The ETag of the version you read: the change is made only if the invoice is still
        /// that version, else 412 (`*`: any version)
        #[oai(name = "If-Match")]
        if_match: HeaderParam<Option<IfMatch>>,
        body: JsonBody<SendInvoice>,
    ) -> Result<InvoiceResponse, ApiError> {
        let (caller, ((id, if_match), body)) =
            caller_id_if_match_and_body(&state, identity, id, if_match, body).await?;
        let transition = Transition::Send(body.invoice_contact_id);
        transition_to(&state, &caller, id, &if_match, transition).await
    }

    /// Set an invoice as paid
    ///
    /// Required permissions: `invoices.edit` (projects where the user is PM or Account) or
    /// `invoices.edit_other` (every project), and `invoices.edit_sent`.
    ///
    /// A `draft` or `sent` invoice becomes `paid` on `payment_date` (today, UTC, when not
    /// given; the body itself may be omitted); a paid invoice is a 412.
    #[oai(
        path = "/api/invoices/:id/~set-paid",
        method = "post",
        operation_id = "set_invoice_paid"
    )]
    async fn set_invoice_paid(
        &self,
        state: Data<&AppState>,
        identity: Identity,
        /// The ID of the invoice
        id: Path,
        /// The ETag of the version you read: the change is made only if the invoice is still
        /// that version, else 412 (`*`: any version)
        #[oai(name = "If-Match")]
        if_match: HeaderParam<Option<IfMatch>>,
        body: JsonBody<SetPaid>,
    ) -> Result<InvoiceResponse, ApiError> {
        let (caller, ((id, if_match), body)) =
            caller_id_if_match_and_body(&state, identity, id, if_match, body).await?;
        let date = body.payment_date.unwrap_or_else(|| Utc::now().date_naive());
        let transition = Transition::SetPaid(date);
        transition_to(&state, &caller, id, &if_match, transition).await
    }

    /// Set an invoice as unpaid
    ///
    /// Required permissions: `invoices.edit` (projects where the user is PM or Account) or
    /// `invoices.edit_other` (every project), and `invoices.edit_sent`.
    ///
    /// A `paid` invoice goes back to `sent` and loses its payment date; any other status is a
    /// 412.
    #[oai(
        path = "/api/invoices/:id/~set-unpaid",
        method = "post",
        operation_id = "set_invoice_unpaid"
    )]
    async fn set_invoice_unpaid(
        &self,
        state: Data<&AppState>,
        identity: Identity,
        /// The ID of the invoice
        id: Path,
        /// The ETag of the version you read: the change is made only if the invoice is still
        /// that version, else 412 (`*`: any version)
        #[oai(name = "If-Match")]
        if_match: HeaderParam<Option<IfMatch>>,
    ) -> Result<InvoiceResponse, ApiError> {
        let (caller, (id, if_match)) = caller_id_and(&state, identity, id, if_match).await?;
        transition_to(&state, &caller, id, &if_match, Transition::SetUnpaid).await
    }
}
