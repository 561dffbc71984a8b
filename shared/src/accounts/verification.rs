//! Email verification and the public tenant profile.

use serde::{Deserialize, Serialize};

use super::limits::{self, AnswerFloor};
use super::{status, user, user_status, AccountsError, VERIFICATION_TTL_SECS};
use crate::audit::{AuditEvent, Outcome};
use crate::crypto::SecretToken;
use crate::email::EmailAddress;
use crate::http::{parse_field, RequestMeta};
use crate::store::{Attrs, Condition, Entity, GlobalKey, StoreError, TenantKey, Write};
use crate::tenancy::{Slug, TenantScope};
use crate::Platform;

/// The user attribute naming the one verification link that still works (the
/// hash of its token): a newer link replaces an older one.
pub(crate) const VERIFICATION_TOKEN_ATTR: &str = "verification_token";

/// Result of a successful verification.
#[derive(Debug, Serialize, utoipa::ToSchema)]
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
    let profile = user::tenant(p, &scope).await?.profile;
    let slug: Slug = profile
        .string("slug")?
        .parse()
        .map_err(|_| AccountsError::Internal)?;
    // Kept for good across regions too (PRIV-4), before the local pointer.
    if let Some(directory) = &p.directory {
        directory.keep(&slug, scope.tenant_id()).await?;
    }
    let writes = vec![
        Write::DeletePointer(
            GlobalKey::EmailVerification(hash.clone()),
            Condition::ExistsUnexpiredAt(now),
        ),
        // Only the newest link works, and only once.
        Write::Update(
            TenantKey::new(&scope, Entity::User(&user_id)),
            Attrs::new()
                .boolean("email_verified", true)
                .number("email_verified_at", now)
                .remove(VERIFICATION_TOKEN_ATTR),
            Condition::ExistsWithString(VERIFICATION_TOKEN_ATTR, hash.as_str().to_owned()),
        ),
        Write::Update(
            TenantKey::new(&scope, Entity::Profile),
            Attrs::new().string("status", status::ACTIVE),
            Condition::Exists,
        ),
        // The slug is the business's for good now (it was held for 48 hours),
        // provided it is still this business's.
        Write::PutPointer(
            GlobalKey::Slug(slug),
            scope.tenant_id().clone(),
            Attrs::new(),
            Condition::ExistsWithString(
                crate::store::TENANT_ATTR,
                scope.tenant_id().as_str().to_owned(),
            ),
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
#[derive(Debug, Serialize, utoipa::ToSchema)]
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
        if let Some(site) = crate::directory::elsewhere(p, slug).await? {
            return Err(AccountsError::InRegion(site));
        }
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

/// `POST /v1/auth/verify-email/resend`
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResendInput {
    /// The business's slug.
    #[schema(example = "salon-nord")]
    pub tenant: String,
    /// The address the sign-up used.
    #[schema(format = Email)]
    pub email: String,
}

/// Sends a fresh verification link to an account that has not verified yet;
/// the previous link stops working. The answer and its timing are the same
/// whether or not such an account exists, and verification mail is limited per
/// client and per recipient.
pub async fn resend_verification(
    p: &Platform,
    input: ResendInput,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    let mut errors = Vec::new();
    let slug: Option<Slug> = parse_field(&mut errors, "tenant", &input.tenant);
    let email: Option<EmailAddress> = parse_field(&mut errors, "email", &input.email);
    let (Some(slug), Some(email)) = (slug, email) else {
        return Err(AccountsError::Invalid(errors));
    };
    limits::per_client(
        p,
        "verify-resend",
        meta,
        limits::VERIFICATION_RESENDS_PER_CLIENT,
    )
    .await?;
    let floor = AnswerFloor::start();
    let outcome = resend_if_pending(p, &slug, &email, meta, &floor).await;
    floor.wait().await;
    outcome
}

async fn resend_if_pending(
    p: &Platform,
    slug: &Slug,
    email: &EmailAddress,
    meta: &RequestMeta,
    floor: &AnswerFloor,
) -> Result<(), AccountsError> {
    let Some(resolved) = p.store.resolve_slug(slug).await? else {
        // Elsewhere: the link must come from the business's own region.
        if let Some(site) = crate::directory::elsewhere(p, slug).await? {
            return Err(AccountsError::InRegion(site));
        }
        return Ok(());
    };
    let scope = TenantScope::from_resolved(resolved);
    let tenant = user::tenant(p, &scope).await?;
    let lookup = tenant.lookup_key(p, &scope).await?;
    let Some(u) = user::find_by_email(p, &scope, &lookup, email).await? else {
        return Ok(());
    };
    let Some(previous) = u.record.optional_string(VERIFICATION_TOKEN_ATTR) else {
        return Ok(());
    };
    if u.status() != user_status::ACTIVE || u.record.flag("email_verified") {
        return Ok(());
    }
    // The stored address, never the one typed (they match by keyed hash).
    let to = u.email(p, &scope).await?;
    if !limits::verification_mail_allowed(p, &to).await? {
        tracing::warn!(user_id = %u.id, "verification resend refused: recipient limit");
        return Ok(());
    }
    let token = SecretToken::generate();
    let name = u.open_text(p, &scope, "name").await?;
    let mail = crate::email::outbox::entry(
        p,
        &scope,
        &[super::signup::verification_mail(
            &p.config.app_base_url,
            &token,
            &to,
            &name,
            tenant.name(),
            crate::booking::context::language_of(&tenant.profile),
        )],
    )
    .await?;
    let now = crate::clock::now_unix();
    let previous = crate::crypto::TokenHash::from_stored(previous.to_owned());
    let resent = p
        .store
        .transact(vec![
            mail,
            Write::DeletePointer(
                GlobalKey::EmailVerification(previous.clone()),
                Condition::None,
            ),
            Write::PutPointer(
                GlobalKey::EmailVerification(token.hash()),
                scope.tenant_id().clone(),
                Attrs::new()
                    .string("user_id", u.id.as_str())
                    .expires_at(now + VERIFICATION_TTL_SECS),
                Condition::NotExists,
            ),
            Write::Update(
                u.key.clone(),
                Attrs::new().string(VERIFICATION_TOKEN_ATTR, token.hash().as_str()),
                Condition::ExistsWithString(VERIFICATION_TOKEN_ATTR, previous.as_str().to_owned()),
            ),
            AuditEvent {
                kind: "auth",
                action: "email.verification_resent",
                actor: "anonymous".into(),
                target: u.id.to_string(),
                client_addr: meta.client_addr.clone(),
                outcome: Outcome::Success,
            }
            .write(&scope),
        ])
        .await;
    match resent {
        Ok(()) => {}
        // A concurrent resend or verification won; this one changes nothing
        // and answers like every other.
        Err(StoreError::Conflict) => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    floor.worked();
    Ok(())
}
