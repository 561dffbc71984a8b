//! Sessions (SESS-1, SESS-2): a 256-bit token in a `__Host-` cookie, stored only
//! as a hash; idle and absolute lifetimes; ended on the server side.
//!
//! # Storage
//! A session is two items, always written and removed in one transaction:
//! - the session record, under the token's hash (`SESS#<hash>`): tenant, user,
//!   session id, role, restriction, last use, idle lifetime and absolute
//!   expiry. It is the only item a request reads, so one strongly consistent
//!   GetItem authenticates, and it is the item every revocation deletes, so
//!   the next request after a revocation is refused;
//! - the listing entry, in the user's session partition (`T#<tenant>#SESS#<user>`):
//!   what the user sees when listing sessions (creation, last use, client
//!   address, user agent), and the token hash that leads from a session id to
//!   its record when the session is ended by id.
//!
//! The record holds the tenant (ISO-2 lookup); the session acts only inside it
//! (ISO-3). Personal data (address, user agent) stays in the tenant's partition.

use serde::Serialize;

use crate::clock::{now_unix, rfc3339};
use crate::crypto::{SecretToken, TokenHash};
use crate::http::RequestMeta;
use crate::store::{
    Attrs, Collection, Condition, Entity, GlobalKey, Record, Store, StoreError, TenantKey, Write,
};
use crate::tenancy::{ItemId, Role, TenantScope, UserId};

use super::policy::TenantPolicy;

/// The session cookie's name; the `__Host-` prefix pins it to this host, `/`
/// and Secure.
pub const COOKIE_NAME: &str = "__Host-session";
/// `last_seen_at` is refreshed at most this often, to save writes.
const TOUCH_INTERVAL_SECS: i64 = 60;

/// What a session may do before the user completes a required step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Restriction {
    /// The tenant requires MFA for this role and the user has none: enrolment only.
    MfaEnrolment,
    /// The password is older than the tenant allows: changing it only.
    PasswordChange,
    /// The business is closed (PRIV-3): looking at oneself, and for an owner
    /// restoring it (and exporting its data), only.
    BusinessClosed,
}

impl Restriction {
    fn as_str(self) -> &'static str {
        match self {
            Restriction::MfaEnrolment => "mfa_enrolment",
            Restriction::PasswordChange => "password_change",
            Restriction::BusinessClosed => "business_closed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "mfa_enrolment" => Some(Restriction::MfaEnrolment),
            "password_change" => Some(Restriction::PasswordChange),
            "business_closed" => Some(Restriction::BusinessClosed),
            _ => None,
        }
    }
}

/// A session just created: the token goes into the cookie, once.
pub struct NewSession {
    /// The secret for the cookie.
    pub token: SecretToken,
    /// The public id users see when listing sessions.
    pub id: ItemId,
    /// Cookie lifetime in seconds (the absolute lifetime).
    pub max_age: i64,
}

