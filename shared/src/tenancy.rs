//! Tenant identity and the tenant scope (ISO-1, ISO-2, ISO-3, ISO-6).
//!
//! A [`TenantScope`] is the only way to address tenant data in the store. It
//! cannot be built from a raw string taken from a request: it comes from an
//! authenticated [`Principal`], from a slug resolved through the store's global
//! lookup, or from a tenant being created right now.

use std::fmt;
use std::str::FromStr;

use crate::crypto::random_bytes;

/// Length in characters of every tenant id. Fixed so that no id is a prefix of
/// another, which keeps IAM `dynamodb:LeadingKeys` conditions exact (ISO-6).
pub const TENANT_ID_LEN: usize = 26;

const ID_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Defines a random, fixed-length identifier type: same alphabet and length for
/// every kind of id, so parsing and key building treat them alike.
macro_rules! random_id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
        pub struct $name(String);

        impl $name {
            /// Draws a fresh id from the OS CSPRNG.
            pub fn generate() -> Self {
                Self(random_id())
            }

            /// The id as stored in keys and attributes.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

random_id_type!(
    /// A tenant's persistent identifier: 130 random bits as 26 lowercase base32
    /// characters. Code outside this crate can generate one but never parse one:
    /// a tenant id only ever comes from the store or from a principal, so no
    /// request text can become a tenant id, let alone a scope (ISO-2, ISO-3).
    TenantId
);
random_id_type!(
    /// A user's identifier within a tenant, same shape as a tenant id.
    UserId
);
random_id_type!(
    /// The public id of an item a user may see and name (a session, an API key,
    /// a pending login); never the secret that authenticates it.
    ItemId
);

/// Ids that name something inside a tenant may be parsed from paths: parsing
/// alone never grants access, only a [`TenantScope`] does.
macro_rules! parsable_id {
    ($name:ident) => {
        impl FromStr for $name {
            type Err = InvalidId;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                if is_valid_id(s) {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(InvalidId)
                }
            }
        }
    };
}
parsable_id!(UserId);
parsable_id!(ItemId);

impl ItemId {
    /// An id that sorts by when it was made (milliseconds first, then random),
    /// so that work queued within one second is done in the order it was
    /// queued (a reset link before the notice that follows it).
    pub fn time_ordered() -> Self {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        let mut id: String = (0..10)
            .rev()
            .map(|i| char::from(ID_ALPHABET[((millis >> (i * 5)) & 0x1f) as usize]))
            .collect();
        id.push_str(&random_id()[10..]);
        Self(id)
    }

    /// The id named by a secret 256-bit digest (hex), so that a repeated request
    /// (the same idempotency key) names the same item and a conditional create
    /// lets only one of them make it. `None` for anything but 64 hex digits.
    pub fn from_digest_hex(digest: &str) -> Option<Self> {
        if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let bits = u128::from_str_radix(digest.get(..32)?, 16).ok()?;
        let tail = u8::from_str_radix(digest.get(32..34)?, 16).ok()?;
        Some(Self(id_from_bits(bits, tail)))
    }
}

impl TenantId {
    /// Reads a tenant id back from the store; crate-private so that only the
    /// store (and the principal it authenticates) can name an existing tenant.
    pub(crate) fn from_stored(s: &str) -> Result<Self, InvalidId> {
        if is_valid_id(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidId)
        }
    }

    /// The pseudo-tenant that owns the platform's own keys (its lookup key for
    /// values that belong to no tenant yet). All zeros: never generated for a
    /// real tenant in practice (130 random bits), and never written as a
    /// tenant's key prefix.
    pub(crate) fn platform() -> Self {
        Self("0".repeat(TENANT_ID_LEN))
    }
}

/// Encodes 130 random bits (125 from sixteen bytes, 5 from a seventeenth) as 26 base32 characters.
fn random_id() -> String {
    id_from_bits(u128::from_be_bytes(random_bytes()), random_bytes::<1>()[0])
}

