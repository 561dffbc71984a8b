//! Reading a user and opening their sealed fields.

use serde::Serialize;

use super::AccountsError;
use crate::auth::policy::TenantPolicy;
use crate::crypto::{FieldBinding, LookupKey, PasswordHashString, Purpose, WrappedKey};
use crate::email::EmailAddress;
use crate::store::{Attrs, Entity, Record, TenantKey};
use crate::tenancy::{Role, TenantScope, UserId};
use crate::Platform;

/// A user as loaded from the store.
pub struct User {
    /// The key of the user item.
    pub key: TenantKey,
    /// The user's id.
    pub id: UserId,
    /// The stored item.
    pub record: Record,
}

impl User {
    /// The user's role.
    pub fn role(&self) -> Result<Role, AccountsError> {
        self.record
            .string("role")?
            .parse()
            .map_err(|_| AccountsError::Internal)
    }

    /// `invited`, `active` or `deactivated`.
    pub fn status(&self) -> &str {
        self.record
            .optional_string("status")
            .unwrap_or(super::user_status::ACTIVE)
    }

    /// The Argon2id hash, absent for users who have not set a password yet.
    pub fn password_hash(&self) -> Option<PasswordHashString> {
        self.record
            .optional_string("password_hash")
            .map(|h| PasswordHashString::from_stored(h.to_owned()))
    }

    /// Whether a TOTP authenticator is enrolled.
    pub fn has_totp(&self) -> bool {
        self.record.optional_bytes("totp_secret").is_some()
    }

    /// Whether the user has any second factor.
    pub fn has_mfa(&self) -> bool {
        self.has_totp()
    }

    fn binding<'a>(&'a self, field: &'a str) -> FieldBinding<'a> {
        FieldBinding {
            pk: self.key.pk_str(),
            sk: self.key.sk_str(),
            field,
        }
    }

    /// Opens a sealed personal-data field.
    pub async fn open_text(
        &self,
        p: &Platform,
        scope: &TenantScope,
        field: &str,
    ) -> Result<String, AccountsError> {
        let sealed = self.record.bytes(field)?;
        let plain = p
            .envelope
            .open(scope, Purpose::PersonalData, self.binding(field), sealed)
            .await?;
        String::from_utf8(plain).map_err(|_| AccountsError::Internal)
    }

    /// Opens a sealed credential field (TOTP secret).
    pub async fn open_credential(
        &self,
        p: &Platform,
        scope: &TenantScope,
        field: &str,
    ) -> Result<Vec<u8>, AccountsError> {
        let sealed = self.record.bytes(field)?;
        Ok(p.envelope
            .open(scope, Purpose::Credential, self.binding(field), sealed)
            .await?)
    }

    /// The user's email address.
    pub async fn email(
        &self,
        p: &Platform,
        scope: &TenantScope,
    ) -> Result<EmailAddress, AccountsError> {
        self.open_text(p, scope, "email")
            .await?
            .parse()
            .map_err(|_| AccountsError::Internal)
    }
}

/// Seals a value for a field of a user item.
pub async fn seal_for(
    p: &Platform,
    scope: &TenantScope,
    key: &TenantKey,
    purpose: Purpose,
    field: &str,
    value: &[u8],
) -> Result<Vec<u8>, AccountsError> {
    let at = FieldBinding {
        pk: key.pk_str(),
        sk: key.sk_str(),
        field,
    };
    Ok(p.envelope.seal(scope, purpose, at, value).await?)
}

/// Loads a user of the scope's tenant.
pub async fn load(
    p: &Platform,
    scope: &TenantScope,
    id: &UserId,
) -> Result<Option<User>, AccountsError> {
    let key = TenantKey::new(scope, Entity::User(id));
    Ok(p.store.get(scope, &key).await?.map(|record| User {
        key,
        id: id.clone(),
        record,
    }))
}

/// The tenant profile, with its security policy and lookup key.
pub struct Tenant {
    /// The stored profile.
    pub profile: Record,
    /// Its security policy.
    pub policy: TenantPolicy,
}

impl Tenant {
    /// Whether an owner closed the business (PRIV-3); it stays closed until
    /// restored or purged.
    pub fn is_closed(&self) -> bool {
        self.profile.optional_string("status") == Some(super::status::CLOSED)
    }

    /// The business name.
    pub fn name(&self) -> &str {
        self.profile.optional_string("name").unwrap_or_default()
    }

    /// The tenant's key for email lookups.
    pub async fn lookup_key(
        &self,
        p: &Platform,
        scope: &TenantScope,
    ) -> Result<LookupKey, AccountsError> {
        let wrapped = WrappedKey(self.profile.bytes("lookup_key")?.to_vec());
        Ok(p.envelope.lookup_key(scope, &wrapped).await?)
    }
}

/// Loads the tenant profile.
pub async fn tenant(p: &Platform, scope: &TenantScope) -> Result<Tenant, AccountsError> {
    let profile = p
        .store
        .get(scope, &TenantKey::new(scope, Entity::Profile))
        .await?
        .ok_or(AccountsError::NotFound)?;
    Ok(Tenant {
        policy: TenantPolicy::from_profile(&profile),
        profile,
    })
}

/// Finds a user by email through the keyed hash index.
pub async fn find_by_email(
    p: &Platform,
    scope: &TenantScope,
    lookup: &LookupKey,
    email: &EmailAddress,
) -> Result<Option<User>, AccountsError> {
    let hash = lookup.digest(&email.lookup_form());
    let Some(index) = p
        .store
        .get(scope, &TenantKey::new(scope, Entity::UserEmail(&hash)))
        .await?
    else {
        return Ok(None);
    };
    let id: UserId = index
        .string("user_id")?
        .parse()
        .map_err(|_| AccountsError::Internal)?;
    load(p, scope, &id).await
}