impl NewSession {
    /// The `Set-Cookie` value.
    pub fn cookie(&self) -> String {
        format!(
            "{COOKIE_NAME}={}; Path=/; Max-Age={}; Secure; HttpOnly; SameSite=Lax",
            self.token.expose(),
            self.max_age
        )
    }
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie() -> String {
    format!("{COOKIE_NAME}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax")
}

/// The writes that create a session for a user; add them to the transaction
/// that authenticates (login, MFA step, rotation). That transaction must also
/// mark the issuance on the user item ([`super::credentials::issuing`]), so
/// that a concurrent revocation of the user's sessions cannot miss this one.
pub fn create(
    scope: &TenantScope,
    user: &UserId,
    role: Role,
    restriction: Option<Restriction>,
    policy: &TenantPolicy,
    meta: &RequestMeta,
) -> (NewSession, Vec<Write>) {
    let now = now_unix();
    let token = SecretToken::generate();
    let id = ItemId::generate();
    let idle = policy.session_idle_minutes.clamp(5, 120) * 60;
    let absolute = policy.session_absolute_hours.clamp(1, 24) * 3600;
    let hash = token.hash();
    let mut record = Attrs::new()
        .string("user_id", user.as_str())
        .string("item", id.as_str())
        .string("role", role.as_str())
        .number("last_seen_at", now)
        .number("idle_secs", idle)
        .expires_at(now + absolute);
    if let Some(r) = restriction {
        record = record.string("restriction", r.as_str());
    }
    let writes = vec![
        Write::Put(
            TenantKey::new(scope, Entity::Session(user, id.as_str())),
            Attrs::new()
                .string("user_id", user.as_str())
                .string("token_hash", hash.as_str())
                .number("created_at", now)
                .number("last_seen_at", now)
                .number("idle_secs", idle)
                .string("client_addr", meta.client_addr.clone())
                .string("user_agent", meta.user_agent.clone())
                .expires_at(now + absolute),
            Condition::NotExists,
        ),
        Write::PutPointer(
            GlobalKey::Session(hash),
            scope.tenant_id().clone(),
            record,
            Condition::NotExists,
        ),
    ];
    (
        NewSession {
            token,
            id,
            max_age: absolute,
        },
        writes,
    )
}

/// A live session found for a presented token.
#[derive(Clone, Debug)]
pub struct LiveSession {
    /// The tenant.
    pub scope: TenantScope,
    /// The user.
    pub user_id: UserId,
    /// The role at login (role changes end sessions).
    pub role: Role,
    /// The session's public id.
    pub id: String,
    /// A pending restriction.
    pub restriction: Option<Restriction>,
}

/// Finds the live session for a cookie token with one strongly consistent
/// read of its record: unknown, ended, idle-expired and absolutely expired
/// sessions are all `None`. A session in use has its last use moved forward
/// at most once a minute, by a conditional write that cannot bring an ended
/// session back.
pub async fn find(store: &Store, token: &SecretToken) -> Result<Option<LiveSession>, StoreError> {
    let hash = token.hash();
    let Some((tenant, record)) = store.credential(&GlobalKey::Session(hash.clone())).await? else {
        return Ok(None);
    };
    let scope = TenantScope::from_resolved(tenant);
    let Some(role) = record.optional_string("role") else {
        // A record without a role predates records that carry the session's
        // state: not a session this code issued, so not a live one.
        return Ok(None);
    };
    let role: Role = role.parse().map_err(|_| StoreError::Integrity)?;
    let user_id: UserId = record
        .string("user_id")?
        .parse()
        .map_err(|_| StoreError::Integrity)?;
    let id = record.string("item")?.to_owned();
    let now = now_unix();
    let last_seen = record.number("last_seen_at")?;
    if now >= last_seen + record.number("idle_secs")? {
        return Ok(None);
    }
    if now - last_seen >= TOUCH_INTERVAL_SECS {
        // Both items, each only if it still exists: a session ended meanwhile
        // stays ended and the touch fails, which is not an error here.
        let touch = vec![
            Write::UpdatePointer(
                GlobalKey::Session(hash),
                scope.tenant_id().clone(),
                Attrs::new().number("last_seen_at", now),
                Condition::Exists,
            ),
            Write::Update(
                TenantKey::new(&scope, Entity::Session(&user_id, &id)),
                Attrs::new().number("last_seen_at", now),
                Condition::Exists,
            ),
        ];
        let _ = store.transact(touch).await;
    }
    Ok(Some(LiveSession {
        scope,
        user_id,
        role,
        id,
        restriction: record
            .optional_string("restriction")
            .and_then(Restriction::parse),
    }))
}

/// The writes that end one session, given its listing entry: the entry and
/// the record that authenticates it.
pub fn end_writes(
    scope: &TenantScope,
    user: &UserId,
    session: &Record,
) -> Result<Vec<Write>, StoreError> {
    let id = session.sort_key()?.to_owned();
    let hash = TokenHash::from_stored(session.string("token_hash")?.to_owned());
    Ok(vec![
        Write::Delete(
            TenantKey::new(scope, Entity::Session(user, &id)),
            Condition::None,
        ),
        Write::DeletePointer(GlobalKey::Session(hash), Condition::None),
    ])
}

/// Ends one of a user's sessions by its public id, together with `also` (an
/// audit event) in one transaction; `false` if there was no such session.
pub async fn end(
    store: &Store,
    scope: &TenantScope,
    user: &UserId,
    id: &str,
    also: Vec<Write>,
) -> Result<bool, StoreError> {
    let key = TenantKey::new(scope, Entity::Session(user, id));
    let Some(session) = store.get(scope, &key).await? else {
        return Ok(false);
    };
    let mut writes = end_writes(scope, user, &session)?;
    writes.extend(also);
    store.transact(writes).await?;
    Ok(true)
}

/// Every listing entry of a user's sessions (idle-expired ones included: they
/// are ended with the rest).
pub async fn entries(
    store: &Store,
    scope: &TenantScope,
    user: &UserId,
) -> Result<Vec<Record>, StoreError> {
    store.list_all(scope, Collection::Sessions(user)).await
}

/// A session as its user sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    /// Public id, for ending it.
    pub id: String,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of last use (to the minute).
    pub last_seen_at: String,
    /// Client address at login.
    pub client_addr: String,
    /// User agent at login.
    pub user_agent: String,
    /// Whether this is the session making the request.
    pub current: bool,
}

/// A user's live sessions.
pub async fn list(
    store: &Store,
    scope: &TenantScope,
    user: &UserId,
    current: &str,
) -> Result<Vec<SessionView>, StoreError> {
    let now = now_unix();
    store
        .list_all(scope, Collection::Sessions(user))
        .await?
        .iter()
        .filter(|s| {
            let idle = s.number_or_zero("idle_secs");
            now < s.number_or_zero("last_seen_at") + idle
        })
        .map(|s| {
            let id = s.sort_key()?.to_owned();
            Ok(SessionView {
                current: id == current,
                id,
                created_at: rfc3339(s.number("created_at")?),
                last_seen_at: rfc3339(s.number("last_seen_at")?),
                client_addr: s.string("client_addr")?.to_owned(),
                user_agent: s.string("user_agent")?.to_owned(),
            })
        })
        .collect()
}

/// The session token in a `Cookie` header, if any.
pub fn token_from_cookie_header(header: &str) -> Option<SecretToken> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .and_then(|(_, value)| SecretToken::parse(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_host_only_secure_http_only_and_same_site() {
        let token = SecretToken::generate();
        let session = NewSession {
            token: token.clone(),
            id: ItemId::generate(),
            max_age: 43200,
        };
        let cookie = session.cookie();
        assert!(cookie.starts_with("__Host-session="));
        for attr in [
            "Path=/",
            "Secure",
            "HttpOnly",
            "SameSite=Lax",
            "Max-Age=43200",
        ] {
            assert!(cookie.contains(attr), "{attr}");
        }
        assert!(!cookie.contains("Domain"));
        let header = format!("theme=dark; {COOKIE_NAME}={}; other=1", token.expose());
        assert_eq!(token_from_cookie_header(&header), Some(token));
        assert_eq!(token_from_cookie_header("__Host-session=garbage"), None);
    }
}
