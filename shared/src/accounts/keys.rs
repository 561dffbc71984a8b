//! API key management (AUTH-5) with validation, audit and notification.

use serde::Deserialize;

use super::notify::{queue_security_notice, security_notice};
use super::user;
use super::AccountsError;
use crate::audit::{AuditEvent, Outcome};
use crate::auth::api_keys::{self, CreatedKey, KeyView, MAX_LIFETIME_DAYS};
use crate::auth::{credentials, Caller, Scope};
use crate::http::{FieldError, RequestMeta};
use crate::i18n::SecurityEvent;
use crate::store::{Attrs, Condition, Write};
use crate::tenancy::TenantScope;
use crate::Platform;

/// `POST /api-keys`
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyInput {
    /// A name to recognise the key by.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Any of `read`, `bookings:write`, `admin`.
    #[schema(min_items = 1, max_items = 3)]
    pub scopes: Vec<String>,
    /// 1–365 days.
    #[schema(minimum = 1, maximum = 365)]
    pub expires_in_days: i64,
}

fn event(action: &'static str, caller: &Caller, key_id: &str, meta: &RequestMeta) -> AuditEvent {
    AuditEvent {
        kind: "api_keys",
        action,
        actor: caller.actor(),
        target: key_id.to_owned(),
        client_addr: meta.client_addr.clone(),
        outcome: Outcome::Success,
    }
}

/// Creates a key; the secret is in the answer and nowhere else.
pub async fn create(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    input: CreateKeyInput,
    meta: &RequestMeta,
) -> Result<CreatedKey, AccountsError> {
    let mut errors = Vec::new();
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        errors.push(FieldError {
            field: "name",
            message: "must be 1 to 100 characters without control characters".into(),
        });
    }
    let scopes: Vec<Option<Scope>> = input.scopes.iter().map(|s| Scope::parse(s)).collect();
    if scopes.is_empty() || scopes.len() > 3 || scopes.iter().any(Option::is_none) {
        errors.push(FieldError {
            field: "scopes",
            message: "must list one or more of read, bookings:write, admin".into(),
        });
    }
    if !(1..=MAX_LIFETIME_DAYS).contains(&input.expires_in_days) {
        errors.push(FieldError {
            field: "expires_in_days",
            message: format!("must be between 1 and {MAX_LIFETIME_DAYS}"),
        });
    }
    if !errors.is_empty() {
        return Err(AccountsError::Invalid(errors));
    }
    let mut scopes: Vec<Scope> = scopes.into_iter().flatten().collect();
    scopes.dedup();
    // The key copies the creator's role: it is issued only from the account as
    // it is (active, that role) and only if no revocation came since.
    let me = user::load(p, scope, caller.user_id())
        .await?
        .ok_or(AccountsError::NotFound)?;
    if me.status() != super::user_status::ACTIVE || me.role()? != caller.role() {
        return Err(AccountsError::Forbidden);
    }
    let (created, mut writes) = api_keys::create(
        scope,
        caller.user_id(),
        caller.role(),
        name,
        &scopes,
        input.expires_in_days,
    );
    writes.push(Write::Update(
        me.key.clone(),
        credentials::issuing(Attrs::new()),
        Condition::All(vec![
            Condition::ExistsWithString("role", caller.role().as_str().to_owned()),
            credentials::unrevoked_since(&me.record),
        ]),
    ));
    writes.push(event("api_key.created", caller, &created.id, meta).write(scope));
    writes.push(
        security_notice(
            p,
            scope,
            &me,
            SecurityEvent::ApiKeyCreated {
                key_name: name.to_owned(),
            },
        )
        .await?,
    );
    p.store
        .transact(writes)
        .await
        .map_err(super::conflict_as(AccountsError::Forbidden))?;
    Ok(created)
}

/// The tenant's keys, without secrets.
pub async fn list(p: &Platform, scope: &TenantScope) -> Result<Vec<KeyView>, AccountsError> {
    Ok(api_keys::list(&p.store, scope).await?)
}

/// Revokes a key; the next request with it is refused.
pub async fn revoke(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    id: &str,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    let revoked_event = event("api_key.revoked", caller, id, meta).write(scope);
    let revoked = api_keys::revoke(&p.store, scope, id, vec![revoked_event])
        .await?
        .ok_or(AccountsError::NotFound)?;
    if let Some(me) = user::load(p, scope, caller.user_id()).await? {
        let event = SecurityEvent::ApiKeyRevoked {
            key_name: revoked.name,
        };
        queue_security_notice(p, scope, &me, event).await;
    }
    Ok(())
}
