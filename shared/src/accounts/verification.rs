//! Email verification and the public tenant profile.

use serde::Serialize;

use super::{status, user, AccountsError};
use crate::audit::{AuditEvent, Outcome};
use crate::crypto::SecretToken;
use crate::http::RequestMeta;
use crate::store::{Attrs, Condition, Entity, GlobalKey, StoreError, TenantKey, Write};
use crate::tenancy::{Slug, TenantScope};
use crate::Platform;

/// Result of a successful verification.
#[derive(Debug, Serialize)]
pub struct Verified {
    /// The tenant whose owner was verified.
    pub tenant_id: String,
    /// Always `active` after verification.
    pub status: &'static str,
}

/// Consumes a verification token exactly once: the pointer is deleted under a
/// condition in the same transaction that marks the user verified, so two
/// concurrent uses cannot both succeed.
pub async fn verify_email(
    p: &Platform,
    token: &SecretToken,
    meta: &RequestMeta,
) -> Result<Verified, AccountsError> {
    let hash = token.hash();
    let (scope, user_id) = user::follow_link(p, GlobalKey::EmailVerification(hash.clone())).await?;
    let now = crate::clock::now_unix();
    let writes = vec![
        Write::DeletePointer(
            GlobalKey::EmailVerification(hash.clone()),
            Condition::ExistsUnexpiredAt(now),
        ),
        Write::Update(
            TenantKey::new(&scope, Entity::User(&user_id)),
            Attrs::new()
                .boolean("email_verified", true)
                .number("email_verified_at", now),
            Condition::Exists,
        ),
        Write::Update(
            TenantKey::new(&scope, Entity::Profile),
            Attrs::new().string("status", status::ACTIVE),
            Condition::Exists,
        ),
        AuditEvent {
            kind: "auth",
            action: "email.verified",
            actor: user_id.to_string(),
            target: user_id.to_string(),
            client_addr: meta.client_addr.clone(),
            outcome: Outcome::Success,
        }
        .write(&scope),
    ];
    match p.store.transact(writes).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(AccountsError::InvalidToken),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(user_id = %user_id, "email verified");
    Ok(Verified {
        tenant_id: scope.tenant_id().to_string(),
        status: status::ACTIVE,
    })
}

/// What anyone may see of a verified tenant.
#[derive(Debug, Serialize)]
pub struct PublicProfile {
    /// Business name.
    pub name: String,
    /// Public handle.
    pub slug: String,
    /// IANA time zone.
    pub time_zone: String,
}

/// The public profile of a verified tenant; unknown and unverified tenants are
/// indistinguishable (both `None`).
pub async fn public_profile(
    p: &Platform,
    slug: &Slug,
) -> Result<Option<PublicProfile>, AccountsError> {
    let Some(resolved) = p.store.resolve_slug(slug).await? else {
        return Ok(None);
    };
    let scope = TenantScope::from_resolved(resolved);
    let Some(profile) = p
        .store
        .get(&scope, &TenantKey::new(&scope, Entity::Profile))
        .await?
    else {
        return Ok(None);
    };
    if profile.string("status")? != status::ACTIVE {
        return Ok(None);
    }
    Ok(Some(PublicProfile {
        name: profile.string("name")?.to_owned(),
        slug: profile.string("slug")?.to_owned(),
        time_zone: profile.string("time_zone")?.to_owned(),
    }))
}
