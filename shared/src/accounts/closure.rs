//! Closing a business and restoring it (PRIV-3).
//!
//! Closing is immediate for everyone but the data: the public pages and
//! routes stop (the profile's status is what every public read checks),
//! every session and API key of every user ends, calendars are disconnected
//! at the provider, and every owner is told. The data stays for
//! [`RESTORE_WINDOW_SECS`], during which an owner can sign in (to a session
//! that can do nothing but look at itself, restore and export) and restore
//! it; then the purge job (`accounts::purge`) deletes it and destroys the
//! tenant's root key.

use serde::Serialize;

use super::me::ReauthInput;
use super::notify::security_notice;
use super::user::{self, reauthenticate, User};
use super::{status, AccountsError};
use crate::audit::{AuditEvent, Outcome};
use crate::auth::credentials::{self, Revoke, UserChange};
use crate::auth::Caller;
use crate::http::RequestMeta;
use crate::i18n::SecurityEvent;
use crate::store::{Attrs, Collection, Condition, DueQueue, Entity, StoreError, TenantKey, Write};
use crate::tenancy::{TenantScope, UserId};
use crate::Platform;

/// How long a closed business's data is kept, restorable, before the purge.
pub const RESTORE_WINDOW_SECS: i64 = 60 * 86_400;

/// A closed business, as the owner sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Closure {
    /// `closed`.
    pub status: &'static str,
    /// When it was closed (RFC 3339).
    pub closed_at: String,
    /// From when its data is deleted for good (RFC 3339); until then an
    /// owner can restore it.
    pub purge_after: String,
}

fn event(
    action: &'static str,
    caller: &Caller,
    scope: &TenantScope,
    meta: &RequestMeta,
) -> AuditEvent {
    AuditEvent {
        kind: "tenant",
        action,
        actor: caller.actor(),
        target: scope.tenant_id().to_string(),
        client_addr: meta.client_addr.clone(),
        outcome: Outcome::Success,
    }
}

async fn users(p: &Platform, scope: &TenantScope) -> Result<Vec<User>, AccountsError> {
    let mut out = Vec::new();
    for record in p.store.list_all(scope, Collection::Users).await? {
        let id: UserId = record
            .string("user_id")?
            .parse()
            .map_err(|_| AccountsError::Internal)?;
        out.push(User {
            key: TenantKey::new(scope, Entity::User(&id)),
            id,
            record,
        });
    }
    Ok(out)
}

/// A notice to every active owner, for the transaction of the change.
async fn tell_owners(
    p: &Platform,
    scope: &TenantScope,
    users: &[User],
    what: SecurityEvent,
) -> Result<Vec<Write>, AccountsError> {
    let mut writes = Vec::new();
    for u in users {
        if u.record.optional_string("role") == Some("owner")
            && u.status() == super::user_status::ACTIVE
        {
            writes.push(security_notice(p, scope, u, what.clone()).await?);
        }
    }
    Ok(writes)
}

fn closure_of(profile: &crate::store::Record) -> Result<Closure, AccountsError> {
    Ok(Closure {
        status: status::CLOSED,
        closed_at: crate::clock::rfc3339(profile.number("closed_at")?),
        purge_after: crate::clock::rfc3339(profile.number("purge_after")?),
    })
}

/// Refuses unless the caller proves it is them (password or code).
async fn confirm_it_is_the_owner(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    input: &ReauthInput,
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
    .await
}

