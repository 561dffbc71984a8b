//! The permission matrix (ACC-1): the one place that says which role may do
//! what, and which API-key scope grants it.

use crate::tenancy::Role;

/// Everything a route can require.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Read one's own profile and sessions.
    ViewSelf,
    /// Change one's own name, password, MFA and sessions.
    ManageSelf,
    /// List the tenant's users.
    ListUsers,
    /// Invite, change roles of, deactivate and delete users.
    ManageUsers,
    /// Create, list and revoke API keys.
    ManageApiKeys,
    /// Read the audit log.
    ReadAudit,
    /// Read and change the tenant's security settings.
    ManageSettings,
    /// Read services, hours and the booking form.
    ViewCatalog,
    /// Change services, hours and the booking form.
    ManageCatalog,
    /// Read bookings (staff: their own).
    ViewBookings,
    /// Cancel and move bookings (staff: their own).
    ManageBookings,
}

/// What an API key may be used for (AUTH-5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Scope {
    /// Read-only access.
    #[serde(rename = "read")]
    Read,
    /// Create and change bookings.
    #[serde(rename = "bookings:write")]
    BookingsWrite,
    /// Administrative changes (users).
    #[serde(rename = "admin")]
    Admin,
}

impl Scope {
    /// Parses a scope name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "read" => Some(Scope::Read),
            "bookings:write" => Some(Scope::BookingsWrite),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }

    /// The scope's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::BookingsWrite => "bookings:write",
            Scope::Admin => "admin",
        }
    }
}

/// Whether `role` holds `permission`.
pub fn role_allows(role: Role, permission: Permission) -> bool {
    use Permission::*;
    match permission {
        ViewSelf | ManageSelf | ViewCatalog | ViewBookings | ManageBookings => true,
        ManageCatalog => matches!(role, Role::Owner | Role::Admin),
        ListUsers | ManageUsers | ManageApiKeys | ReadAudit => {
            matches!(role, Role::Owner | Role::Admin)
        }
        ManageSettings => role == Role::Owner,
    }
}

/// The scope an API key needs for `permission`; `None` means keys can never do it
/// (a key cannot mint keys, change passwords or security settings).
pub fn scope_for(permission: Permission) -> Option<Scope> {
    use Permission::*;
    match permission {
        ViewSelf | ListUsers | ReadAudit | ViewCatalog | ViewBookings => Some(Scope::Read),
        ManageUsers | ManageCatalog => Some(Scope::Admin),
        ManageBookings => Some(Scope::BookingsWrite),
        ManageSelf | ManageApiKeys | ManageSettings => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_manage_only_themselves_and_only_owners_change_settings() {
        for p in [
            Permission::ListUsers,
            Permission::ManageUsers,
            Permission::ManageApiKeys,
            Permission::ReadAudit,
        ] {
            assert!(!role_allows(Role::Staff, p));
            assert!(role_allows(Role::Admin, p));
        }
        assert!(role_allows(Role::Staff, Permission::ManageSelf));
        assert!(!role_allows(Role::Admin, Permission::ManageSettings));
        assert!(role_allows(Role::Owner, Permission::ManageSettings));
        assert_eq!(scope_for(Permission::ManageApiKeys), None);
    }
}
