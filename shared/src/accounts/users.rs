//! Owners and admins manage their tenant's users (ACC-2): invite, list, change
//! role, deactivate, delete. One person, one account.

use serde::Deserialize;

use super::notify::{account_mail, security_notice};
use super::reset::TokenPasswordInput;
use super::user::{self, new_password, reauthenticate, seal_for, User, UserView};
use super::{user_status, AccountsError};
use crate::audit::{AuditEvent, Outcome};
use crate::auth::credentials::{self, Revoke, UserChange};
use crate::auth::Caller;
use crate::clock::now_unix;
use crate::crypto::{Purpose, SecretToken};
use crate::email::EmailAddress;
use crate::http::{parse_field, FieldError, RequestMeta};
use crate::i18n::{Mail, SecurityEvent};
use crate::store::{Attrs, Collection, Condition, Entity, GlobalKey, TenantKey, Write};
use crate::tenancy::{Role, TenantScope, UserId};
use crate::Platform;

/// Lifetime of an invitation link.
pub const INVITATION_TTL_SECS: i64 = 7 * 86_400;

fn event(action: &'static str, caller: &Caller, target: &UserId, meta: &RequestMeta) -> AuditEvent {
    AuditEvent {
        kind: "users",
        action,
        actor: caller.actor(),
        target: target.to_string(),
        client_addr: meta.client_addr.clone(),
        outcome: Outcome::Success,
    }
}

/// Every user of the tenant.
pub async fn list(p: &Platform, scope: &TenantScope) -> Result<Vec<UserView>, AccountsError> {
    let records = p.store.list_all(scope, Collection::Users).await?;
    let mut out = Vec::with_capacity(records.len());
    for record in records {
        let id: UserId = record
            .string("user_id")?
            .parse()
            .map_err(|_| AccountsError::Internal)?;
        let u = User {
            key: TenantKey::new(scope, Entity::User(&id)),
            id,
            record,
        };
        out.push(user::view(p, scope, &u).await?);
    }
    Ok(out)
}

/// `POST /users`
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteInput {
    /// The invitee's email.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// The invitee's name.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// `owner`, `admin` or `staff`.
    #[schema(example = "staff")]
    pub role: String,
}

fn parse_role(value: &str) -> Result<Role, AccountsError> {
    value.parse().map_err(|_| {
        AccountsError::Invalid(vec![FieldError {
            field: "role",
            message: "must be owner, admin or staff".into(),
        }])
    })
}

/// Only an owner may create, demote or act on another owner.
fn may_act_on(
    caller: &Caller,
    target_role: Role,
    new_role: Option<Role>,
) -> Result<(), AccountsError> {
    let touches_owner = target_role == Role::Owner || new_role == Some(Role::Owner);
    if touches_owner && caller.role() != Role::Owner {
        return Err(AccountsError::Forbidden);
    }
    Ok(())
}

