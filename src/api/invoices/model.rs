//! How invoices look on the wire, and how request bodies are parsed.

use crate::api::body::{Fields, JsonObjectBody, integer, string};
use crate::api::conditional::EntityTag;
use crate::api::error::ApiError;
use crate::domain::invoice::{
    InvoiceNumber, InvoicePatch, NOTES_MAX, NewInvoice, SHORT_TEXT_MAX, bounded_text, positive_id,
};
use crate::domain::invoice_list::ListOrder;
use crate::domain::money::{ExchangeRate, Money};
use crate::wire::invoice::Invoice;
use crate::wire::types::{Date, date_from_json, exchange_rate_from_json, money_from_json};
use poem_openapi::types::Example;
use poem_openapi::{Enum, Object};

/// The order of a list of invoices: `id` (creation), or `updated_at` (the last update, then
/// id), the order in which a syncing client follows changes
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum InvoiceOrder {
    Id,
    UpdatedAt,
}

impl From<InvoiceOrder> for ListOrder {
    fn from(order: InvoiceOrder) -> Self {
        match order {
            InvoiceOrder::Id => ListOrder::Id,
            InvoiceOrder::UpdatedAt => ListOrder::UpdatedAt,
        }
    }
}

/// An invoice and the `ETag` of the version it shows.
pub struct Tagged {
    pub invoice: Invoice,
    pub etag: EntityTag,
}

impl Tagged {
    /// The `ETag` of a stored invoice's current version.
    pub fn etag_of(row: &entity::invoice::Model) -> EntityTag {
        EntityTag::of(row.id, row.version)
    }
}

impl TryFrom<entity::invoice::Model> for Tagged {
    type Error = ApiError;

    fn try_from(row: entity::invoice::Model) -> Result<Self, ApiError> {
        let etag = Tagged::etag_of(&row);
        Ok(Tagged {
            invoice: Invoice::try_from(row)?,
            etag,
        })
    }
}

/// Declares a request object with the invoice's writable fields: one definition of their
/// documentation and rules, from which the create and the update schemas both follow. The fields
/// every invoice has are `required` in the create, `optional` in the update (they may be left
/// out there, not null).
macro_rules! invoice_request_object {
    (@field required $t:ty) => { $t };
    (@field optional $t:ty) => { Option<$t> };
    ($(#[$doc:meta])* $name:ident, $needed:ident) => {
        $(#[$doc])*
        #[derive(Object)]
        #[oai(example, deny_unknown_fields, skip_serializing_if_is_none)]
        pub struct $name {
            /// The invoice number; unique within the company, not blank (it needs a character
            /// that is not ASCII whitespace)
            #[oai(
                nullable,
                validator(
                    max_length = 255,
                    pattern = r"^[^\u0000]*[^\u0000\t\n\u000b\f\r ][^\u0000]*$"
                )
            )]
            pub invoice_number: Option<String>,
            /// The invoice purchase order reference
            #[oai(nullable, validator(max_length = 255, pattern = r"^[^\u0000]*$"))]
            pub purchase_order: Option<String>,
            /// The invoice value
            pub value: invoice_request_object!(@field $needed Money),
            /// The invoice custom exchange rate
            #[oai(nullable)]
            pub exchange_rate: Option<ExchangeRate>,
            /// The invoice issue date
            pub issue_date: invoice_request_object!(@field $needed Date),
            /// The invoice notes
            #[oai(nullable, validator(max_length = 10000, pattern = r"^[^\u0000]*$"))]
            pub notes: Option<String>,
            /// The ID of the project to associate with this invoice
            #[oai(validator(minimum(value = "1")))]
            pub project_id: invoice_request_object!(@field $needed i64),
            /// The UID of the budget area to associate with this invoice
            #[oai(nullable, validator(max_length = 255, pattern = r"^[^\u0000]*$"))]
            pub budget_area_uid: Option<String>,
            /// The ID of the VAT rate to associate with this invoice
            #[oai(nullable, validator(minimum(value = "1")))]
            pub vat_rate_id: Option<i64>,
            /// The ID of the payment term to associate with this invoice
            #[oai(nullable, validator(minimum(value = "1")))]
            pub payment_term_id: Option<i64>,
        }
    };
}