/// Closes the business, after the owner re-authenticates. A retry (or a
/// parallel request) of a closing that already happened finishes its
/// revocations and answers the same closure; it is audited once.
pub async fn close(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    input: ReauthInput,
    meta: &RequestMeta,
) -> Result<Closure, AccountsError> {
    confirm_it_is_the_owner(p, scope, caller, &input).await?;
    let tenant = user::tenant(p, scope).await?;
    let everyone = users(p, scope).await?;
    if !tenant.is_closed() {
        let current = tenant
            .profile
            .optional_string("status")
            .unwrap_or(status::ACTIVE)
            .to_owned();
        let now = crate::clock::now_unix();
        let purge_after = now.saturating_add(RESTORE_WINDOW_SECS);
        let mut writes = vec![
            Write::Update(
                TenantKey::new(scope, Entity::Profile),
                Attrs::new()
                    .string("status", status::CLOSED)
                    .string("status_before_closing", current.clone())
                    .number("closed_at", now)
                    .number("purge_after", purge_after)
                    .due_in(
                        DueQueue::Purge,
                        scope,
                        scope.tenant_id().as_str(),
                        purge_after,
                    ),
                Condition::ExistsWithOptionalString("status", Some(current)),
            ),
            event("tenant.closed", caller, scope, meta).write(scope),
        ];
        writes.extend(tell_owners(p, scope, &everyone, SecurityEvent::BusinessClosed).await?);
        match p.store.transact(writes).await {
            // A parallel request closed it first: finish the same way.
            Ok(()) | Err(StoreError::Conflict) => {}
            Err(e) => return Err(e.into()),
        }
    }
    end_every_credential(p, scope, &everyone, caller.user_id()).await?;
    crate::calendar::connect::disconnect_all(p, scope, None, &caller.actor(), &meta.client_addr)
        .await?;
    let profile = user::tenant(p, scope).await?.profile;
    closure_of(&profile)
}

/// Ends every session and API key of every user, the caller's last (so a
/// failure part-way leaves the caller able to retry).
async fn end_every_credential(
    p: &Platform,
    scope: &TenantScope,
    everyone: &[User],
    caller: &UserId,
) -> Result<(), AccountsError> {
    let (me, others): (Vec<&User>, Vec<&User>) = everyone.iter().partition(|u| &u.id == caller);
    for u in others.into_iter().chain(me) {
        match credentials::revoke_with(
            &p.store,
            scope,
            &u.id,
            Revoke::everything(),
            UserChange::Update(Attrs::new(), Condition::Exists),
            Vec::new(),
        )
        .await
        {
            // Deleted meanwhile: nothing of theirs is left to end.
            Ok(_) | Err(StoreError::Conflict) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Restores a closed business within its restore window, after the owner
/// re-authenticates: the public pages open again and every owner is told.
/// The caller's sessions end (they were limited to the closed business); the
/// next sign-in is a full one.
pub async fn restore(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    input: ReauthInput,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    confirm_it_is_the_owner(p, scope, caller, &input).await?;
    let tenant = user::tenant(p, scope).await?;
    let now = crate::clock::now_unix();
    let purge_after = tenant.profile.number("purge_after").unwrap_or(0);
    if !tenant.is_closed() || purge_after <= now {
        return Err(AccountsError::NotFound);
    }
    let before = tenant
        .profile
        .optional_string("status_before_closing")
        .unwrap_or(status::ACTIVE)
        .to_owned();
    let everyone = users(p, scope).await?;
    let mut writes = vec![
        Write::Update(
            TenantKey::new(scope, Entity::Profile),
            Attrs::new()
                .string("status", before)
                .remove("status_before_closing")
                .remove("closed_at")
                .remove("purge_after")
                .not_due(),
            Condition::All(vec![
                Condition::ExistsWithOptionalString("status", Some(status::CLOSED.to_owned())),
                Condition::ExistsWithNumber("purge_after", purge_after),
            ]),
        ),
        event("tenant.restored", caller, scope, meta).write(scope),
    ];
    writes.extend(tell_owners(p, scope, &everyone, SecurityEvent::BusinessRestored).await?);
    p.store
        .transact(writes)
        .await
        .map_err(super::conflict_as(AccountsError::NotFound))?;
    if let Err(e) = credentials::revoke_with(
        &p.store,
        scope,
        caller.user_id(),
        Revoke::sessions(),
        UserChange::Update(Attrs::new(), Condition::Exists),
        Vec::new(),
    )
    .await
    {
        tracing::error!(error = %e, "restored, but the caller's limited sessions were not ended");
    }
    Ok(())
}