/// Invites a user: an account in `invited` state and a single-use link that sets
/// the password.
pub async fn invite(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    input: InviteInput,
    meta: &RequestMeta,
) -> Result<UserView, AccountsError> {
    let mut errors = Vec::new();
    let email: Option<EmailAddress> = parse_field(&mut errors, "email", &input.email);
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        errors.push(FieldError {
            field: "name",
            message: "must be 1 to 100 characters without control characters".into(),
        });
    }
    let role = parse_role(&input.role);
    let (Some(email), Ok(role), true) = (email, &role, errors.is_empty()) else {
        if let Err(AccountsError::Invalid(mut e)) = role {
            errors.append(&mut e);
        }
        return Err(AccountsError::Invalid(errors));
    };
    may_act_on(caller, Role::Staff, Some(*role))?;

    let tenant = user::tenant(p, scope).await?;
    let lookup = tenant.lookup_key(p, scope).await?;
    let email_hash = lookup.digest(&email.lookup_form());
    let id = UserId::generate();
    let key = TenantKey::new(scope, Entity::User(&id));
    let sealed_name = seal_for(
        p,
        scope,
        &key,
        Purpose::PersonalData,
        "name",
        name.as_bytes(),
    )
    .await?;
    let sealed_email = seal_for(
        p,
        scope,
        &key,
        Purpose::PersonalData,
        "email",
        email.as_str().as_bytes(),
    )
    .await?;
    let token = SecretToken::generate();
    let now = now_unix();
    let writes = vec![
        Write::Put(
            key.clone(),
            Attrs::new()
                .string("user_id", id.as_str())
                .string("role", role.as_str())
                .string("status", user_status::INVITED)
                .bytes("name", sealed_name)
                .bytes("email", sealed_email)
                .string("email_hash", email_hash.clone())
                .boolean("email_verified", false)
                .number("created_at", now),
            Condition::NotExists,
        ),
        Write::Put(
            TenantKey::new(scope, Entity::UserEmail(&email_hash)),
            Attrs::new().string("user_id", id.as_str()),
            Condition::NotExists,
        ),
        Write::PutPointer(
            GlobalKey::Invitation(token.hash()),
            scope.tenant_id().clone(),
            Attrs::new()
                .string("user_id", id.as_str())
                .expires_at(now + INVITATION_TTL_SECS),
            Condition::NotExists,
        ),
        event("user.invited", caller, &id, meta).write(scope),
        account_mail(
            p,
            scope,
            &email,
            &name,
            Mail::Invitation {
                name: name.clone(),
                business: tenant.name().to_owned(),
                url: format!(
                    "{}/accept-invitation#token={}",
                    p.config.app_base_url.trim_end_matches('/'),
                    token.expose()
                ),
            },
        )
        .await?,
    ];
    p.store
        .transact(writes)
        .await
        .map_err(super::conflict_as(AccountsError::EmailTaken))?;

    Ok(UserView {
        user_id: id.to_string(),
        name,
        email: email.as_str().to_owned(),
        role: *role,
        status: user_status::INVITED.into(),
        mfa_enabled: false,
        email_verified: false,
    })
}

/// Accepts an invitation: sets the password (policy applies), activates the
/// account and marks its email verified (the link proved it).
pub async fn accept_invitation(
    p: &Platform,
    input: TokenPasswordInput,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    let token = SecretToken::parse(&input.token).ok_or(AccountsError::InvalidToken)?;
    let hash = token.hash();
    let (scope, user_id) = user::follow_link(p, GlobalKey::Invitation(hash.clone())).await?;
    let u = user::load(p, &scope, &user_id)
        .await?
        .ok_or(AccountsError::InvalidToken)?;
    if u.status() != user_status::INVITED {
        return Err(AccountsError::InvalidToken);
    }
    let tenant = user::tenant(p, &scope).await?;
    let update = new_password(p, &scope, &tenant, &u, &input.password)
        .await?
        .string("status", user_status::ACTIVE)
        .boolean("email_verified", true);
    p.store
        .transact(vec![
            Write::DeletePointer(GlobalKey::Invitation(hash), Condition::Exists),
            Write::Update(u.key.clone(), update, Condition::Exists),
            AuditEvent {
                kind: "users",
                action: "user.invitation_accepted",
                actor: u.id.to_string(),
                target: u.id.to_string(),
                client_addr: meta.client_addr.clone(),
                outcome: Outcome::Success,
            }
            .write(&scope),
        ])
        .await
        .map_err(super::conflict_as(AccountsError::InvalidToken))?;
    Ok(())
}

async fn target(p: &Platform, scope: &TenantScope, id: &str) -> Result<User, AccountsError> {
    let id: UserId = id.parse().map_err(|_| AccountsError::NotFound)?;
    user::load(p, scope, &id)
        .await?
        .ok_or(AccountsError::NotFound)
}

async fn active_owner_count(p: &Platform, scope: &TenantScope) -> Result<usize, AccountsError> {
    Ok(p.store
        .list_all(scope, Collection::Users)
        .await?
        .iter()
        .filter(|r| {
            r.optional_string("role") == Some("owner")
                && r.optional_string("status").unwrap_or(user_status::ACTIVE) == user_status::ACTIVE
        })
        .count())
}

