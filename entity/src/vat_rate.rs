//! A VAT rate of a company (`rate` is a percentage, exact).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "vat_rates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub name: String,
    pub rate: crate::ExactDecimal,
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
