//! What a signed-in user does to their own account: profile, password, sessions,
//! second factors.

use serde::{Deserialize, Serialize};

use super::notify::{account_mail, security_notice, security_notice_to};
use super::user::{self, new_password, reauthenticate, seal_for, User, UserView};
use super::AccountsError;
use crate::audit::{AuditEvent, Outcome};
use crate::auth::credentials::{self, Revoke, UserChange};
use crate::auth::session::{self, NewSession, SessionView};
use crate::auth::{mfa, Caller};
use crate::crypto::Purpose;
use crate::http::{FieldError, RequestMeta};
use crate::i18n::{Mail, SecurityEvent};
use crate::store::{Attrs, Condition, GlobalKey, Write};
use crate::tenancy::TenantScope;
use crate::Platform;

fn event(action: &'static str, caller: &Caller, meta: &RequestMeta) -> AuditEvent {
    AuditEvent {
        kind: "account",
        action,
        actor: caller.actor(),
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
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    /// New display name.
    #[schema(min_length = 1, max_length = 100)]
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
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeInput {
    /// The current password (re-authentication).
    #[schema(format = Password)]
    pub current_password: String,
    /// The new password.
    #[schema(min_length = 8, max_length = 256, format = Password)]
    pub new_password: String,
}

/// Replaces the caller's session by a fresh one after a privilege or
/// credential change (SESS-2 rotation), in one transaction that also ends the
/// current session. The new session carries whatever restriction still applies
/// to the account as it is now: a full session comes only when every
/// requirement (second factor, fresh password) is met.
async fn rotate(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    meta: &RequestMeta,
) -> Result<NewSession, AccountsError> {
    let u = me(p, scope, caller).await?;
    let tenant = user::tenant(p, scope).await?;
    let role = u.role()?;
    let restriction = super::login::restriction_for(&tenant, role, &u, crate::clock::now_unix());
    let (new_session, mut writes) =
        session::create(scope, &u.id, role, restriction, &tenant.policy, meta);
    // The new session copies the user as read just now: a revocation since
    // makes the rotation fail instead of outliving it.
    writes.push(Write::Update(
        u.key.clone(),
        credentials::issuing(Attrs::new()),
        credentials::unrevoked_since(&u.record),
    ));
    if let Some(current) = caller.session_id() {
        let key =
            crate::store::TenantKey::new(scope, crate::store::Entity::Session(&u.id, current));
        let entry = p
            .store
            .get(scope, &key)
            .await?
            .ok_or(AccountsError::ReauthenticationRequired)?;
        writes.extend(session::end_writes(scope, &u.id, &entry)?);
    }
    p.store
        .transact(writes)
        .await
        .map_err(super::conflict_as(AccountsError::ReauthenticationRequired))?;
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
    // Every other session ends in the transaction that changes the password.
    credentials::revoke_with(
        &p.store,
        scope,
        &u.id,
        Revoke::other_sessions(caller.session_id()),
        // Stating the hash it replaces: a concurrent change or reset wins
        // instead of being overwritten.
        UserChange::Update(
            update,
            Condition::ExistsWithString(
                "password_hash",
                u.password_hash()
                    .map(|h| h.as_str().to_owned())
                    .unwrap_or_default(),
            ),
        ),
        vec![
            event("password.changed", caller, meta).write(scope),
            security_notice(p, scope, &u, SecurityEvent::PasswordChanged).await?,
        ],
    )
    .await
    .map_err(super::conflict_as(AccountsError::ReauthenticationRequired))?;
    rotate(p, scope, caller, meta).await
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
    let ended = event("session.ended", caller, meta).write(scope);
    if !session::end(&p.store, scope, caller.user_id(), id, vec![ended]).await? {
        return Err(AccountsError::NotFound);
    }
    Ok(())
}

/// What enrolment shows the user once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TotpEnrolment {
    /// The secret in base32, to type in.
    pub secret: String,
    /// The `otpauth://` URI for a QR code.
    pub otpauth_uri: String,
}

/// Marks a pending secret as a replacement the user re-authenticated for.
const TOTP_PENDING_REPLACES: &str = "totp_pending_replaces";

/// Starts TOTP enrolment: a new secret, sealed, pending confirmation.
/// Replacing an authenticator that is already enrolled needs the password or a
/// current code first (ACC-3): a stolen session must not swap the second factor.
pub async fn begin_totp(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    reauth: ReauthInput,
) -> Result<TotpEnrolment, AccountsError> {
    let u = me(p, scope, caller).await?;
    let replacing = u.has_totp();
    if replacing {
        reauthenticate(
            p,
            scope,
            &u,
            reauth.password.as_deref(),
            reauth.totp_code.as_deref(),
        )
        .await?;
    }
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
            Attrs::new()
                .bytes("totp_pending", sealed)
                .boolean(TOTP_PENDING_REPLACES, replacing),
            Condition::Exists,
        )])
        .await?;
    Ok(TotpEnrolment {
        secret: mfa::secret_base32(&secret),
        otpauth_uri: mfa::otpauth_uri(&secret, account.as_str()).ok_or(AccountsError::Internal)?,
    })
}

