//! The changes the operator makes to existing records: renames, archiving, enabling, a
//! project's roles and job order, a member's permissions, removing a member. Each checks the
//! contract's rules first (a PM or Account must be a member of the company) and writes in one
//! transaction; a change of reference data moves its `updated_at`, so clients syncing with
//! `updated_at=gt:…` see it.

use super::{AdminError, company_by_slug, insert_permissions, membership_of, name, user_by_email};
use crate::domain::permission::Permission;
use entity::{
    budget_area, company, membership, membership_permission, payment_term, project, user, vat_rate,
};
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

/// Sets `changes` on the record `id` of `E` (its `id` column) and moves its `updated_at`; a
/// missing record is named as `what`.
async fn set_columns<E: EntityTrait>(
    db: &impl ConnectionTrait,
    [id_column, updated_at]: [E::Column; 2],
    id: i64,
    what: &str,
    changes: Vec<(E::Column, SimpleExpr)>,
) -> Result<(), AdminError> {
    let now = super::write::now();
    let update = changes
        .into_iter()
        .fold(E::update_many(), |update, (column, value)| {
            update.col_expr(column, value)
        })
        .col_expr(updated_at, Expr::value(now))
        .filter(id_column.eq(id));
    if update.exec(db).await?.rows_affected == 0 {
        return Err(AdminError::NotFound(format!("no {what} with id {id}")));
    }
    Ok(())
}

