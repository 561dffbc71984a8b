//! What a signed-in user does to their own account: profile, password, sessions,
//! second factors.

use serde::{Deserialize, Serialize};

use super::notify::security_notice;
use super::user::{self, new_password, reauthenticate, seal_for, User, UserView};
use super::AccountsError;
use crate::audit::{AuditEvent, Outcome};
use crate::auth::session::{self, NewSession, SessionView};
use crate::auth::{mfa, Caller};
use crate::crypto::Purpose;
use crate::http::{FieldError, RequestMeta};
use crate::store::{Attrs, Condition, Write};
use crate::tenancy::TenantScope;
use crate::Platform;

fn event(action: &'static str, caller: &Caller, meta: &RequestMeta) -> AuditEvent {
    AuditEvent {
        kind: "account",
        action,
        actor: caller.user_id().to_string(),
        target: caller.user_id().to_string(),
        client_addr: meta.client_addr.clone(),
        outcome: Outcome::Success,
    }
}

async fn me(p: &Platform, scope: &TenantScope, caller: &Caller) -> Result<User, AccountsError> {
    user::load(p, scope, caller.user_id())
        .await?
        .ok_or(AccountsError::NotFound)
}

/// The caller's own profile.
pub async fn profile(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
) -> Result<UserView, AccountsError> {
    let u = me(p, scope, caller).await?;
    user::view(p, scope, &u).await
}

/// `PATCH /me`: the display name (email changes need their own verification flow).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    /// New display name.
    pub name: String,
}

/// Renames the caller.
pub async fn update_profile(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    input: ProfileInput,
) -> Result<UserView, AccountsError> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AccountsError::Invalid(vec![FieldError {
            field: "name",
            message: "must be 1 to 100 characters without control characters".into(),
        }]));
    }
    let u = me(p, scope, caller).await?;
    let sealed = seal_for(
        p,
        scope,
        &u.key,
        Purpose::PersonalData,
        "name",
        name.as_bytes(),
    )
    .await?;
    p.store
        .transact(vec![Write::Update(
            u.key.clone(),
            Attrs::new().bytes("name", sealed),
            Condition::Exists,
        )])
        .await?;
    profile(p, scope, caller).await
}

/// `POST /me/password`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeInput {
    /// The current password (re-authentication).
    pub current_password: String,
    /// The new password.
    pub new_password: String,
}

/// Replaces the caller's session by a fresh one, e.g. after a privilege or
/// credential change (SESS-2 rotation).
async fn rotate(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    u: &User,
    meta: &RequestMeta,
) -> Result<NewSession, AccountsError> {
    let tenant = user::tenant(p, scope).await?;
    let (new_session, writes) =
        session::create(scope, &u.id, u.role()?, None, &tenant.policy, meta);
    p.store.transact(writes).await?;
    if let Some(current) = caller.session_id() {
        session::end(&p.store, scope, &u.id, current).await?;
    }
    Ok(new_session)
}

/// Changes the password after re-authentication, ends every other session and
/// rotates the current one.
pub async fn change_password(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    input: PasswordChangeInput,
    meta: &RequestMeta,
) -> Result<NewSession, AccountsError> {
    let u = me(p, scope, caller).await?;
    reauthenticate(p, scope, &u, Some(&input.current_password), None).await?;
    let tenant = user::tenant(p, scope).await?;
    let update = new_password(p, scope, &tenant, &u, &input.new_password).await?;
    p.store
        .transact(vec![
            Write::Update(u.key.clone(), update, Condition::Exists),
            event("password.changed", caller, meta).write(scope),
        ])
        .await?;
    session::end_all(&p.store, scope, &u.id, caller.session_id()).await?;
    let rotated = rotate(p, scope, caller, &u, meta).await?;
    security_notice(
        p,
        scope,
        &u,
        "Your Bookwarden password was changed",
        "The password of your account was changed.",
    )
    .await;
    Ok(rotated)
}

/// The caller's live sessions.
pub async fn sessions(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
) -> Result<Vec<SessionView>, AccountsError> {
    Ok(session::list(
        &p.store,
        scope,
        caller.user_id(),
        caller.session_id().unwrap_or_default(),
    )
    .await?)
}

/// Ends one of the caller's sessions.
pub async fn end_session(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    id: &str,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    if !session::end(&p.store, scope, caller.user_id(), id).await? {
        return Err(AccountsError::NotFound);
    }
    event("session.ended", caller, meta)
        .append(&p.store, scope)
        .await?;
    Ok(())
}

/// What enrolment shows the user once.
#[derive(Debug, Serialize)]
pub struct TotpEnrolment {
    /// The secret in base32, to type in.
    pub secret: String,
    /// The `otpauth://` URI for a QR code.
    pub otpauth_uri: String,
}

