//! Password reset (AUTH-4): a single-use link valid for 30 minutes and only
//! until the password changes; asking reveals nothing about whether the account
//! exists, by answer or by time; using it ends every session.

use serde::Deserialize;

use super::limits::AnswerFloor;
use super::login::throttle;
use super::notify::{account_mail, security_notice};
use super::user::{self, new_password};
use super::{user_status, AccountsError};
use crate::audit::{AuditEvent, Outcome};
use crate::auth::credentials::{self, Revoke, UserChange};
use crate::clock::now_unix;
use crate::crypto::{PasswordHashString, SecretToken};
use crate::email::EmailAddress;
use crate::http::RequestMeta;
use crate::i18n::{Mail, SecurityEvent};
use crate::store::{Attrs, Condition, GlobalKey, Write};
use crate::tenancy::{Slug, TenantScope};
use crate::Platform;

/// Lifetime of a reset link.
pub const RESET_TTL_SECS: i64 = 30 * 60;

/// `POST /v1/auth/password-reset`
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequestInput {
    /// The business's slug.
    #[schema(example = "salon-nord")]
    pub tenant: String,
    /// The account's email.
    #[schema(format = Email)]
    pub email: String,
}

/// Emails a reset link if the account exists, is active and has a verified
/// address; the caller always gets the same answer, at the same time
/// ([`AnswerFloor`]), so neither tells whether the account exists.
pub async fn request(
    p: &Platform,
    input: ResetRequestInput,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    throttle(p, "password-reset", meta).await?;
    let floor = AnswerFloor::start();
    let outcome = send_link_if_known(p, input, meta, &floor).await;
    floor.wait().await;
    outcome
}

/// Ties a reset link to the password it replaces: any change of password
/// (through another link or by the signed-in user) makes it useless.
fn password_fingerprint(hash: &PasswordHashString) -> String {
    crate::crypto::sha256_hex(hash.as_str().as_bytes())[..32].to_owned()
}

async fn send_link_if_known(
    p: &Platform,
    input: ResetRequestInput,
    meta: &RequestMeta,
    floor: &AnswerFloor,
) -> Result<(), AccountsError> {
    let (Ok(slug), Ok(email)) = (
        input.tenant.parse::<Slug>(),
        input.email.parse::<EmailAddress>(),
    ) else {
        return Ok(());
    };
    let Some(resolved) = p.store.resolve_slug(&slug).await? else {
        // Elsewhere: the link must come from the business's own region.
        if let Some(site) = crate::directory::elsewhere(p, &slug).await? {
            return Err(AccountsError::InRegion(site));
        }
        return Ok(());
    };
    let scope = TenantScope::from_resolved(resolved);
    let tenant = user::tenant(p, &scope).await?;
    let lookup = tenant.lookup_key(p, &scope).await?;
    let Some(u) = user::find_by_email(p, &scope, &lookup, &email).await? else {
        return Ok(());
    };
    let Some(current) = u.password_hash() else {
        return Ok(());
    };
    if u.status() != user_status::ACTIVE || !u.record.flag("email_verified") {
        return Ok(());
    }
    let token = SecretToken::generate();
    // The stored address, not the one typed: they match only by keyed hash
    // of the lower-cased form.
    let to = u.email(p, &scope).await?;
    let name = u.open_text(p, &scope, "name").await?;
    let mail = account_mail(
        p,
        &scope,
        &to,
        &name,
        Mail::PasswordReset {
            name: name.clone(),
            business: tenant.name().to_owned(),
            url: format!(
                "{}/reset-password#token={}",
                p.config.app_base_url.trim_end_matches('/'),
                token.expose()
            ),
        },
    )
    .await?;
    p.store
        .transact(vec![
            mail,
            Write::PutPointer(
                GlobalKey::PasswordReset(token.hash()),
                scope.tenant_id().clone(),
                Attrs::new()
                    .string("user_id", u.id.as_str())
                    .string("item", password_fingerprint(&current))
                    .expires_at(now_unix() + RESET_TTL_SECS),
                Condition::NotExists,
            ),
            AuditEvent {
                kind: "auth",
                action: "password.reset_requested",
                actor: "anonymous".into(),
                target: u.id.to_string(),
                client_addr: meta.client_addr.clone(),
                outcome: Outcome::Success,
            }
            .write(&scope),
        ])
        .await?;
    floor.worked();
    Ok(())
}

/// `POST /v1/auth/password-reset/confirm` and invitation acceptance.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenPasswordInput {
    /// The token from the link.
    pub token: String,
    /// The new password.
    #[schema(min_length = 8, max_length = 256, format = Password)]
    pub password: String,
}

/// Sets a new password from a reset link, once; ends every session and clears
/// the lockout.
pub async fn confirm(
    p: &Platform,
    input: TokenPasswordInput,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    let token = SecretToken::parse(&input.token).ok_or(AccountsError::InvalidToken)?;
    let hash = token.hash();
    let pointer = p
        .store
        .pointer(&GlobalKey::PasswordReset(hash.clone()))
        .await?
        .ok_or(AccountsError::InvalidToken)?;
    let (Some(user_id), Some(issued_for)) = (pointer.user_id, pointer.item) else {
        return Err(AccountsError::InvalidToken);
    };
    let scope = TenantScope::from_resolved(pointer.tenant);
    crate::telemetry::record_tenant(scope.tenant_id());
    let u = user::load(p, &scope, &user_id)
        .await?
        .ok_or(AccountsError::InvalidToken)?;
    let Some(current) = u.password_hash() else {
        return Err(AccountsError::InvalidToken);
    };
    // A link from before the last password change (or another reset) is dead.
    if u.status() != user_status::ACTIVE || password_fingerprint(&current) != issued_for {
        return Err(AccountsError::InvalidToken);
    }
    let tenant = user::tenant(p, &scope).await?;
    let update = new_password(p, &scope, &tenant, &u, &input.password)
        .await?
        .number("failed_mfa", 0)
        .number("lockouts", 0);
    // Every session ends in the transaction that sets the new password.
    let notice = security_notice(p, &scope, &u, SecurityEvent::PasswordReset).await?;
    credentials::revoke_with(
        &p.store,
        &scope,
        &u.id,
        Revoke::sessions(),
        UserChange::Update(
            update,
            Condition::ExistsWithString("password_hash", current.as_str().to_owned()),
        ),
        vec![
            notice,
            Write::DeletePointer(GlobalKey::PasswordReset(hash), Condition::Exists),
            AuditEvent {
                kind: "auth",
                action: "password.reset",
                actor: u.id.to_string(),
                target: u.id.to_string(),
                client_addr: meta.client_addr.clone(),
                outcome: Outcome::Success,
            }
            .write(&scope),
        ],
    )
    .await
    .map_err(super::conflict_as(AccountsError::InvalidToken))?;
    Ok(())
}
