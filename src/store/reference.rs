//! The company's reference data, for clients to discover the ids they must send.

use crate::domain::filter::{Filter, Op};
use chrono::{DateTime, Utc};
use entity::{invoice_contact, membership, payment_term, project, user, vat_rate};
use sea_orm::sea_query::SimpleExpr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, JoinType, PrimaryKeyTrait,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait, Select,
};

use crate::domain::member::Member;
use crate::domain::paging::Page;

/// The rows a list query finds.
pub async fn rows<E: EntityTrait>(
    db: &impl ConnectionTrait,
    query: Select<E>,
) -> Result<Vec<E::Model>, DbErr> {
    query.all(db).await
}

/// The `updated_at` filters of a list.
pub type UpdatedAt<'a> = &'a [Filter<DateTime<Utc>>];

/// A table whose rows each belong to one company, with an update time: what a company's
/// list pages and reads by id.
pub trait CompanyRecords: EntityTrait<PrimaryKey: PrimaryKeyTrait<ValueType = i64>> {
    /// The columns of the owning company, of the last update and of the id.
    const COLUMNS: [Self::Column; 3];
}

macro_rules! company_records {
    ($($table:ident),+) => {$(
        impl CompanyRecords for $table::Entity {
            const COLUMNS: [Self::Column; 3] = [
                $table::Column::CompanyId,
                $table::Column::UpdatedAt,
                $table::Column::Id,
            ];
        }
    )+};
}

company_records!(project, vat_rate, payment_term, invoice_contact);

/// The query of one page of the company's rows of `E` whose update time passes `updated_at`,
/// in the order of `id`, to run or to explain.
pub fn company_page<E: CompanyRecords>(
    company_id: i64,
    updated_at: UpdatedAt<'_>,
    page: Page,
) -> Select<E> {
    let [company, updated, id] = E::COLUMNS;
    let query = E::find().filter(company.eq(company_id));
    page_of(updated_since(query, updated, updated_at), id, page)
}

/// `query` with the `updated_at` filters on `column`.
fn updated_since<E: EntityTrait>(
    query: Select<E>,
    column: E::Column,
    updated_at: UpdatedAt<'_>,
) -> Select<E> {
    updated_at.iter().fold(query, |query, filter| {
        query.filter(filter_condition(column, filter))
    })
}

/// One page of `query`, in the order of `id`.
pub(super) fn page_of<E: EntityTrait>(query: Select<E>, id: E::Column, page: Page) -> Select<E> {
    query.order_by_asc(id).limit(page.limit).offset(page.offset)
}

/// A row of [`members_page`].
#[derive(FromQueryResult)]
struct MemberRow {
    user_id: i64,
    name: String,
    email: String,
    joined_at: DateTime<Utc>,
}

/// The query of a page of the company's members, in user id order (a walk of the
/// `(company_id, user_id)` index), to run with [`members`] or to explain.
pub fn members_page(company_id: i64, page: Page) -> Select<membership::Entity> {
    membership::Entity::find()
        .select_only()
        .column(membership::Column::UserId)
        .column(user::Column::Name)
        .column(user::Column::Email)
        .column_as(membership::Column::CreatedAt, "joined_at")
        .join(JoinType::InnerJoin, membership::Relation::User.def())
        .filter(membership::Column::CompanyId.eq(company_id))
        .order_by_asc(membership::Column::UserId)
        .limit(page.limit)
        .offset(page.offset)
}

/// The members a [`members_page`] query finds.
pub async fn members(
    db: &impl ConnectionTrait,
    query: Select<membership::Entity>,
) -> Result<Vec<Member>, DbErr> {
    let rows = query.into_model::<MemberRow>().all(db).await?;
    let members = rows.into_iter().map(|row| Member {
        user_id: row.user_id,
        name: row.name,
        email: row.email,
        joined_at: row.joined_at,
    });
    Ok(members.collect())
}

/// The condition a list filter puts on `column`.
pub(super) fn filter_condition<C, V>(column: C, filter: &Filter<V>) -> SimpleExpr
where
    C: ColumnTrait,
    V: Into<sea_orm::Value> + Clone,
{
    match filter {
        Filter::Compare(op, value) => {
            let value = value.clone();
            match op {
                Op::Eq => column.eq(value),
                Op::Neq => column.ne(value),
                Op::Gt => column.gt(value),
                Op::Gte => column.gte(value),
                Op::Lt => column.lt(value),
                Op::Lte => column.lte(value),
            }
        }
        Filter::In(values) => column.is_in(values.iter().cloned()),
        Filter::NotIn(values) => column.is_not_in(values.iter().cloned()),
        Filter::Between(min, max) => column.between(min.clone(), max.clone()),
    }
}

/// The company's row of `E` with this id; another company's is not found.
pub async fn one_in_company<E: CompanyRecords>(
    db: &impl ConnectionTrait,
    company_id: i64,
    id: i64,
) -> Result<Option<E::Model>, DbErr> {
    let [company, _, _] = E::COLUMNS;
    E::find_by_id(id)
        .filter(company.eq(company_id))
        .one(db)
        .await
}
