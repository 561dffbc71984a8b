//! Tenant API keys (AUTH-5): scoped, expiring, shown once, stored hashed,
//! revocable, with last use visible.

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

/// The writes that create a key, and what to show the caller.
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
            Attrs::new().string("item", id.as_str()).expires_at(expires),
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

/// Finds the key for a presented secret; unknown, revoked and expired are `None`.
pub async fn find(store: &Store, hash: &TokenHash) -> Result<Option<LiveKey>, StoreError> {
    let Some(pointer) = store.pointer(&GlobalKey::ApiKey(hash.clone())).await? else {
        return Ok(None);
    };
    let id = pointer.item.ok_or(StoreError::Integrity)?;
    let scope = TenantScope::from_resolved(pointer.tenant);
    let key = TenantKey::new(&scope, Entity::ApiKey(&id));
    let Some(record) = store.get(&scope, &key).await? else {
        return Ok(None);
    };
    let now = now_unix();
    if record.string("secret_hash")? != hash.as_str() || record.number("key_expires_at")? <= now {
        return Ok(None);
    }
    if now - record.number_or_zero("last_used_at") >= TOUCH_INTERVAL_SECS {
        let touch = Write::Update(
            key,
            Attrs::new().number("last_used_at", now),
            Condition::Exists,
        );
        let _ = store.transact(vec![touch]).await;
    }
    Ok(Some(LiveKey {
        id,
        created_by: record
            .string("created_by")?
            .parse()
            .map_err(|_| StoreError::Integrity)?,
        role: record
            .string("role")?
            .parse()
            .map_err(|_| StoreError::Integrity)?,
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

/// Revokes a key: the item and its pointer go in one transaction, so the next
/// request with it fails. `None` if there was no such key.
pub async fn revoke(
    store: &Store,
    scope: &TenantScope,
    id: &str,
) -> Result<Option<KeyView>, StoreError> {
    let key = TenantKey::new(scope, Entity::ApiKey(id));
    let Some(record) = store.get(scope, &key).await? else {
        return Ok(None);
    };
    let hash = TokenHash::from_stored(record.string("secret_hash")?.to_owned());
    store
        .transact(vec![
            Write::Delete(key, Condition::Exists),
            Write::DeletePointer(GlobalKey::ApiKey(hash), Condition::None),
        ])
        .await?;
    Ok(Some(view(&record)?))
}

/// Revokes every key a user created: a key must not outlive its creator's
/// account or keep a role the creator no longer has. Returns how many.
pub async fn revoke_all_of(
    store: &Store,
    scope: &TenantScope,
    user: &UserId,
) -> Result<usize, StoreError> {
    let mut revoked = 0;
    for record in store.list_all(scope, Collection::ApiKeys).await? {
        if record.string("created_by")? == user.as_str() {
            revoke(store, scope, record.string("key_id")?).await?;
            revoked += 1;
        }
    }
    Ok(revoked)
}
