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
    /// List one's own sessions (with their addresses and user agents).
    ViewSessions,
    /// List the tenant's users.
    ListUsers,
    /// Invite, change roles of, deactivate and delete users.
    ManageUsers,
    /// Create, list and revoke API keys.
    ManageApiKeys,
    /// Read the audit log.
    ReadAudit,
    /// Verify the audit chain (AUD-2): a person's check of the log's
    /// integrity, so no key scope grants it (there is no audit scope).
    VerifyAudit,
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
    /// Connect, choose, sync and disconnect one's own calendars (CAL-1).
    ManageOwnCalendars,
    /// Close the business and restore it during the restore window (PRIV-3).
    CloseBusiness,
    /// Export the business's data or a customer's (PRIV-1): everything
    /// personal of every customer at once, so owners only, signed in.
    ExportData,
    /// Erase an end customer's personal data from every booking (PRIV-2).
    EraseCustomers,
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
    /// Administrative changes to the catalog (services, hours, booking form).
    /// Never user administration: a key cannot invite, promote, demote,
    /// deactivate or delete anyone.
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
        ViewSelf | ManageSelf | ViewSessions | ViewCatalog | ViewBookings | ManageBookings
        | ManageOwnCalendars => true,
        ManageCatalog => matches!(role, Role::Owner | Role::Admin),
        // A business decision about all of a customer's bookings, not about
        // one's own appointments: not staff.
        EraseCustomers => matches!(role, Role::Owner | Role::Admin),
        ListUsers | ManageUsers | ManageApiKeys | ReadAudit | VerifyAudit => {
            matches!(role, Role::Owner | Role::Admin)
        }
        ManageSettings | CloseBusiness | ExportData => role == Role::Owner,
    }
}

/// The scope an API key needs for `permission`; `None` means keys can never do it.
///
/// The rule: a key may never grant or reach a power that keys are denied. So a
/// key cannot mint keys, change passwords, second factors or security settings,
/// see sessions, or manage users at all (inviting or promoting someone would
/// hand a person's session, with everything keys may not do, to whoever holds
/// the key). User administration needs a person signed in.
pub fn scope_for(permission: Permission) -> Option<Scope> {
    use Permission::*;
    match permission {
        ViewSelf | ListUsers | ReadAudit | ViewCatalog | ViewBookings => Some(Scope::Read),
        ManageCatalog => Some(Scope::Admin),
        ManageBookings => Some(Scope::BookingsWrite),
        // A helpdesk or CRM that receives customers' erasure requests works
        // on bookings, as `bookings:write` keys already do (they may cancel
        // any booking); it grants nothing keys are denied. The key's role
        // must still be owner or admin.
        EraseCustomers => Some(Scope::BookingsWrite),
        // Calendar credentials are a person's: a key can neither hand them
        // over nor take them away.
        ManageSelf | ViewSessions | ManageUsers | ManageApiKeys | ManageSettings
        | ManageOwnCalendars | CloseBusiness | ExportData | VerifyAudit => None,
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
        for never_by_key in [
            Permission::ManageApiKeys,
            Permission::ManageUsers,
            Permission::ManageSettings,
            Permission::ManageSelf,
            Permission::ViewSessions,
        ] {
            assert_eq!(scope_for(never_by_key), None, "{never_by_key:?}");
        }
    }

    #[test]
    fn erasing_customers_is_for_owners_admins_and_booking_write_keys() {
        assert!(role_allows(Role::Owner, Permission::EraseCustomers));
        assert!(role_allows(Role::Admin, Permission::EraseCustomers));
        assert!(!role_allows(Role::Staff, Permission::EraseCustomers));
        assert_eq!(
            scope_for(Permission::EraseCustomers),
            Some(Scope::BookingsWrite)
        );
    }
}