/// Renames the row `id` of `E` (its `id` and `name` columns); companies and users have no
/// `updated_at` to move.
async fn set_name<E: EntityTrait>(
    db: &impl ConnectionTrait,
    [id_column, name_column]: [E::Column; 2],
    id: i64,
    new_name: &str,
) -> Result<(), AdminError> {
    E::update_many()
        .col_expr(name_column, Expr::value(name(new_name, "name")?))
        .filter(id_column.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn rename_company(
    db: &DatabaseConnection,
    slug: &str,
    new_name: &str,
) -> Result<(), AdminError> {
    let found = company_by_slug(db, slug).await?;
    let columns = [company::Column::Id, company::Column::Name];
    set_name::<company::Entity>(db, columns, found.id, new_name).await
}

pub async fn rename_user(
    db: &DatabaseConnection,
    email: &str,
    new_name: &str,
) -> Result<(), AdminError> {
    let found = user_by_email(db, email).await?;
    set_name::<user::Entity>(
        db,
        [user::Column::Id, user::Column::Name],
        found.id,
        new_name,
    )
    .await
}

/// A member's membership in a company: found, or a clear refusal.
async fn membership(
    db: &impl ConnectionTrait,
    company_slug: &str,
    user_email: &str,
) -> Result<(company::Model, user::Model, membership::Model), AdminError> {
    let company = company_by_slug(db, company_slug).await?;
    let user = user_by_email(db, user_email).await?;
    let member = membership_of(db, company.id, user.id)
        .await?
        .ok_or_else(|| {
            AdminError::NotFound(format!(
                "{} is not a member of {}",
                user.email, company.slug
            ))
        })?;
    Ok((company, user, member))
}

/// Grants permissions to a member (those already held are kept); returns how many were new.
pub async fn grant(
    db: &DatabaseConnection,
    company_slug: &str,
    user_email: &str,
    permissions: &[Permission],
) -> Result<usize, AdminError> {
    let txn = super::super::begin_write(db).await?;
    let (_, _, member) = membership(&txn, company_slug, user_email).await?;
    let held: Vec<String> = membership_permission::Entity::find()
        .filter(membership_permission::Column::MembershipId.eq(member.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| p.permission)
        .collect();
    let mut added: Vec<&str> = permissions
        .iter()
        .map(|p| p.as_str())
        .filter(|p| !held.iter().any(|h| h == p))
        .collect();
    added.sort_unstable();
    added.dedup();
    insert_permissions(&txn, member.id, &added).await?;
    txn.commit().await?;
    Ok(added.len())
}

/// Revokes permissions of a member (those not held are ignored); returns how many were held.
pub async fn revoke(
    db: &DatabaseConnection,
    company_slug: &str,
    user_email: &str,
    permissions: &[Permission],
) -> Result<u64, AdminError> {
    let txn = super::super::begin_write(db).await?;
    let (_, _, member) = membership(&txn, company_slug, user_email).await?;
    let names: Vec<&str> = permissions.iter().map(|p| p.as_str()).collect();
    let removed = membership_permission::Entity::delete_many()
        .filter(membership_permission::Column::MembershipId.eq(member.id))
        .filter(membership_permission::Column::Permission.is_in(names))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(removed.rows_affected)
}

/// Removes a member from a company, with their permissions. Refused while they are the PM or
/// Account of one of its projects: a project's roles must be members.
pub async fn remove_member(
    db: &DatabaseConnection,
    company_slug: &str,
    user_email: &str,
) -> Result<(), AdminError> {
    let txn = super::super::begin_write(db).await?;
    let (company, user, member) = membership(&txn, company_slug, user_email).await?;
    let roles = project::Entity::find()
        .filter(project::Column::CompanyId.eq(company.id))
        .filter(
            project::Column::PmUserId
                .eq(user.id)
                .or(project::Column::AccountUserId.eq(user.id)),
        )
        .one(&txn)
        .await?;
    if let Some(project) = roles {
        return Err(AdminError::Invalid(format!(
            "{} is the PM or Account of project {} ({:?}) of {}: give the role to another member first",
            user.email, project.id, project.name, company.slug
        )));
    }
    membership_permission::Entity::delete_many()
        .filter(membership_permission::Column::MembershipId.eq(member.id))
        .exec(&txn)
        .await?;
    membership::Entity::delete_by_id(member.id)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// The changes `project set` makes; `None` keeps a field.
#[derive(Debug)]
pub struct ProjectChanges {
    pub pm_email: Option<String>,
    pub account_email: Option<String>,
    /// `Some(None)` removes the job order.
    pub job_order: Option<Option<String>>,
}

pub async fn change_project(
    db: &DatabaseConnection,
    id: i64,
    changes: ProjectChanges,
) -> Result<(), AdminError> {
    let txn = super::super::begin_write(db).await?;
    let found = project::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("no project with id {id}")))?;
    let mut sets: Vec<(project::Column, SimpleExpr)> = Vec::new();
    for (role, column, email) in [
        ("PM", project::Column::PmUserId, &changes.pm_email),
        (
            "Account",
            project::Column::AccountUserId,
            &changes.account_email,
        ),
    ] {
        let Some(email) = email else { continue };
        let user = user_by_email(&txn, email).await?;
        if membership_of(&txn, found.company_id, user.id)
            .await?
            .is_none()
        {
            let company = company::Entity::find_by_id(found.company_id)
                .one(&txn)
                .await?
                .map_or_else(|| found.company_id.to_string(), |c| c.slug);
            return Err(AdminError::Invalid(format!(
                "{role} {} is not a member of {company}",
                user.email
            )));
        }
        sets.push((column, Expr::value(user.id)));
    }
    if let Some(job_order) = &changes.job_order {
        let job_order = job_order
            .as_deref()
            .map(|j| name(j, "job order"))
            .transpose()?;
        sets.push((project::Column::JobOrder, Expr::value(job_order)));
    }
    if sets.is_empty() {
        return Err(AdminError::Invalid("nothing to change".into()));
    }
    set_columns::<project::Entity>(
        &txn,
        [project::Column::Id, project::Column::UpdatedAt],
        id,
        "project",
        sets,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The reference data the operator renames and archives (or, for a budget area, disables).
#[derive(Clone, Copy, Debug)]
pub enum Reference {
    Project,
    BudgetArea,
    VatRate,
    PaymentTerm,
}

impl Reference {
    /// What a message calls it.
    pub fn what(self) -> &'static str {
        match self {
            Reference::Project => "project",
            Reference::BudgetArea => "budget area",
            Reference::VatRate => "VAT rate",
            Reference::PaymentTerm => "payment term",
        }
    }
}

/// The columns the operator changes on a kind of reference data.
trait Changeable: EntityTrait {
    const ID: Self::Column;
    const UPDATED_AT: Self::Column;
    const NAME: Self::Column;
    /// The column that says whether a record is in use, and its value when it is.
    const IN_USE: (Self::Column, bool);
}

macro_rules! changeable {
    ($($table:ident: $in_use:ident = $value:literal),+ $(,)?) => {$(
        impl Changeable for $table::Entity {
            const ID: Self::Column = $table::Column::Id;
            const UPDATED_AT: Self::Column = $table::Column::UpdatedAt;
            const NAME: Self::Column = $table::Column::Name;
            const IN_USE: (Self::Column, bool) = ($table::Column::$in_use, $value);
        }
    )+};
}

changeable!(
    project: Archived = false,
    budget_area: Enabled = true,
    vat_rate: Archived = false,
    payment_term: Archived = false,
);

/// One change of a record of reference data.
enum Change {
    Name(String),
    InUse(bool),
}

/// Makes `change` to the record `id` of `E`, moving its `updated_at`.
async fn change<E: Changeable>(
    db: &DatabaseConnection,
    id: i64,
    what: &str,
    change: Change,
) -> Result<(), AdminError> {
    let (column, value) = match change {
        Change::Name(name) => (E::NAME, Expr::value(name)),
        Change::InUse(in_use) => {
            let (column, when_in_use) = E::IN_USE;
            (column, Expr::value(in_use == when_in_use))
        }
    };
    set_columns::<E>(db, [E::ID, E::UPDATED_AT], id, what, vec![(column, value)]).await
}

impl Reference {
    /// Makes `what` to the record `id` of this kind.
    async fn change(
        self,
        db: &DatabaseConnection,
        id: i64,
        what: Change,
    ) -> Result<(), AdminError> {
        let name = self.what();
        match self {
            Reference::Project => change::<project::Entity>(db, id, name, what).await,
            Reference::BudgetArea => change::<budget_area::Entity>(db, id, name, what).await,
            Reference::VatRate => change::<vat_rate::Entity>(db, id, name, what).await,
            Reference::PaymentTerm => change::<payment_term::Entity>(db, id, name, what).await,
        }
    }
}

/// Renames a record of reference data.
pub async fn rename(
    db: &DatabaseConnection,
    kind: Reference,
    id: i64,
    new_name: &str,
) -> Result<(), AdminError> {
    let new_name = name(new_name, "name")?;
    kind.change(db, id, Change::Name(new_name)).await
}

/// Archives a record of reference data (`in_use` false) or brings it back (`true`): a
/// project, VAT rate or payment term is archived; a budget area is disabled.
pub async fn set_in_use(
    db: &DatabaseConnection,
    kind: Reference,
    id: i64,
    in_use: bool,
) -> Result<(), AdminError> {
    kind.change(db, id, Change::InUse(in_use)).await
}
