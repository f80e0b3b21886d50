//! A payment term of a company.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_terms")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub name: String,
    pub days: i32,
    pub archived: bool,
    pub created_at: DateTimeUtc,
    /// When the record last changed (its `created_at` until then).
    pub updated_at: DateTimeUtc,
    /// The key an import file gives it, unique within the company.
    pub external_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
