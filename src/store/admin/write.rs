//! Writing one record of the operator's data, the one way for adds and imports alike: a new
//! row, or only the columns that differ, with its times stamped.

use chrono::{DateTime, SubsecRound, Utc};
use entity::{
    budget, budget_area, company, invoice_contact, membership, payment_term, project, user,
    vat_rate,
};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
};

/// A table whose rows carry their creation time, and their last update's where clients sync
/// them (`updated_at=gt:…`).
pub trait Stamped: EntityTrait {
    const CREATED_AT: Self::Column;
    const UPDATED_AT: Option<Self::Column>;
}

macro_rules! stamped {
    ($($table:ident: $updated_at:expr),+ $(,)?) => {$(
        impl Stamped for $table::Entity {
            const CREATED_AT: Self::Column = $table::Column::CreatedAt;
            const UPDATED_AT: Option<Self::Column> = $updated_at;
        }
    )+};
}

stamped!(
    company: None,
    user: None,
    membership: None,
    project: Some(project::Column::UpdatedAt),
    budget: Some(budget::Column::UpdatedAt),
    budget_area: Some(budget_area::Column::UpdatedAt),
    vat_rate: Some(vat_rate::Column::UpdatedAt),
    payment_term: Some(payment_term::Column::UpdatedAt),
    invoice_contact: Some(invoice_contact::Column::UpdatedAt),
);

/// What writing a record did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// The time to stamp: to the millisecond, as the API shows it.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// Writes one record: a new row when none was `found`, else only the columns that differ
/// (`fill` sets each column it decides with `set_ne`), moving `updated_at` when any did. An
/// unchanged record is not written.
pub async fn write_row<A>(
    db: &impl ConnectionTrait,
    found: Option<<A::Entity as EntityTrait>::Model>,
    now: DateTime<Utc>,
    fill: impl FnOnce(&mut A),
) -> Result<(<A::Entity as EntityTrait>::Model, Outcome), DbErr>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    A::Entity: Stamped,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    let Some(found) = found else {
        let mut row = A::default();
        fill(&mut row);
        for column in [Some(A::Entity::CREATED_AT), A::Entity::UPDATED_AT]
            .into_iter()
            .flatten()
        {
            row.set(column, now.into());
        }
        return Ok((row.insert(db).await?, Outcome::Created));
    };
    let mut row = found.clone().into_active_model();
    fill(&mut row);
    if !row.is_changed() {
        return Ok((found, Outcome::Unchanged));
    }
    if let Some(column) = A::Entity::UPDATED_AT {
        row.set(column, now.into());
    }
    Ok((row.update(db).await?, Outcome::Updated))
}

/// Inserts a new row (`fill` sets its columns), stamped now; returns it.
pub async fn insert_row<A>(
    db: &impl ConnectionTrait,
    fill: impl FnOnce(&mut A),
) -> Result<<A::Entity as EntityTrait>::Model, DbErr>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    A::Entity: Stamped,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    Ok(write_row(db, None, now(), fill).await?.0)
}
