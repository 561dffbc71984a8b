//! Tenant API keys (AUTH-5): scoped, expiring, shown once, stored hashed,
//! revocable, with last use visible.
//!
//! # Storage
//! A key is two items, always written and removed in one transaction:
//! - the key record, under the secret's hash (`KEY#<hash>`): tenant, creator,
//!   key id, role, scopes, expiry and last use. It is the only item a request
//!   reads (one strongly consistent GetItem) and the item revocation deletes;
//! - the listing entry in the tenant's partition (`APIKEY#<id>`): name, prefix,
//!   scopes, creation, expiry, last use, and the hash that leads to the record.

use serde::Serialize;

use crate::clock::{now_unix, rfc3339};
use crate::crypto::{SecretToken, TokenHash};
use crate::store::{
    Attrs, Collection, Condition, Entity, GlobalKey, Record, Store, StoreError, TenantKey, Write,
};
use crate::tenancy::{ItemId, Role, TenantScope, UserId};

use super::permissions::Scope;

/// Every key starts with this, so leaked keys are easy to recognise and scan for.
pub const KEY_PREFIX: &str = "bw_live_";
/// Longest allowed lifetime.
pub const MAX_LIFETIME_DAYS: i64 = 365;
const TOUCH_INTERVAL_SECS: i64 = 60;

/// A presented key: the prefix followed by a 256-bit token.
pub fn parse_presented(value: &str) -> Option<TokenHash> {
    let secret = value.strip_prefix(KEY_PREFIX)?;
    SecretToken::parse(secret)?;
    Some(crate::crypto::TokenHash::from_stored(
        crate::crypto::sha256_hex(value.as_bytes()),
    ))
}

/// A key just created; `secret` is shown once and never stored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedKey {
    /// Public id, for listing and revoking.
    pub id: String,
    /// The full secret, to be copied now.
    pub secret: String,
    /// First characters, for recognising the key later.
    pub prefix: String,
    /// RFC 3339 expiry.
    pub expires_at: String,
}

/// The writes that create a key, and what to show the caller. The transaction
/// must also mark the issuance on the creator's user item
/// ([`super::credentials::issuing`]).
pub fn create(
    scope: &TenantScope,
    created_by: &UserId,
    role: Role,
    name: &str,
    scopes: &[Scope],
    lifetime_days: i64,
) -> (CreatedKey, Vec<Write>) {
    let now = now_unix();
    let id = ItemId::generate();
    let secret = format!("{KEY_PREFIX}{}", SecretToken::generate().expose());
    let hash = TokenHash::from_stored(crate::crypto::sha256_hex(secret.as_bytes()));
    let prefix: String = secret.chars().take(KEY_PREFIX.len() + 4).collect();
    let expires = now + lifetime_days.clamp(1, MAX_LIFETIME_DAYS) * 86_400;
    let writes = vec![
        Write::Put(
            TenantKey::new(scope, Entity::ApiKey(id.as_str())),
            Attrs::new()
                .string("key_id", id.as_str())
                .string("name", name)
                .strings(
                    "scopes",
                    scopes.iter().map(|s| s.as_str().to_owned()).collect(),
                )
                .string("prefix", prefix.clone())
                .string("secret_hash", hash.as_str())
                .string("created_by", created_by.as_str())
                .string("role", role.as_str())
                .number("created_at", now)
                .number("key_expires_at", expires),
            Condition::NotExists,
        ),
        Write::PutPointer(
            GlobalKey::ApiKey(hash),
            scope.tenant_id().clone(),
            Attrs::new()
                .string("item", id.as_str())
                .string("user_id", created_by.as_str())
                .string("role", role.as_str())
                .strings(
                    "scopes",
                    scopes.iter().map(|s| s.as_str().to_owned()).collect(),
                )
                .expires_at(expires),
            Condition::NotExists,
        ),
    ];
    (
        CreatedKey {
            id: id.to_string(),
            secret,
            prefix,
            expires_at: rfc3339(expires),
        },
        writes,
    )
}

/// A valid key found for a presented secret.
#[derive(Clone, Debug)]
pub struct LiveKey {
    /// The tenant.
    pub scope: TenantScope,
    /// The key's id.
    pub id: String,
    /// The user who created it; the key acts with that user's role at creation.
    pub created_by: UserId,
    /// That role.
    pub role: Role,
    /// What the key may do.
    pub scopes: Vec<Scope>,
}