/// Refuses a change that would leave no active owner.
async fn keep_an_owner(
    p: &Platform,
    scope: &TenantScope,
    target: &User,
) -> Result<(), AccountsError> {
    if target.role()? == Role::Owner
        && target.status() == user_status::ACTIVE
        && active_owner_count(p, scope).await? < 2
    {
        return Err(AccountsError::LastOwner);
    }
    Ok(())
}

/// `PATCH /users/{user_id}`
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleInput {
    /// The new role.
    #[schema(example = "admin")]
    pub role: String,
}

/// Changes a user's role; their sessions end and their API keys are revoked in
/// the same transaction, so the new role applies from the next request on.
pub async fn change_role(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    target_id: &str,
    input: RoleInput,
    meta: &RequestMeta,
) -> Result<UserView, AccountsError> {
    let role = parse_role(&input.role)?;
    let t = target(p, scope, target_id).await?;
    may_act_on(caller, t.role()?, Some(role))?;
    if role != Role::Owner {
        keep_an_owner(p, scope, &t).await?;
    }
    credentials::revoke_with(
        &p.store,
        scope,
        &t.id,
        Revoke::everything(),
        UserChange::Update(
            Attrs::new().string("role", role.as_str()),
            Condition::Exists,
        ),
        vec![
            event("user.role_changed", caller, &t.id, meta).write(scope),
            security_notice(p, scope, &t, SecurityEvent::RoleChanged { role }).await?,
        ],
    )
    .await
    .map_err(super::conflict_as(AccountsError::NotFound))?;
    let t = target(p, scope, target_id).await?;
    user::view(p, scope, &t).await
}

/// Deactivates a user: they cannot sign in, and every session and API key of
/// theirs ends in the same transaction.
pub async fn deactivate(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    target_id: &str,
    meta: &RequestMeta,
) -> Result<UserView, AccountsError> {
    let t = target(p, scope, target_id).await?;
    may_act_on(caller, t.role()?, None)?;
    keep_an_owner(p, scope, &t).await?;
    credentials::revoke_with(
        &p.store,
        scope,
        &t.id,
        Revoke::everything(),
        UserChange::Update(
            Attrs::new().string("status", user_status::DEACTIVATED),
            Condition::Exists,
        ),
        vec![event("user.deactivated", caller, &t.id, meta).write(scope)],
    )
    .await
    .map_err(super::conflict_as(AccountsError::NotFound))?;
    super::login::end_pending_logins(p, scope, &t.id).await?;
    let t = target(p, scope, target_id).await?;
    user::view(p, scope, &t).await
}

/// `DELETE /users/{user_id}` carries the caller's re-authentication.
pub use super::me::ReauthInput as DeleteUserInput;

/// Permanently deletes a user and their personal data (PRIV-2), after the
/// caller re-authenticates; the deletion is recorded in the audit log.
pub async fn delete(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    target_id: &str,
    input: DeleteUserInput,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    let me = user::load(p, scope, caller.user_id())
        .await?
        .ok_or(AccountsError::NotFound)?;
    reauthenticate(
        p,
        scope,
        &me,
        input.password.as_deref(),
        input.totp_code.as_deref(),
    )
    .await?;
    let t = target(p, scope, target_id).await?;
    may_act_on(caller, t.role()?, None)?;
    keep_an_owner(p, scope, &t).await?;
    let email_hash = t.record.string("email_hash")?.to_owned();
    credentials::revoke_with(
        &p.store,
        scope,
        &t.id,
        Revoke::everything(),
        UserChange::Delete(Condition::Exists),
        vec![
            Write::Delete(
                TenantKey::new(scope, Entity::UserEmail(&email_hash)),
                Condition::None,
            ),
            event("user.deleted", caller, &t.id, meta).write(scope),
        ],
    )
    .await
    .map_err(super::conflict_as(AccountsError::NotFound))?;
    // Their calendars go too: grants revoked, credentials and imported busy
    // time deleted (CAL-5). The user is gone already, so no notice is sent.
    crate::calendar::connect::disconnect_all(
        p,
        scope,
        Some(&t.id),
        &caller.actor(),
        &meta.client_addr,
    )
    .await?;
    Ok(())
}
