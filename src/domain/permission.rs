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
}

impl Permission {
    pub const ALL: [Permission; 9] = [
        Permission::InvoicesCreate,
        Permission::InvoicesCreateOther,
        Permission::InvoicesView,
        Permission::InvoicesViewOther,
        Permission::InvoicesEdit,
        Permission::InvoicesEditOther,
        Permission::InvoicesEditSent,
        Permission::InvoicesDelete,
        Permission::InvoicesDeleteOther,
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

/// Who may create an invoice on a project, by the user's role on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreateRight {
    /// Holds neither `invoices.create` nor `invoices.create_other`.
    None,
    /// Holds `invoices.create` only: enough where the user is the project's PM or Account.
    OwnProjects,
    /// Holds `invoices.create_other`: enough on every project of the company.
    AnyProject,
}

impl CreateRight {
    pub fn of(permissions: &Permissions) -> Self {
        if permissions.has(Permission::InvoicesCreateOther) {
            CreateRight::AnyProject
        } else if permissions.has(Permission::InvoicesCreate) {
            CreateRight::OwnProjects
        } else {
            CreateRight::None
        }
    }

    /// Whether the right covers a project; `is_pm_or_account` says the user's role on it.
    pub fn covers(self, is_pm_or_account: bool) -> bool {
        match self {
            CreateRight::None => false,
            CreateRight::OwnProjects => is_pm_or_account,
            CreateRight::AnyProject => true,
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
    fn create_right_follows_the_role() {
        let own = CreateRight::of(&Permissions::from_names(["invoices.create"]));
        let other = CreateRight::of(&Permissions::from_names(["invoices.create_other"]));
        let none = CreateRight::of(&Permissions::from_names(["invoices.view"]));
        assert!(own.covers(true) && !own.covers(false));
        assert!(other.covers(true) && other.covers(false));
        assert_eq!(none, CreateRight::None);
    }
}
