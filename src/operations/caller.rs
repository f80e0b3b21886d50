//! Who an operation acts for: a user in a company they are a member of, with their
//! permissions there, and the permission rules that depend on nothing but that.

use super::Refusal;
use crate::domain::invoice::InvoiceStatus;
use crate::domain::permission::{Action, Permission, Permissions, Reach};
use entity::project;

/// A user acting in a company they are a member of, with their permissions there.
pub struct Caller {
    pub user_id: i64,
    pub company_id: i64,
    permissions: Permissions,
}

impl Caller {
    /// The caller a checked identity names: a member of the company, with these permissions.
    pub fn new(user_id: i64, company_id: i64, permissions: Permissions) -> Self {
        Caller {
            user_id,
            company_id,
            permissions,
        }
    }

    /// How far the caller may do `action`; 403 naming both permissions when nowhere, before
    /// anything about a project is looked up.
    pub fn reach(&self, action: Action) -> Result<Reach, Refusal> {
        match Reach::of(&self.permissions, action) {
            Reach::Nowhere => Err(Refusal::missing_any_permission(action)),
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
    ) -> Result<(), Refusal> {
        self.require_on_project_led(reach, action, self.is_pm_or_account(project))
    }

    /// [`Caller::require_on`] a project the caller leads (is PM or Account of) or not.
    pub fn require_on_project_led(
        &self,
        reach: Reach,
        action: Action,
        leads: bool,
    ) -> Result<(), Refusal> {
        if reach.covers(leads) {
            Ok(())
        } else {
            Err(Refusal::missing_permission_on_project(action))
        }
    }

    /// 403 naming `invoices.edit_sent` when the invoice is no longer a draft and the caller
    /// lacks it.
    pub fn require_edit_sent(&self, status: InvoiceStatus) -> Result<(), Refusal> {
        self.require_permission(Permission::InvoicesEditSent, status != InvoiceStatus::Draft)
    }

    /// 403 naming `permission` when `needed` and the caller lacks it.
    pub fn require_permission(&self, permission: Permission, needed: bool) -> Result<(), Refusal> {
        if needed && !self.permissions.has(permission) {
            Err(Refusal::Forbidden(format!(
                "Missing permission: {permission}."
            )))
        } else {
            Ok(())
        }
    }
}