/// `POST /me/mfa/totp/confirm`
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeInput {
    /// A current code from the authenticator.
    #[schema(example = "123456")]
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
    // An authenticator enrolled since this secret was issued is replaced only
    // if the issue was re-authenticated.
    let replacing = u.has_totp();
    if replacing && !u.record.flag(TOTP_PENDING_REPLACES) {
        return Err(AccountsError::ReauthenticationRequired);
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
    let notice = if replacing {
        SecurityEvent::AuthenticatorReplaced
    } else {
        SecurityEvent::TwoStepEnabled
    };
    let notice = security_notice(p, scope, &u, notice).await?;
    p.store
        .transact(vec![
            notice,
            Write::Update(
                u.key.clone(),
                Attrs::new()
                    .bytes("totp_secret", sealed)
                    .number("totp_last_step", step)
                    .strings("recovery_codes", hashes)
                    .remove("totp_pending")
                    .remove(TOTP_PENDING_REPLACES),
                Condition::Exists,
            ),
            event(
                if replacing {
                    "mfa.totp_replaced"
                } else {
                    "mfa.totp_enrolled"
                },
                caller,
                meta,
            )
            .write(scope),
        ])
        .await?;
    let session = rotate(p, scope, caller, meta).await?;
    Ok(TotpConfirmed {
        recovery_codes: codes,
        session,
    })
}

/// Re-authentication carried in the body of a destructive request.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReauthInput {
    /// The caller's current password.
    #[schema(format = Password)]
    pub password: Option<String>,
    /// Or a current TOTP code.
    #[schema(example = "123456")]
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
            security_notice(p, scope, &u, SecurityEvent::TwoStepDisabled).await?,
        ])
        .await?;
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
            security_notice(p, scope, &u, SecurityEvent::RecoveryCodesReplaced).await?,
        ])
        .await?;
    Ok(codes)
}

/// The user attribute naming the one email-change link that still works.
const PENDING_EMAIL_TOKEN: &str = "pending_email_token";

/// How long a link to confirm a new email address works.
pub const EMAIL_CHANGE_TTL_SECS: i64 = 24 * 3600;

/// `POST /me/email`
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailChangeInput {
    /// The new address; it must be confirmed from its own inbox.
    #[schema(format = Email, max_length = 254)]
    pub new_email: String,
    /// The current password (re-authentication).
    #[schema(format = Password)]
    pub password: String,
}

/// Starts an email change: the new address gets a confirmation link and the
/// current address is told (ACC-3). Nothing changes until the link is used.
pub async fn request_email_change(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    input: EmailChangeInput,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    let new_email: crate::email::EmailAddress =
        input
            .new_email
            .parse()
            .map_err(|e: crate::email::InvalidEmail| {
                AccountsError::Invalid(vec![FieldError {
                    field: "new_email",
                    message: e.to_string(),
                }])
            })?;
    let u = me(p, scope, caller).await?;
    reauthenticate(p, scope, &u, Some(&input.password), None).await?;
    let tenant = user::tenant(p, scope).await?;
    let lookup = tenant.lookup_key(p, scope).await?;
    if user::find_by_email(p, scope, &lookup, &new_email)
        .await?
        .is_some()
    {
        return Err(AccountsError::EmailTaken);
    }
    let sealed = seal_for(
        p,
        scope,
        &u.key,
        Purpose::PersonalData,
        "pending_email",
        new_email.as_str().as_bytes(),
    )
    .await?;
    let token = crate::crypto::SecretToken::generate();
    let name = u.open_text(p, scope, "name").await?;
    let mut writes = vec![
        Write::Update(
            u.key.clone(),
            Attrs::new()
                .bytes("pending_email", sealed)
                .string(PENDING_EMAIL_TOKEN, token.hash().as_str()),
            Condition::Exists,
        ),
        // The link names (by keyed hash) the address it is mailed to.
        Write::PutPointer(
            GlobalKey::EmailChange(token.hash()),
            scope.tenant_id().clone(),
            Attrs::new()
                .string("user_id", u.id.as_str())
                .string("item", lookup.digest(&new_email.lookup_form()))
                .expires_at(crate::clock::now_unix() + EMAIL_CHANGE_TTL_SECS),
            Condition::NotExists,
        ),
        event("email.change_requested", caller, meta).write(scope),
        account_mail(
            p,
            scope,
            &new_email,
            &name,
            Mail::ConfirmNewEmail {
                name: name.clone(),
                business: String::new(),
                url: format!(
                    "{}/confirm-email-change#token={}",
                    p.config.app_base_url.trim_end_matches('/'),
                    token.expose()
                ),
            },
        )
        .await?,
        security_notice(p, scope, &u, SecurityEvent::EmailChangeRequested).await?,
    ];
    // A newer request makes the older link useless.
    if let Some(previous) = u.record.optional_string(PENDING_EMAIL_TOKEN) {
        writes.push(Write::DeletePointer(
            GlobalKey::EmailChange(crate::crypto::TokenHash::from_stored(previous.to_owned())),
            Condition::None,
        ));
    }
    p.store.transact(writes).await?;
    Ok(())
}

