//! Reading the company's reference data (projects, VAT rates, payment terms, invoice contacts,
//! members): what clients discover the ids they send from. Any member of the company may read
//! all of it; another company's rows are not found. (Budgets and budget areas need the budget
//! permissions: `operations::budgets`.)

use crate::domain::filter::Filter;
use crate::domain::member::Member;
use crate::domain::paging::Page;
use crate::operations::{Caller, Refusal};
use crate::store::reference::{self as store, CompanyRecords};
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

/// Which page of a list, of the rows whose update time passes every `updated_at` filter.
pub struct ListOf {
    pub updated_at: Vec<Filter<DateTime<Utc>>>,
    pub page: Page,
}

/// A page of the caller's company's rows of `E`, in id order.
pub async fn company_list<E: CompanyRecords>(
    db: &impl ConnectionTrait,
    caller: &Caller,
    of: ListOf,
) -> Result<Vec<E::Model>, Refusal> {
    let query = store::company_page::<E>(caller.company_id, &of.updated_at, of.page);
    Ok(store::rows(db, query).await?)
}

/// A page of the caller's company's members, in user id order.
pub async fn members(
    db: &impl ConnectionTrait,
    caller: &Caller,
    page: Page,
) -> Result<Vec<Member>, Refusal> {
    Ok(store::members(db, store::members_page(caller.company_id, page)).await?)
}

/// The caller's company's row of `E` with this id; not found (naming `what`) when the company
/// has none, another company's included.
pub async fn one<E: CompanyRecords>(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: i64,
    what: &str,
) -> Result<E::Model, Refusal> {
    store::one_in_company::<E>(db, caller.company_id, id)
        .await?
        .ok_or_else(|| Refusal::NotFound(format!("No {what} {id} in this company.")))
}
