//! The query of `GET /api/invoices`, from its parameters.

use crate::api::filters::{DateFilter, DateTimeFilter, IdFilter};
use crate::domain::invoice_list::{ListOrder, ListQuery};
use crate::domain::paging::Page;

/// The list filters, one list per field.
pub struct Filters {
    pub project_id: Vec<IdFilter>,
    pub issue_date: Vec<DateFilter>,
    pub payment_date: Vec<DateFilter>,
    pub updated_at: Vec<DateTimeFilter>,
}

/// The list query for these filters, in this order, and this page.
pub fn list_query(filters: Filters, order: ListOrder, paging: Page) -> ListQuery {
    ListQuery {
        only_projects_of: None,
        project_id: filters.project_id.into_iter().map(|f| f.0).collect(),
        issue_date: filters.issue_date.into_iter().map(|f| f.0).collect(),
        payment_date: filters.payment_date.into_iter().map(|f| f.0).collect(),
        updated_at: filters.updated_at.into_iter().map(|f| f.0).collect(),
        order,
        limit: paging.limit,
        offset: paging.offset,
    }
}