/// A user as shown to themselves and to admins.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    /// Id.
    pub user_id: String,
    /// Name.
    pub name: String,
    /// Email address.
    pub email: String,
    /// Role.
    pub role: Role,
    /// `invited`, `active` or `deactivated`.
    pub status: String,
    /// Whether a second factor is enrolled.
    pub mfa_enabled: bool,
    /// Whether the email address is verified.
    pub email_verified: bool,
}

/// Opens a user into its view.
pub async fn view(
    p: &Platform,
    scope: &TenantScope,
    user: &User,
) -> Result<UserView, AccountsError> {
    Ok(UserView {
        user_id: user.id.to_string(),
        name: user.open_text(p, scope, "name").await?,
        email: user.email(p, scope).await?.as_str().to_owned(),
        role: user.role()?,
        status: user.status().to_owned(),
        mfa_enabled: user.has_mfa(),
        email_verified: user.record.flag("email_verified"),
    })
}

/// Attribute updates that clear the brute-force counters.
pub fn cleared_lockout() -> Attrs {
    Attrs::new()
        .number("failed_logins", 0)
        .number("locked_until", 0)
}

/// The longest reuse history a tenant can ask for.
pub const MAX_PASSWORD_HISTORY: usize = 24;

/// The attribute updates that set a new password, after checking it against the
/// policy (AUTH-1): length, shipped list, estimator, closeness to the user's
/// email, name and business, and the tenant's reuse history.
pub async fn new_password(
    p: &Platform,
    scope: &TenantScope,
    tenant: &Tenant,
    user: &User,
    candidate: &str,
) -> Result<Attrs, AccountsError> {
    let email = user.email(p, scope).await?;
    let name = user.open_text(p, scope, "name").await?;
    let slug = tenant.profile.optional_string("slug").unwrap_or_default();
    let context = [email.as_str(), name.as_str(), tenant.name(), slug];
    let min = tenant.policy.min_chars(user.has_mfa());
    let normalized = crate::auth::policy::check_new_password(candidate, min, &context)
        .map_err(|r| AccountsError::WeakPassword(r.0))?;

    let mut previous: Vec<String> = user
        .password_hash()
        .map(|h| h.as_str().to_owned())
        .into_iter()
        .collect();
    previous.extend(user.record.strings("password_history"));
    // Keep the most history any policy may ask for, so raising the setting
    // later also covers passwords used before it was raised.
    previous.truncate(MAX_PASSWORD_HISTORY);
    let check = normalized.clone();
    let to_check: Vec<String> = previous
        .iter()
        .take(tenant.policy.password_history)
        .cloned()
        .collect();
    let reused = tokio::task::spawn_blocking(move || {
        to_check.iter().any(|h| {
            crate::crypto::verify_password(&check, &PasswordHashString::from_stored(h.clone()))
                .is_ok_and(|c| c != crate::crypto::PasswordCheck::Mismatch)
        })
    })
    .await
    .map_err(|_| AccountsError::Internal)?;
    if reused {
        return Err(AccountsError::WeakPassword(
            "was used recently; choose one you have not used before".into(),
        ));
    }
    let hash = tokio::task::spawn_blocking(move || crate::crypto::hash_password(&normalized))
        .await
        .map_err(|_| AccountsError::Internal)??;
    Ok(cleared_lockout()
        .string("password_hash", hash.as_str())
        .strings("password_history", previous)
        .number("password_changed_at", crate::clock::now_unix()))
}

/// Confirms the caller's identity for a destructive operation (ACC-3): the
/// current password, or a TOTP code when one is enrolled.
pub async fn reauthenticate(
    p: &Platform,
    scope: &TenantScope,
    user: &User,
    password: Option<&str>,
    totp_code: Option<&str>,
) -> Result<(), AccountsError> {
    if let (Some(password), Some(hash)) = (password, user.password_hash()) {
        let password = crate::auth::policy::normalize(password);
        let check =
            tokio::task::spawn_blocking(move || crate::crypto::verify_password(&password, &hash))
                .await
                .map_err(|_| AccountsError::Internal)?
                .map_err(|_| AccountsError::Internal)?;
        if check != crate::crypto::PasswordCheck::Mismatch {
            return Ok(());
        }
    }
    if let (Some(code), true) = (totp_code, user.has_totp()) {
        let secret = user.open_credential(p, scope, "totp_secret").await?;
        let last = user.record.number_or_zero("totp_last_step");
        if let Some(step) =
            crate::auth::mfa::check_totp(&secret, code.trim(), crate::clock::now_unix(), last)
        {
            // Consumed only if nobody used a code since it was read (no replay
            // across concurrent requests).
            return p
                .store
                .transact(vec![crate::store::Write::Update(
                    user.key.clone(),
                    Attrs::new().number("totp_last_step", step),
                    crate::store::Condition::ExistsWithNumber("totp_last_step", last),
                )])
                .await
                .map_err(super::conflict_as(AccountsError::ReauthenticationRequired));
        }
    }
    Err(AccountsError::ReauthenticationRequired)
}

/// Follows an emailed link's token to its tenant and user. `key` is the lookup
/// for the token's kind; unknown and expired tokens are `InvalidToken`.
pub async fn follow_link(
    p: &Platform,
    key: crate::store::GlobalKey,
) -> Result<(TenantScope, UserId), AccountsError> {
    let pointer = p
        .store
        .pointer(&key)
        .await?
        .ok_or(AccountsError::InvalidToken)?;
    let user_id = pointer.user_id.ok_or(AccountsError::Internal)?;
    let scope = TenantScope::from_resolved(pointer.tenant);
    crate::telemetry::record_tenant(scope.tenant_id());
    Ok((scope, user_id))
}