invoice_request_object!(
    /// The body of `POST /api/invoices`. Fields not listed here are refused.
    CreateInvoiceRequest,
    required
);

invoice_request_object!(
    /// The body of `PATCH /api/invoices/{id}`: the fields to change, with the rules of
    /// creation. An absent field is kept; `null` clears an optional field. Fields not listed
    /// here are refused.
    UpdateInvoiceRequest,
    optional
);

impl Example for CreateInvoiceRequest {
    fn example() -> Self {
        let invoice = Invoice::example();
        // No invoice number: numbers are unique, and an example is meant to be sent twice.
        CreateInvoiceRequest {
            invoice_number: None,
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

impl Example for UpdateInvoiceRequest {
    fn example() -> Self {
        UpdateInvoiceRequest {
            invoice_number: None,
            purchase_order: Some("PO-7782".into()),
            value: Some(Money::whole(1200)),
            exchange_rate: None,
            issue_date: None,
            notes: Some("Second milestone".into()),
            project_id: None,
            budget_area_uid: None,
            vat_rate_id: None,
            payment_term_id: None,
        }
    }
}

/// Parses a patch field by field; the rules are those `UpdateInvoiceRequest` documents.
impl JsonObjectBody for InvoicePatch {
    type Schema = UpdateInvoiceRequest;

    fn parse(f: &mut Fields) -> Option<Self> {
        let id = |v| integer(v).and_then(positive_id);
        let text = |max| move |v| string(v).and_then(|s| bounded_text(s, max));
        Some(InvoicePatch {
            invoice_number: f.nullable("invoice_number", |v| {
                string(v).and_then(InvoiceNumber::parse)
            }),
            purchase_order: f.nullable("purchase_order", text(SHORT_TEXT_MAX)),
            value: f.not_null("value", |v| money_from_json(&v)),
            exchange_rate: f.nullable("exchange_rate", |v| exchange_rate_from_json(&v)),
            issue_date: f.not_null("issue_date", |v| date_from_json(&v)),
            notes: f.nullable("notes", text(NOTES_MAX)),
            project_id: f.not_null("project_id", id),
            budget_area_uid: f.nullable("budget_area_uid", text(SHORT_TEXT_MAX)),
            vat_rate_id: f.nullable("vat_rate_id", id),
            payment_term_id: f.nullable("payment_term_id", id),
        })
    }
}

/// The body of `POST /api/invoices/{id}:send`. Fields not listed here are refused.
#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct SendInvoiceRequest {
    /// The ID of the invoice contact to send the invoice to; none when absent or null
    #[oai(nullable, validator(minimum(value = "1")))]
    pub invoice_contact_id: Option<i64>,
}

/// A parsed `:send` body: the invoice contact, if one was named.
pub struct SendInvoice {
    pub invoice_contact_id: Option<i64>,
}

impl JsonObjectBody for SendInvoice {
    type Schema = SendInvoiceRequest;
    const REQUIRED: bool = false;

    fn parse(f: &mut Fields) -> Option<Self> {
        Some(SendInvoice {
            invoice_contact_id: f
                .optional("invoice_contact_id", |v| integer(v).and_then(positive_id)),
        })
    }
}

/// The body of `POST /api/invoices/{id}:set-paid`. Fields not listed here are refused.
#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct SetPaidRequest {
    /// The invoice payment date; today (UTC) when absent or null
    #[oai(nullable)]
    pub payment_date: Option<Date>,
}

/// A parsed `:set-paid` body: the payment date, if one was sent.
pub struct SetPaid {
    pub payment_date: Option<chrono::NaiveDate>,
}

impl JsonObjectBody for SetPaid {
    type Schema = SetPaidRequest;
    const REQUIRED: bool = false;

    fn parse(f: &mut Fields) -> Option<Self> {
        Some(SetPaid {
            payment_date: f.optional("payment_date", |v| date_from_json(&v)),
        })
    }
}
