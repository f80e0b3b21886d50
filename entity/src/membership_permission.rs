//! One permission name (`invoices.create`, …) granted by a membership.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "membership_permissions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub membership_id: i64,
    pub permission: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
