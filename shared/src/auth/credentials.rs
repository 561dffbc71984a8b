//! A user's credentials (sessions and API keys) follow the user's state.
//!
//! Authentication reads only the credential's own record (one GetItem), which
//! holds a copy of what it needs from the user: the role, and implicitly that
//! the account is active and the password is the one signed in with. So every
//! change to the user that must stop their credentials (role change,
//! deactivation, deletion, password change or reset) deletes those records in
//! the same transaction as the change itself ([`revoke_with`]), and the next
//! request with any of them is refused.
//!
//! Two attributes of the user item keep that true when sign-ins, key creation
//! and revocations run concurrently:
//! - [`ISSUED`], a fresh random mark written by every transaction that issues a
//!   session or a key. A revoking transaction requires the mark it read before
//!   listing the credentials, so a credential issued after the listing makes it
//!   fail and list again: it cannot miss one.
//! - [`REVOCATIONS`], a count raised by every revoking transaction (which also
//!   requires the count it read). An issuing transaction requires the count it
//!   read with the state it copies (role, status, password), so no credential
//!   is issued from a state that a revocation has replaced meanwhile.

use crate::store::{
    Attrs, Condition, Entity, Record, Store, StoreError, TenantKey, Write, MAX_TRANSACTION_WRITES,
};
use crate::tenancy::{ItemId, TenantScope, UserId};

use super::{api_keys, session};

/// User attribute: the mark of the newest issuance of a session or key.
pub const ISSUED: &str = "credentials_issued";
/// User attribute: how many revoking changes the user has had.
pub const REVOCATIONS: &str = "credential_revocations";

/// How often a revocation lists again after a concurrent issuance.
const ATTEMPTS: usize = 4;

/// Adds the issuance mark to the user update of a transaction that issues a
/// session or an API key.
pub fn issuing(update: Attrs) -> Attrs {
    update.string(ISSUED, ItemId::generate().as_str())
}

/// The condition an issuing transaction puts on the user item: no revocation
/// since `user` (the state the credential copies) was read.
pub fn unrevoked_since(user: &Record) -> Condition {
    Condition::ExistsWithNumber(REVOCATIONS, user.number_or_zero(REVOCATIONS))
}

/// Which of a user's credentials a change ends.
#[derive(Clone, Copy, Debug)]
pub struct Revoke<'a> {
    /// End every session but this one (`None`: every session).
    pub sessions_except: Option<&'a str>,
    /// Also revoke the API keys the user created.
    pub api_keys: bool,
}

impl Revoke<'_> {
    /// Every session and every key (role change, deactivation, deletion).
    pub fn everything() -> Self {
        Self {
            sessions_except: None,
            api_keys: true,
        }
    }

    /// Every session (password reset).
    pub fn sessions() -> Self {
        Self {
            sessions_except: None,
            api_keys: false,
        }
    }
}

impl<'a> Revoke<'a> {
    /// Every session but the current one (password change).
    pub fn other_sessions(current: Option<&'a str>) -> Self {
        Self {
            sessions_except: current,
            api_keys: false,
        }
    }
}

/// The change to the user item that the revocation goes with.
#[derive(Clone, Debug)]
pub enum UserChange {
    /// Update these attributes, under this condition.
    Update(Attrs, Condition),
    /// Delete the user, under this condition.
    Delete(Condition),
}

/// What a revocation ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Revoked {
    /// Sessions ended.
    pub sessions: usize,
    /// API keys revoked.
    pub api_keys: usize,
}

/// Applies `change` to the user item, with `also` (audit events, other items
/// of the change), and ends the credentials `what` names, all in one
/// transaction; the next request with any of them is refused.
///
/// The user change is additionally conditioned on no session or key having
/// been issued since the credentials were listed, and on no other revocation
/// meanwhile; when that fails, the listing is done again (a few times). A
/// conflict that persists, or one caused by the caller's own condition, is
/// returned as [`StoreError::Conflict`] with nothing written by the last
/// attempt.
///
/// When more credentials exist than fit in one transaction next to the change,
/// the excess is ended first, in transactions of its own: ending a credential
/// early is always safe, and whatever remains is ended with the change.
pub async fn revoke_with(
    store: &Store,
    scope: &TenantScope,
    user: &UserId,
    what: Revoke<'_>,
    change: UserChange,
    also: Vec<Write>,
) -> Result<Revoked, StoreError> {
    let user_key = TenantKey::new(scope, Entity::User(user));
    let mut seen: Option<(Option<String>, i64)> = None;
    for _ in 0..ATTEMPTS {
        // The user first, then the listings: anything issued after this read
        // changes the mark the change is conditioned on.
        let Some(record) = store.get(scope, &user_key).await? else {
            return Err(StoreError::Conflict);
        };
        let state = (
            record.optional_string(ISSUED).map(str::to_owned),
            record.number_or_zero(REVOCATIONS),
        );
        if seen.as_ref() == Some(&state) {
            // Nothing was issued or revoked since the last attempt: the
            // caller's own condition failed, and listing again will not help.
            return Err(StoreError::Conflict);
        }
        seen = Some(state.clone());
        let (mark, revocations) = state;

        let mut ends: Vec<Vec<Write>> = Vec::new();
        let mut revoked = Revoked::default();
        for entry in session::entries(store, scope, user).await? {
            if what.sessions_except.is_some() && entry.sort_key().ok() == what.sessions_except {
                continue;
            }
            ends.push(session::end_writes(scope, user, &entry)?);
            revoked.sessions += 1;
        }
        if what.api_keys {
            for entry in api_keys::entries_of(store, scope, user).await? {
                ends.push(api_keys::revoke_writes(scope, &entry)?);
                revoked.api_keys += 1;
            }
        }

        let guard = Condition::All(vec![
            Condition::ExistsWithOptionalString(ISSUED, mark),
            Condition::ExistsWithNumber(REVOCATIONS, revocations),
        ]);
        let mut writes = vec![match change.clone() {
            UserChange::Update(attrs, cond) => Write::Update(
                user_key.clone(),
                attrs.number(REVOCATIONS, revocations + 1),
                Condition::All(vec![cond, guard]),
            ),
            UserChange::Delete(cond) => {
                Write::Delete(user_key.clone(), Condition::All(vec![cond, guard]))
            }
        }];
        writes.extend(also.iter().cloned());

        let room = MAX_TRANSACTION_WRITES.saturating_sub(writes.len());
        let mut pending: usize = ends.iter().map(Vec::len).sum();
        let mut early: Vec<Write> = Vec::new();
        while pending > room {
            let Some(one) = ends.pop() else { break };
            pending -= one.len();
            if early.len() + one.len() > MAX_TRANSACTION_WRITES {
                store.transact(std::mem::take(&mut early)).await?;
            }
            early.extend(one);
        }
        if !early.is_empty() {
            store.transact(early).await?;
        }
        writes.extend(ends.into_iter().flatten());

        match store.transact(writes).await {
            Ok(()) => return Ok(revoked),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Conflict)
}
