//! The durable outbox (MAIL-5): a message SES does not take now is sealed into
//! the tenant's outbox and retried with backoff by a scheduled job, so no email
//! is lost and none is sent twice in normal operation.
//!
//! A job claims an entry by moving its queue entry forward by a lease under a
//! condition (only one job can), sends, then deletes it. A job that dies after
//! sending but before deleting leaves the entry to be retried after the lease.

use serde::Serialize;

use super::{MailError, OutgoingMessage, SignedMessage};
use crate::crypto::{FieldBinding, Purpose};
use crate::store::{Attrs, Condition, Entity, QueueKey, StoreError, TenantKey, Write};
use crate::tenancy::{ItemId, TenantScope};
use crate::Platform;

/// A first retry after a minute, doubling to at most six hours.
const FIRST_RETRY_SECS: i64 = 60;
const MAX_BACKOFF_SECS: i64 = 6 * 3600;
/// After this many failed attempts the entry stays, marked failed, for an operator.
pub const MAX_ATTEMPTS: i64 = 12;
/// How long a claiming job has before another may retry the entry.
const LEASE_SECS: i64 = 600;

/// What happened to a message handed to [`deliver`].
#[derive(Debug, PartialEq, Eq)]
pub enum Delivery {
    /// SES accepted it.
    Sent,
    /// SES was unavailable; it waits in the outbox.
    Queued,
}

fn backoff(attempts: i64) -> i64 {
    (FIRST_RETRY_SECS << attempts.clamp(0, 20)).min(MAX_BACKOFF_SECS)
}

/// Signs and sends a message; when SES fails, keeps it in the tenant's outbox.
/// Signing needs KMS: without it nothing is sent or stored unsigned.
pub async fn deliver(
    p: &Platform,
    scope: &TenantScope,
    message: &OutgoingMessage,
) -> Result<Delivery, MailError> {
    let signed = p.mailer.sign(message).await?;
    match p.mailer.send(&signed).await {
        Ok(()) => Ok(Delivery::Sent),
        Err(MailError::SendUnavailable) => {
            enqueue(p, scope, &signed).await?;
            tracing::warn!("message queued in the outbox");
            Ok(Delivery::Queued)
        }
        Err(e) => Err(e),
    }
}

async fn enqueue(
    p: &Platform,
    scope: &TenantScope,
    signed: &SignedMessage,
) -> Result<(), MailError> {
    let id = ItemId::generate();
    let key = TenantKey::new(scope, Entity::OutboxEntry(id.as_str()));
    let at = FieldBinding {
        pk: key.pk_str(),
        sk: key.sk_str(),
        field: "message",
    };
    let sealed = p
        .envelope
        .seal(scope, Purpose::PersonalData, at, signed.as_bytes())
        .await
        .map_err(|_| MailError::SigningUnavailable)?;
    let now = crate::clock::now_unix();
    let due = now + FIRST_RETRY_SECS;
    p.store
        .transact(vec![
            Write::Put(
                key,
                Attrs::new()
                    .bytes("message", sealed)
                    .number("attempts", 1)
                    .number("created_at", now)
                    .string("status", "queued"),
                Condition::NotExists,
            ),
            Write::Enqueue(
                QueueKey {
                    due,
                    id: id.to_string(),
                },
                scope.tenant_id().clone(),
            ),
        ])
        .await
        .map_err(|_| MailError::SendUnavailable)
}

/// What one run of the retry job did.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct RetryReport {
    /// Delivered now.
    pub sent: usize,
    /// Failed again, requeued with backoff.
    pub requeued: usize,
    /// Gave up after [`MAX_ATTEMPTS`].
    pub failed: usize,
    /// Claimed by another run first.
    pub skipped: usize,
}

/// The scheduled job: retries every due message once.
pub async fn retry_due(p: &Platform, now: i64) -> Result<RetryReport, StoreError> {
    let mut report = RetryReport::default();
    for (tenant, queued) in p.store.due(now, 50).await? {
        let scope = TenantScope::from_resolved(tenant);
        let leased = QueueKey {
            due: now + LEASE_SECS,
            id: queued.id.clone(),
        };
        let claim = p
            .store
            .transact(vec![
                Write::Dequeue(queued, Condition::Exists),
                Write::Enqueue(leased.clone(), scope.tenant_id().clone()),
            ])
            .await;
        match claim {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                report.skipped += 1;
                continue;
            }
            Err(e) => return Err(e),
        }
        let key = TenantKey::new(&scope, Entity::OutboxEntry(&leased.id));
        let Some(entry) = p.store.get(&scope, &key).await? else {
            p.store
                .transact(vec![Write::Dequeue(leased, Condition::None)])
                .await?;
            continue;
        };
        let at = FieldBinding {
            pk: key.pk_str(),
            sk: key.sk_str(),
            field: "message",
        };
        let raw = match p
            .envelope
            .open(&scope, Purpose::PersonalData, at, entry.bytes("message")?)
            .await
        {
            Ok(raw) => raw,
            // KMS is down: leave the lease to expire and retry later.
            Err(_) => continue,
        };
        if p.mailer
            .send(&SignedMessage::from_stored(raw))
            .await
            .is_ok()
        {
            p.store
                .transact(vec![
                    Write::Delete(key, Condition::Exists),
                    Write::Dequeue(leased, Condition::None),
                ])
                .await?;
            report.sent += 1;
            continue;
        }
        let attempts = entry.number_or_zero("attempts") + 1;
        let mut writes = vec![Write::Dequeue(leased.clone(), Condition::None)];
        if attempts >= MAX_ATTEMPTS {
            writes.push(Write::Update(
                key,
                Attrs::new()
                    .number("attempts", attempts)
                    .string("status", "failed"),
                Condition::Exists,
            ));
            tracing::error!(outbox_id = %leased.id, "outbox message given up after repeated failures");
            report.failed += 1;
        } else {
            writes.push(Write::Update(
                key,
                Attrs::new().number("attempts", attempts),
                Condition::Exists,
            ));
            writes.push(Write::Enqueue(
                QueueKey {
                    due: now + backoff(attempts),
                    id: leased.id.clone(),
                },
                scope.tenant_id().clone(),
            ));
            report.requeued += 1;
        }
        p.store.transact(writes).await?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(0), 60);
        assert_eq!(backoff(1), 120);
        assert_eq!(backoff(5), 1920);
        assert_eq!(backoff(30), MAX_BACKOFF_SECS);
    }
}
