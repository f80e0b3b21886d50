//! Who may do what in a company: membership, and the `<action>` / `<action>_other` rule.

use super::auth::AuthenticatedUser;
use super::error::ApiError;
use crate::domain::company::CompanySlug;
use crate::domain::invoice::InvoiceStatus;
use crate::domain::permission::{Action, Permission, Permissions, Reach};
use crate::store::access;
use entity::project;
use sea_orm::ConnectionTrait;

/// A user acting in a company they are a member of.
pub struct Caller {
    pub user_id: i64,
    pub company_id: i64,
    permissions: Permissions,
}

impl Caller {
    /// The caller's membership in the company; 403 when there is none or the company doesn't
    /// exist (the same answer, so slugs can't be probed).
    pub async fn resolve(
        db: &impl ConnectionTrait,
        user: &AuthenticatedUser,
        company: &CompanySlug,
    ) -> Result<Self, ApiError> {
        let membership = match &user.prefetched {
            Some((slug, membership)) if slug == company.as_str() => membership.clone(),
            _ => access::membership(db, user.user_id, company.as_str()).await?,
        }
        .ok_or_else(|| ApiError::Forbidden("You are not a member of this company.".into()))?;
        Ok(Caller {
            user_id: user.user_id,
            company_id: membership.company_id,
            permissions: Permissions::from_names(&membership.permissions),
        })
    }

    /// How far the caller may do `action`; 403 naming both permissions when nowhere, before
    /// anything about a project is looked up.
    pub fn reach(&self, action: Action) -> Result<Reach, ApiError> {
        match Reach::of(&self.permissions, action) {
            Reach::Nowhere => Err(ApiError::Forbidden(format!(
                "Missing permission: {} or {}.",
                action.own(),
                action.other()
            ))),
            reach => Ok(reach),
        }
    }

    pub fn is_pm_or_account(&self, project: &project::Model) -> bool {
        self.user_id == project.pm_user_id || self.user_id == project.account_user_id
    }

    /// 403 naming `<action>_other` when the reach doesn't cover this project.
    pub fn require_on(
        &self,
        reach: Reach,
        action: Action,
        project: &project::Model,
    ) -> Result<(), ApiError> {
        if reach.covers(self.is_pm_or_account(project)) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "Missing permission: {} (you are neither the PM nor the Account of this project).",
                action.other()
            )))
        }
    }

    /// 403 naming `invoices.edit_sent` when the invoice is no longer a draft and the caller
    /// lacks it.
    pub fn require_edit_sent(&self, status: InvoiceStatus) -> Result<(), ApiError> {
        self.require_permission(Permission::InvoicesEditSent, status != InvoiceStatus::Draft)
    }

    /// 403 naming `permission` when `needed` and the caller lacks it.
    pub fn require_permission(&self, permission: Permission, needed: bool) -> Result<(), ApiError> {
        if needed && !self.permissions.has(permission) {
            Err(ApiError::Forbidden(format!(
                "Missing permission: {permission}."
            )))
        } else {
            Ok(())
        }
    }
}
