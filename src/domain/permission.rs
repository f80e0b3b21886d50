//! Permission names carried by a membership.

use std::fmt;
use std::str::FromStr;

/// A permission of the original API, named `<module>.<action>` (for projects where the user is
/// PM or Account) or `<module>.<action>_other` (for every other project).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    InvoicesCreate,
    InvoicesCreateOther,
    InvoicesView,
    InvoicesViewOther,
    InvoicesEdit,
    InvoicesEditOther,
    InvoicesEditSent,
    InvoicesDelete,
    InvoicesDeleteOther,
    BudgetView,
    BudgetViewOther,
}

impl Permission {
    pub const ALL: [Permission; 11] = [
        Permission::InvoicesCreate,
        Permission::InvoicesCreateOther,
        Permission::InvoicesView,
        Permission::InvoicesViewOther,
        Permission::InvoicesEdit,
        Permission::InvoicesEditOther,
        Permission::InvoicesEditSent,
        Permission::InvoicesDelete,
        Permission::InvoicesDeleteOther,
        Permission::BudgetView,
        Permission::BudgetViewOther,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::InvoicesCreate => "invoices.create",
            Permission::InvoicesCreateOther => "invoices.create_other",
            Permission::InvoicesView => "invoices.view",
            Permission::InvoicesViewOther => "invoices.view_other",
            Permission::InvoicesEdit => "invoices.edit",
            Permission::InvoicesEditOther => "invoices.edit_other",
            Permission::InvoicesEditSent => "invoices.edit_sent",
            Permission::InvoicesDelete => "invoices.delete",
            Permission::InvoicesDeleteOther => "invoices.delete_other",
            Permission::BudgetView => "budget.view",
            Permission::BudgetViewOther => "budget.view_other",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Permission {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Permission::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<_> = Permission::ALL.iter().map(|p| p.as_str()).collect();
                format!("unknown permission {s:?} (known: {})", known.join(", "))
            })
    }
}

/// The permissions a membership grants.
#[derive(Clone, Debug, Default)]
pub struct Permissions(Vec<Permission>);

impl Permissions {
    /// Builds the set from stored names; names this version doesn't know grant nothing.
    pub fn from_names<I: IntoIterator<Item = S>, S: AsRef<str>>(names: I) -> Self {
        Permissions(
            names
                .into_iter()
                .filter_map(|n| n.as_ref().parse().ok())
                .collect(),
        )
    }

    pub fn has(&self, permission: Permission) -> bool {
        self.0.contains(&permission)
    }
}

/// What a user does to invoices, or reading budgets; each action has a permission for the
/// projects where the user is PM or Account (`invoices.<action>`, `budget.view`) and one for
/// every other project (`_other`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Create,
    View,
    Edit,
    Delete,
    /// Reading budgets and their budget areas.
    ViewBudgets,
}

impl Action {
    /// The permission for projects where the user is PM or Account.
    pub fn own(self) -> Permission {
        match self {
            Action::Create => Permission::InvoicesCreate,
            Action::View => Permission::InvoicesView,
            Action::Edit => Permission::InvoicesEdit,
            Action::Delete => Permission::InvoicesDelete,
            Action::ViewBudgets => Permission::BudgetView,
        }
    }

    /// The permission for every project of the company.
    pub fn other(self) -> Permission {
        match self {
            Action::Create => Permission::InvoicesCreateOther,
            Action::View => Permission::InvoicesViewOther,
            Action::Edit => Permission::InvoicesEditOther,
            Action::Delete => Permission::InvoicesDeleteOther,
            Action::ViewBudgets => Permission::BudgetViewOther,
        }
    }
}

/// How far a user's permissions for one action reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Neither permission of the action.
    Nowhere,
    /// Only the `<action>` permission: projects where the user is PM or Account.
    OwnProjects,
    /// The `<action>_other` permission: every project of the company.
    AnyProject,
}

impl Reach {
    pub fn of(permissions: &Permissions, action: Action) -> Self {
        if permissions.has(action.other()) {
            Reach::AnyProject
        } else if permissions.has(action.own()) {
            Reach::OwnProjects
        } else {
            Reach::Nowhere
        }
    }

    /// Whether the reach covers a project; `is_pm_or_account` says the user's role on it.
    pub fn covers(self, is_pm_or_account: bool) -> bool {
        match self {
            Reach::Nowhere => false,
            Reach::OwnProjects => is_pm_or_account,
            Reach::AnyProject => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Permission::ALL {
            assert_eq!(p.as_str().parse::<Permission>(), Ok(p));
        }
        assert!("invoices.fly".parse::<Permission>().is_err());
    }

    #[test]
    fn reach_follows_the_role() {
        let perms = |names: &[&str]| Permissions::from_names(names);
        let own = Reach::of(&perms(&["invoices.create"]), Action::Create);
        let other = Reach::of(&perms(&["invoices.create_other"]), Action::Create);
        let none = Reach::of(&perms(&["invoices.view"]), Action::Create);
        assert!(own.covers(true) && !own.covers(false));
        assert!(other.covers(true) && other.covers(false));
        assert_eq!(none, Reach::Nowhere);
        assert_eq!(
            Reach::of(&perms(&["invoices.edit_other"]), Action::Edit),
            Reach::AnyProject
        );
        assert_eq!(
            Reach::of(&perms(&["invoices.delete"]), Action::Delete),
            Reach::OwnProjects
        );
    }
}
