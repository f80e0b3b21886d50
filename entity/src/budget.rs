//! A budget of a project: one version of its plan, with its totals. Money and days are exact
//! decimals; `currency` is an ISO 4217 code.

use crate::ExactDecimal;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "budgets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The project's company: the scope of every read.
    pub company_id: i64,
    pub project_id: i64,
    /// Unique within the project.
    pub version: i32,
    pub status: BudgetStatus,
    pub is_baseline: bool,
    pub notes: Option<String>,
    pub currency: String,
    pub is_currency_enabled: bool,
    pub final_net_price: ExactDecimal,
    pub total_external_cost: ExactDecimal,
    pub total_cost: ExactDecimal,
    pub total_price: ExactDecimal,
    pub total_days: ExactDecimal,
    pub price_list_id: Option<i64>,
    pub created_at: DateTimeUtc,
    /// When the record last changed (its `created_at` until then).
    pub updated_at: DateTimeUtc,
}

/// Where a budget is in its approval, stored by the original's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum BudgetStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "SUBMITTED")]
    Submitted,
    #[sea_orm(string_value = "APPROVED")]
    Approved,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::project::Entity",
        from = "Column::ProjectId",
        to = "super::project::Column::Id"
    )]
    Project,
}

impl Related<super::project::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Project.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