fn id_from_bits(mut bits: u128, tail: u8) -> String {
    let mut out = String::with_capacity(TENANT_ID_LEN);
    out.push(char::from(ID_ALPHABET[usize::from(tail & 0x1f)]));
    for _ in 1..TENANT_ID_LEN {
        out.push(char::from(ID_ALPHABET[(bits & 0x1f) as usize]));
        bits >>= 5;
    }
    out
}

/// Why a string is not an id.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a valid identifier")]
pub struct InvalidId;

fn is_valid_id(s: &str) -> bool {
    s.len() == TENANT_ID_LEN && s.bytes().all(|b| ID_ALPHABET.contains(&b))
}

/// A user's role within its tenant (ACC-1).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Owns the tenant; can do everything including deleting it.
    Owner,
    /// Manages users and settings.
    Admin,
    /// Works with bookings.
    Staff,
}

impl FromStr for Role {
    type Err = InvalidId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "owner" => Ok(Role::Owner),
            "admin" => Ok(Role::Admin),
            "staff" => Ok(Role::Staff),
            _ => Err(InvalidId),
        }
    }
}

impl Role {
    /// The role's stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Staff => "staff",
        }
    }
}

/// An authenticated actor. Its tenant is fixed at authentication and has no
/// setter: a principal cannot change or detach its tenant (ISO-3).
#[derive(Clone, Debug)]
pub struct Principal {
    tenant_id: TenantId,
    user_id: UserId,
    role: Role,
}

impl Principal {
    /// Built only by the authentication layer after verifying a credential;
    /// crate-private so that no handler can make a principal of its own.
    pub(crate) fn authenticated(tenant_id: TenantId, user_id: UserId, role: Role) -> Self {
        Self {
            tenant_id,
            user_id,
            role,
        }
    }

    /// The principal's tenant.
    pub fn tenant_id(&self) -> &TenantId {
        &self.tenant_id
    }

    /// The principal's user.
    pub fn user_id(&self) -> &UserId {
        &self.user_id
    }

    /// The principal's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The scope in which this principal may touch data.
    pub fn scope(&self) -> TenantScope {
        TenantScope(self.tenant_id.clone())
    }
}

/// Proof that code may read and write one tenant's data. Every tenant-data
/// operation in [`crate::store`] takes one; keys are derived from it, never
/// written by hand (ISO-2).
///
/// Outside this crate the rule is a type rule, not a naming rule: a scope
/// comes from an authenticated [`Principal`], from the store's named lookups,
/// or for a tenant created now; ids within a tenant parse from paths.
///
/// ```
/// use bookwarden_shared::tenancy::{TenantScope, UserId};
/// let _fresh = TenantScope::for_new_tenant();
/// let _user: UserId = "0123456789abcdefghjkmnpqrs".parse().unwrap();
/// ```
///
/// Request text cannot become a tenant id:
///
/// ```compile_fail
/// use bookwarden_shared::tenancy::TenantId;
/// let _id: TenantId = "0123456789abcdefghjkmnpqrs".parse().unwrap();
/// ```
///
/// A handler cannot make itself a principal (and so a scope):
///
/// ```compile_fail
/// use bookwarden_shared::tenancy::{Principal, Role, TenantId, UserId};
/// let _p = Principal::authenticated(TenantId::generate(), UserId::generate(), Role::Owner);
/// ```
///
/// Nor a scope for an existing tenant's id:
///
/// ```compile_fail
/// use bookwarden_shared::tenancy::{TenantId, TenantScope};
/// let _s = TenantScope::for_new_tenant(&TenantId::generate());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantScope(TenantId);

impl TenantScope {
    /// The scope of a tenant being created now: the id is drawn here, so the
    /// scope can never reach an existing tenant's data.
    pub fn for_new_tenant() -> Self {
        Self(TenantId::generate())
    }

    /// The scope of a tenant resolved through one of the store's named global
    /// lookups. Only the store can produce a [`ResolvedTenant`].
    pub fn from_resolved(resolved: ResolvedTenant) -> Self {
        Self(resolved.0)
    }

    /// The tenant this scope grants access to.
    pub fn tenant_id(&self) -> &TenantId {
        &self.0
    }
}

/// A tenant id that came back from a named global lookup in the store (a slug
/// or a token hash), not from user input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedTenant(TenantId);