/// `POST /v1/auth/email-change/confirm`
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailChangeConfirmInput {
    /// The token from the link sent to the new address.
    pub token: String,
}

/// Completes an email change once: the sealed address, its blind index and the
/// index item move together in one transaction; the old address is told.
pub async fn confirm_email_change(
    p: &Platform,
    input: EmailChangeConfirmInput,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    let token =
        crate::crypto::SecretToken::parse(&input.token).ok_or(AccountsError::InvalidToken)?;
    let hash = token.hash();
    let pointer = p
        .store
        .pointer(&GlobalKey::EmailChange(hash.clone()))
        .await?
        .ok_or(AccountsError::InvalidToken)?;
    let (Some(user_id), Some(mailed_to)) = (pointer.user_id, pointer.item) else {
        return Err(AccountsError::InvalidToken);
    };
    let scope = TenantScope::from_resolved(pointer.tenant);
    crate::telemetry::record_tenant(scope.tenant_id());
    let u = user::load(p, &scope, &user_id)
        .await?
        .ok_or(AccountsError::InvalidToken)?;
    // Only the newest request's link works, and only for the address it was
    // mailed to.
    let current = u.record.optional_string(PENDING_EMAIL_TOKEN) == Some(hash.as_str());
    if !current || u.record.optional_bytes("pending_email").is_none() {
        return Err(AccountsError::InvalidToken);
    }
    let new_email = u.open_text(p, &scope, "pending_email").await?;
    let new_email: crate::email::EmailAddress =
        new_email.parse().map_err(|_| AccountsError::Internal)?;
    let tenant = user::tenant(p, &scope).await?;
    let lookup = tenant.lookup_key(p, &scope).await?;
    let new_hash = lookup.digest(&new_email.lookup_form());
    if new_hash != mailed_to {
        return Err(AccountsError::InvalidToken);
    }
    let old_hash = u.record.string("email_hash")?.to_owned();
    let sealed = seal_for(
        p,
        &scope,
        &u.key,
        Purpose::PersonalData,
        "email",
        new_email.as_str().as_bytes(),
    )
    .await?;
    let mut writes = vec![
        Write::DeletePointer(GlobalKey::EmailChange(hash.clone()), Condition::Exists),
        Write::Put(
            crate::store::TenantKey::new(&scope, crate::store::Entity::UserEmail(&new_hash)),
            Attrs::new().string("user_id", u.id.as_str()),
            Condition::NotExists,
        ),
        Write::Delete(
            crate::store::TenantKey::new(&scope, crate::store::Entity::UserEmail(&old_hash)),
            Condition::None,
        ),
        Write::Update(
            u.key.clone(),
            Attrs::new()
                .bytes("email", sealed)
                .string("email_hash", new_hash)
                .boolean("email_verified", true)
                .remove("pending_email")
                .remove(PENDING_EMAIL_TOKEN),
            Condition::ExistsWithString(PENDING_EMAIL_TOKEN, hash.as_str().to_owned()),
        ),
        AuditEvent {
            kind: "account",
            action: "email.changed",
            actor: u.id.to_string(),
            target: u.id.to_string(),
            client_addr: meta.client_addr.clone(),
            outcome: Outcome::Success,
        }
        .write(&scope),
    ];
    // `u` still holds the old sealed address: the notice goes to the old
    // inbox, if the user had proven it (AUTH-4).
    if u.record.flag("email_verified") {
        let old = u.email(p, &scope).await?;
        let name = u.open_text(p, &scope, "name").await?;
        writes.push(security_notice_to(p, &scope, &old, &name, SecurityEvent::EmailChanged).await?);
    }
    p.store
        .transact(writes)
        .await
        .map_err(super::conflict_as(AccountsError::InvalidToken))?;
    Ok(())
}
