//! A budget area of a budget, addressed by its `uid`, unique within the company. It carries its
//! budget's project (an invoice names an area of its own project) and company (the scope of
//! `uid`). Money and days are exact decimals.

use crate::ExactDecimal;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "budget_areas")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub project_id: i64,
    /// The project's company: the scope of `uid`.
    pub company_id: i64,
    pub uid: String,
    pub name: String,
    pub enabled: bool,
    pub created_at: DateTimeUtc,
    /// When the record last changed (its `created_at` until then).
    pub updated_at: DateTimeUtc,
    /// Its budget; none only for an area the release before added during a rolling upgrade.
    pub budget_id: Option<i64>,
    #[sea_orm(column_name = "type")]
    pub area_type: BudgetAreaType,
    pub price_list_id: Option<i64>,
    pub total_external_cost: ExactDecimal,
    pub total_cost: ExactDecimal,
    pub total_price: ExactDecimal,
    pub total_days: ExactDecimal,
}

/// The kind of a budget area, stored by the original's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum BudgetAreaType {
    #[sea_orm(string_value = "DEFAULT")]
    Default,
    #[sea_orm(string_value = "CONTINGENCY-DISCOUNT")]
    ContingencyDiscount,
    #[sea_orm(string_value = "TRAVEL-CORE-COST-EXPENSES")]
    TravelCoreCostExpenses,
    #[sea_orm(string_value = "PM")]
    Pm,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::project::Entity",
        from = "Column::ProjectId",
        to = "super::project::Column::Id"
    )]
    Project,
    #[sea_orm(
        belongs_to = "super::budget::Entity",
        from = "Column::BudgetId",
        to = "super::budget::Column::Id"
    )]
    Budget,
}

impl Related<super::project::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Project.def()
    }
}

impl Related<super::budget::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Budget.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