impl ResolvedTenant {
    /// Only the store calls this, after reading the pointer item.
    pub(crate) fn from_store(tenant_id: TenantId) -> Self {
        Self(tenant_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_fixed_length_and_distinct() {
        let ids: Vec<TenantId> = (0..1000).map(|_| TenantId::generate()).collect();
        assert!(ids.iter().all(|id| id.as_str().len() == TENANT_ID_LEN));
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
        // Fixed length means no id can be a proper prefix of another (ISO-6).
        assert!(ids.iter().all(|a| ids
            .iter()
            .all(|b| a == b || !b.as_str().starts_with(a.as_str()))));
    }

    #[test]
    fn parsing_refuses_anything_but_a_well_formed_id() {
        let id = TenantId::generate();
        assert_eq!(TenantId::from_stored(id.as_str()), Ok(id.clone()));
        for bad in [
            "",
            "short",
            &format!("{}x", id),
            &id.as_str().to_uppercase(),
            "0123456789abcdefghjkmnpqr#",
        ] {
            assert_eq!(TenantId::from_stored(bad), Err(InvalidId), "{bad}");
        }
    }
}

/// A tenant's public handle in booking URLs: 3–40 lowercase letters, digits and
/// single inner hyphens, not a reserved word.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Slug(String);

/// Words that would collide with routes, brands or support channels.
const RESERVED_SLUGS: &[&str] = &[
    "about",
    "account",
    "accounts",
    "admin",
    "api",
    "app",
    "assets",
    "auth",
    "billing",
    "blog",
    "book",
    "booking",
    "bookings",
    "bookwarden",
    "cdn",
    "contact",
    "dashboard",
    "dev",
    "docs",
    "help",
    "home",
    "login",
    "logout",
    "mail",
    "new",
    "null",
    "owner",
    "password",
    "privacy",
    "public",
    "root",
    "security",
    "settings",
    "signup",
    "static",
    "status",
    "staff",
    "support",
    "system",
    "team",
    "terms",
    "test",
    "undefined",
    "user",
    "users",
    "v1",
    "v2",
    "verify",
    "www",
];

/// Why a string is not a usable slug.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvalidSlug {
    /// Wrong length or characters.
    #[error("must be 3 to 40 lowercase letters, digits or single hyphens, starting and ending with a letter or digit")]
    Format,
    /// A reserved word.
    #[error("is reserved")]
    Reserved,
}

impl FromStr for Slug {
    type Err = InvalidSlug;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let charset_ok = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let shape_ok = (3..=40).contains(&s.len())
            && charset_ok
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if !shape_ok {
            return Err(InvalidSlug::Format);
        }
        if RESERVED_SLUGS.contains(&s) {
            return Err(InvalidSlug::Reserved);
        }
        Ok(Self(s.to_owned()))
    }
}

impl Slug {
    /// The slug as shown in URLs.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod slug_tests {
    use super::*;

    #[test]
    fn time_ordered_ids_are_valid_and_sort_by_creation() {
        let ids: Vec<ItemId> = (0..50)
            .map(|_| {
                std::thread::sleep(std::time::Duration::from_millis(1));
                ItemId::time_ordered()
            })
            .collect();
        for id in &ids {
            assert!(id.as_str().parse::<ItemId>().is_ok(), "{id}");
        }
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    }

    #[test]
    fn slugs_follow_the_published_rules() {
        for good in ["abc", "salon-42", "a1b", &"x".repeat(40)] {
            assert!(good.parse::<Slug>().is_ok(), "{good}");
        }
        for bad in [
            "ab",
            &"x".repeat(41),
            "Salon",
            "-abc",
            "abc-",
            "a--b",
            "a_b",
            "café",
            "a b",
            "",
        ] {
            assert_eq!(bad.parse::<Slug>(), Err(InvalidSlug::Format), "{bad}");
        }
        for reserved in ["admin", "api", "www", "bookwarden"] {
            assert_eq!(
                reserved.parse::<Slug>(),
                Err(InvalidSlug::Reserved),
                "{reserved}"
            );
        }
    }
}