/// Starts TOTP enrolment: a new secret, sealed, pending confirmation.
pub async fn begin_totp(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
) -> Result<TotpEnrolment, AccountsError> {
    let u = me(p, scope, caller).await?;
    let secret = mfa::new_totp_secret();
    let account = u.email(p, scope).await?;
    let sealed = seal_for(
        p,
        scope,
        &u.key,
        Purpose::Credential,
        "totp_pending",
        &secret,
    )
    .await?;
    p.store
        .transact(vec![Write::Update(
            u.key.clone(),
            Attrs::new().bytes("totp_pending", sealed),
            Condition::Exists,
        )])
        .await?;
    Ok(TotpEnrolment {
        secret: mfa::secret_base32(&secret),
        otpauth_uri: mfa::otpauth_uri(&secret, account.as_str()).ok_or(AccountsError::Internal)?,
    })
}

/// `POST /me/mfa/totp/confirm`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeInput {
    /// A current code from the authenticator.
    pub code: String,
}

/// Enrolment finished: the recovery codes (shown once) and, when the session was
/// restricted to enrolment, a fresh unrestricted session.
pub struct TotpConfirmed {
    /// Ten single-use recovery codes.
    pub recovery_codes: Vec<String>,
    /// The replacement session.
    pub session: NewSession,
}

/// Confirms TOTP with a first code, issues recovery codes, rotates the session.
pub async fn confirm_totp(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    input: CodeInput,
    meta: &RequestMeta,
) -> Result<TotpConfirmed, AccountsError> {
    let u = me(p, scope, caller).await?;
    if u.record.optional_bytes("totp_pending").is_none() {
        return Err(AccountsError::InvalidCode);
    }
    let secret = u.open_credential(p, scope, "totp_pending").await?;
    let step = mfa::check_totp(&secret, input.code.trim(), crate::clock::now_unix(), 0)
        .ok_or(AccountsError::InvalidCode)?;
    let sealed = seal_for(
        p,
        scope,
        &u.key,
        Purpose::Credential,
        "totp_secret",
        &secret,
    )
    .await?;
    let codes = mfa::new_recovery_codes();
    let hashes = codes.iter().map(|c| mfa::recovery_code_hash(c)).collect();
    p.store
        .transact(vec![
            Write::Update(
                u.key.clone(),
                Attrs::new()
                    .bytes("totp_secret", sealed)
                    .number("totp_last_step", step)
                    .strings("recovery_codes", hashes)
                    .remove("totp_pending"),
                Condition::Exists,
            ),
            event("mfa.totp_enrolled", caller, meta).write(scope),
        ])
        .await?;
    let session = rotate(p, scope, caller, &u, meta).await?;
    security_notice(
        p,
        scope,
        &u,
        "Two-step sign-in turned on",
        "An authenticator app was added to your account.",
    )
    .await;
    Ok(TotpConfirmed {
        recovery_codes: codes,
        session,
    })
}

/// Re-authentication carried in the body of a destructive request.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ReauthInput {
    /// The caller's current password.
    pub password: Option<String>,
    /// Or a current TOTP code.
    pub totp_code: Option<String>,
}

/// Removes the authenticator and recovery codes, after re-authentication.
pub async fn disable_totp(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    input: ReauthInput,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    let u = me(p, scope, caller).await?;
    reauthenticate(
        p,
        scope,
        &u,
        input.password.as_deref(),
        input.totp_code.as_deref(),
    )
    .await?;
    p.store
        .transact(vec![
            Write::Update(
                u.key.clone(),
                Attrs::new()
                    .remove("totp_secret")
                    .remove("recovery_codes")
                    .remove("totp_last_step"),
                Condition::Exists,
            ),
            event("mfa.totp_removed", caller, meta).write(scope),
        ])
        .await?;
    security_notice(
        p,
        scope,
        &u,
        "Two-step sign-in turned off",
        "The authenticator app was removed from your account.",
    )
    .await;
    Ok(())
}

/// Replaces the recovery codes, after re-authentication.
pub async fn regenerate_recovery_codes(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    input: ReauthInput,
    meta: &RequestMeta,
) -> Result<Vec<String>, AccountsError> {
    let u = me(p, scope, caller).await?;
    if !u.has_totp() {
        return Err(AccountsError::NotFound);
    }
    reauthenticate(
        p,
        scope,
        &u,
        input.password.as_deref(),
        input.totp_code.as_deref(),
    )
    .await?;
    let codes = mfa::new_recovery_codes();
    p.store
        .transact(vec![
            Write::Update(
                u.key.clone(),
                Attrs::new().strings(
                    "recovery_codes",
                    codes.iter().map(|c| mfa::recovery_code_hash(c)).collect(),
                ),
                Condition::Exists,
            ),
            event("mfa.recovery_codes_replaced", caller, meta).write(scope),
        ])
        .await?;
    security_notice(
        p,
        scope,
        &u,
        "New recovery codes",
        "New recovery codes were created; the old ones no longer work.",
    )
    .await;
    Ok(codes)
}
