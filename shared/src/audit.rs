//! Audit events (AUD-1): who did what to which target, when, from where, with
//! what outcome. Events live in the tenant's own audit partition and are written
//! inside the same transaction as the change they record, and linked into the
//! tenant's hash chain right after (AUD-2, [`chain`]).

pub mod chain;

use serde::Serialize;

use crate::crypto::{hex, random_bytes};
use crate::store::{
    Attrs, Collection, Condition, DueQueue, Entity, Record, Store, StoreError, TenantKey, Write,
};
use crate::tenancy::TenantScope;

/// Whether the audited action succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// It happened.
    Success,
    /// It was refused.
    Failure,
}

/// One security-relevant event.
#[derive(Clone, Debug)]
pub struct AuditEvent {
    /// Area, e.g. `tenant` or `auth`.
    pub kind: &'static str,
    /// What happened, e.g. `tenant.created`.
    pub action: &'static str,
    /// Who did it: a user id, or `anonymous` / `link-token` for unauthenticated actors.
    pub actor: String,
    /// What it was done to, by id.
    pub target: String,
    /// The client address API Gateway saw.
    pub client_addr: String,
    /// Whether it succeeded.
    pub outcome: Outcome,
}

/// An audit event as read back.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Area.
    pub kind: String,
    /// What happened.
    pub action: String,
    /// Who did it.
    pub actor: String,
    /// What it was done to.
    pub target: String,
    /// RFC 3339 time.
    pub time: String,
    /// Client address.
    pub client_addr: String,
    /// `success` or `failure`.
    pub outcome: String,
    /// Its place in the tenant's audit chain (AUD-2); `null` until linked,
    /// which happens within moments of writing.
    pub seq: Option<i64>,
}

impl AuditEvent {
    /// The write that records this event; add it to the transaction that makes
    /// the change, so the record exists exactly when the change does.
    pub fn write(&self, scope: &TenantScope) -> Write {
        self.write_at(scope, chrono::Utc::now())
    }

    /// The write of an event that happened at `at`: for a transaction whose
    /// events were timed before slower work. Its sort key is older than
    /// events committed meanwhile; the chain still links it (chain order is
    /// the order of linking, see [`chain`]).
    pub fn write_at(&self, scope: &TenantScope, at: chrono::DateTime<chrono::Utc>) -> Write {
        let now = at.timestamp();
        let sort_key = format!(
            "{}#{}",
            at.format("%Y-%m-%dT%H:%M:%S%.6fZ"),
            hex(&random_bytes::<8>())
        );
        let outcome = match self.outcome {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        };
        Write::Put(
            TenantKey::new(scope, Entity::AuditEvent(&sort_key)),
            Attrs::new()
                .string("kind", self.kind)
                .string("action", self.action)
                .string("actor", self.actor.clone())
                .string("target", self.target.clone())
                .number("at", now)
                .string("client_addr", self.client_addr.clone())
                .string("outcome", outcome)
                // Until linked: how the scheduled sequencer finds the tenant.
                .due_in(DueQueue::AuditChain, scope, &sort_key, now),
            Condition::NotExists,
        )
    }

    /// Records an event on its own, for refusals that change nothing else, and
    /// links what is waiting into the chain (best effort: the scheduled
    /// sequencer links whatever this leaves).
    pub async fn append(&self, store: &Store, scope: &TenantScope) -> Result<(), StoreError> {
        store.transact(vec![self.write(scope)]).await?;
        if let Err(e) = chain::sequence_after_append(store, scope).await {
            tracing::warn!(error = %e, "audit sequencing after an append failed");
        }
        Ok(())
    }
}

/// The newest `limit` events of a tenant.
pub async fn recent(
    store: &Store,
    scope: &TenantScope,
    limit: i32,
) -> Result<Vec<AuditEntry>, StoreError> {
    Ok(page(store, scope, limit, None).await?.0)
}

/// One page of a tenant's audit log, newest first, with the cursor of the next.
pub async fn page(
    store: &Store,
    scope: &TenantScope,
    limit: i32,
    cursor: Option<&str>,
) -> Result<(Vec<AuditEntry>, Option<String>), StoreError> {
    let page = store.list(scope, Collection::Audit, limit, cursor).await?;
    let entries = page
        .records
        .iter()
        .map(entry)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((entries, page.next))
}

fn entry(r: &Record) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        kind: r.string("kind")?.to_owned(),
        action: r.string("action")?.to_owned(),
        actor: r.string("actor")?.to_owned(),
        target: r.string("target")?.to_owned(),
        time: crate::clock::rfc3339(r.number("at")?),
        client_addr: r.string("client_addr")?.to_owned(),
        outcome: r.string("outcome")?.to_owned(),
        seq: r.number("seq").ok(),
    })
}