/// Finds the key for a presented secret with one strongly consistent read of
/// its record; unknown, revoked and expired are `None`. Last use is recorded
/// at most once a minute, by a conditional write that cannot bring a revoked
/// key back.
pub async fn find(store: &Store, hash: &TokenHash) -> Result<Option<LiveKey>, StoreError> {
    let Some((tenant, record)) = store.credential(&GlobalKey::ApiKey(hash.clone())).await? else {
        return Ok(None);
    };
    let scope = TenantScope::from_resolved(tenant);
    let Some(role) = record.optional_string("role") else {
        // A record without a role predates records that carry the key's
        // state: not a key this code issued, so not a valid one.
        return Ok(None);
    };
    let role: Role = role.parse().map_err(|_| StoreError::Integrity)?;
    let id = record.string("item")?.to_owned();
    let created_by: UserId = record
        .string("user_id")?
        .parse()
        .map_err(|_| StoreError::Integrity)?;
    let now = now_unix();
    if now - record.number_or_zero("last_used_at") >= TOUCH_INTERVAL_SECS {
        let touch = vec![
            Write::UpdatePointer(
                GlobalKey::ApiKey(hash.clone()),
                scope.tenant_id().clone(),
                Attrs::new().number("last_used_at", now),
                Condition::Exists,
            ),
            Write::Update(
                TenantKey::new(&scope, Entity::ApiKey(&id)),
                Attrs::new().number("last_used_at", now),
                Condition::Exists,
            ),
        ];
        let _ = store.transact(touch).await;
    }
    Ok(Some(LiveKey {
        id,
        created_by,
        role,
        scopes: record
            .strings("scopes")
            .iter()
            .filter_map(|s| Scope::parse(s))
            .collect(),
        scope,
    }))
}

/// A key as listed: never its secret.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KeyView {
    /// Public id.
    pub id: String,
    /// Name given at creation.
    pub name: String,
    /// First characters of the secret.
    pub prefix: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 expiry.
    pub expires_at: String,
    /// RFC 3339 time of last use, if used.
    pub last_used_at: Option<String>,
}

fn view(r: &Record) -> Result<KeyView, StoreError> {
    Ok(KeyView {
        id: r.string("key_id")?.to_owned(),
        name: r.string("name")?.to_owned(),
        prefix: r.string("prefix")?.to_owned(),
        scopes: r.strings("scopes"),
        created_at: rfc3339(r.number("created_at")?),
        expires_at: rfc3339(r.number("key_expires_at")?),
        last_used_at: r.number("last_used_at").ok().map(rfc3339),
    })
}

/// The tenant's keys.
pub async fn list(store: &Store, scope: &TenantScope) -> Result<Vec<KeyView>, StoreError> {
    store
        .list_all(scope, Collection::ApiKeys)
        .await?
        .iter()
        .map(view)
        .collect()
}

/// The writes that revoke a key, given its listing entry: the entry and the
/// record that authenticates it.
pub fn revoke_writes(scope: &TenantScope, entry: &Record) -> Result<Vec<Write>, StoreError> {
    let id = entry.string("key_id")?;
    let hash = TokenHash::from_stored(entry.string("secret_hash")?.to_owned());
    Ok(vec![
        Write::Delete(TenantKey::new(scope, Entity::ApiKey(id)), Condition::None),
        Write::DeletePointer(GlobalKey::ApiKey(hash), Condition::None),
    ])
}

/// Revokes a key: its record and listing entry go in one transaction with
/// `also` (an audit event), so the next request with it fails. `None` if there
/// was no such key.
pub async fn revoke(
    store: &Store,
    scope: &TenantScope,
    id: &str,
    also: Vec<Write>,
) -> Result<Option<KeyView>, StoreError> {
    let key = TenantKey::new(scope, Entity::ApiKey(id));
    let Some(record) = store.get(scope, &key).await? else {
        return Ok(None);
    };
    let mut writes = revoke_writes(scope, &record)?;
    writes.extend(also);
    store.transact(writes).await?;
    Ok(Some(view(&record)?))
}

/// The listing entries of the keys a user created (expired ones included:
/// they are revoked with the rest).
pub async fn entries_of(
    store: &Store,
    scope: &TenantScope,
    user: &UserId,
) -> Result<Vec<Record>, StoreError> {
    let mut mine = Vec::new();
    for record in store.list_all(scope, Collection::ApiKeys).await? {
        if record.string("created_by")? == user.as_str() {
            mine.push(record);
        }
    }
    Ok(mine)
}
