//! The purge (PRIV-3, CRY-6): closed businesses whose restore window ended
//! lose their root key first, so every copy of their sealed data (the
//! table's backups included) becomes unreadable at once, and then every item,
//! in bounded pages under a time budget. An interrupted purge continues on
//! the next run: the profile, which keeps the business in the `Due` index,
//! is deleted last.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use super::status;
use crate::store::{DueQueue, Entity, StoreError, TenantKey, TenantPartition};
use crate::tenancy::{TenantScope, UserId};
use crate::Platform;

/// Items read and deleted per page.
const PAGE: i32 = 100;
/// Businesses one run looks at.
const BATCH: i32 = 50;

/// What one run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PurgeReport {
    /// Businesses deleted completely.
    pub purged: usize,
    /// Items deleted (global pointers included).
    pub items: usize,
    /// Whether work is left for the next run (the budget ran out).
    pub more: bool,
}

/// Purges every closed business whose restore window ended by `now`,
/// stopping once `budget` is spent.
pub async fn run_due(p: &Platform, now: i64, budget: Duration) -> Result<PurgeReport, StoreError> {
    let deadline = Instant::now() + budget;
    let mut report = PurgeReport::default();
    for due in p.store.due(DueQueue::Purge, now, now, BATCH).await? {
        let scope = TenantScope::from_resolved(due.tenant);
        if !still_due(p, &scope, now).await? {
            continue;
        }
        match purge(p, &scope, deadline, &mut report).await? {
            true => {
                report.purged += 1;
                tracing::info!(tenant_id = %scope.tenant_id(), "business purged");
            }
            false => {
                report.more = true;
                return Ok(report);
            }
        }
    }
    Ok(report)
}

/// The index is read eventually consistently and a restore may have raced
/// it: the profile, read strongly, decides.
async fn still_due(p: &Platform, scope: &TenantScope, now: i64) -> Result<bool, StoreError> {
    let Some(profile) = p
        .store
        .get(scope, &TenantKey::new(scope, Entity::Profile))
        .await?
    else {
        return Ok(false);
    };
    Ok(profile.optional_string("status") == Some(status::CLOSED)
        && profile.number("purge_after").is_ok_and(|t| t <= now))
}

/// Deletes one business; `false` when the deadline came first (what was
/// deleted stays deleted; the next run continues).
async fn purge(
    p: &Platform,
    scope: &TenantScope,
    deadline: Instant,
    report: &mut PurgeReport,
) -> Result<bool, StoreError> {
    p.envelope
        .destroy_tenant_key(scope.tenant_id())
        .await
        .map_err(|_| StoreError::Unavailable)?;
    delete_export_archives(p, scope).await?;
    let (staff, connections) = partitions_named(p, scope).await?;
    let mut partitions: Vec<TenantPartition<'_>> = Vec::new();
    for u in &staff {
        partitions.extend([
            TenantPartition::Sessions(u),
            TenantPartition::Claims(u),
            TenantPartition::BusyBlocks(u),
        ]);
    }
    for c in &connections {
        partitions.push(TenantPartition::CalendarBlocks(c));
    }
    partitions.extend([
        TenantPartition::Calendars,
        TenantPartition::Outbox,
        TenantPartition::Audit,
        TenantPartition::AuditHead,
        TenantPartition::Core,
    ]);
    // A run stops only after deleting something, so every run makes
    // progress (empty partitions cost one read each).
    for partition in partitions {
        loop {
            let page = p.store.purge_page(scope, partition, PAGE).await?;
            report.items += page.deleted;
            if page.deleted > 0 && Instant::now() >= deadline {
                return Ok(false);
            }
            if page.done {
                break;
            }
        }
    }
    // The slug goes with the profile: only now may someone else take it.
    let profile = p
        .store
        .get(scope, &TenantKey::new(scope, Entity::Profile))
        .await?;
    if let Some(slug) = profile
        .as_ref()
        .and_then(|r| r.optional_string("slug"))
        .and_then(|s| s.parse::<crate::tenancy::Slug>().ok())
    {
        if let Some(directory) = &p.directory {
            directory.release(&slug, scope.tenant_id()).await?;
        }
        p.store
            .transact(vec![crate::store::Write::DeletePointer(
                crate::store::GlobalKey::Slug(slug),
                crate::store::Condition::None,
            )])
            .await?;
        report.items += 1;
    }
    let page = p
        .store
        .purge_page(scope, TenantPartition::Profile, 1)
        .await?;
    report.items += page.deleted;
    Ok(true)
}

/// The ids behind the tenant's per-user and per-connection partitions: users,
/// anyone with hours, anyone booked or busy on the timeline, and every
/// connection. Found before anything is deleted, and found again by a run
/// that continues (whatever was deleted already has no items left).
async fn partitions_named(
    p: &Platform,
    scope: &TenantScope,
) -> Result<(BTreeSet<UserId>, BTreeSet<String>), StoreError> {
    let mut staff = BTreeSet::new();
    let mut connections = BTreeSet::new();
    let mut consider = |id: &str| {
        if let Ok(u) = id.parse::<UserId>() {
            staff.insert(u);
        }
    };
    for r in p
        .store
        .list_all(scope, crate::store::Collection::Users)
        .await?
    {
        if let Some(u) = r.sort_key()?.strip_prefix("USER#") {
            consider(u);
        }
    }
    for r in p
        .store
        .list_between(
            scope,
            crate::store::Collection::TenantContext,
            "TENANT",
            "TENANT~",
        )
        .await?
    {
        if let Some(u) = r.sort_key()?.strip_prefix("TENANT#SCHEDULE#") {
            consider(u);
        }
    }
    // Everything ever booked or imported (times are seconds since 1970, and
    // the timeline holds nothing beyond year 5000).
    for r in p.store.timeline(scope, 0, 99_999_999_999).await? {
        if let Some(u) = r.optional_string("staff_id") {
            consider(u);
        }
    }
    for r in p
        .store
        .list_all(scope, crate::store::Collection::CalendarConnections)
        .await?
    {
        if let Some(c) = r.sort_key()?.strip_prefix("CONN#") {
            connections.insert(c.to_owned());
        }
    }
    Ok((staff, connections))
}

/// Deletes the business's export archives (PRIV-1) while their records still
/// name them; unfinished pieces expire with the bucket's two-day lifecycle.
async fn delete_export_archives(p: &Platform, scope: &TenantScope) -> Result<(), StoreError> {
    for r in p
        .store
        .list_between(
            scope,
            crate::store::Collection::TenantContext,
            "EXPORT#",
            "EXPORT#~",
        )
        .await?
    {
        let Some(id) = r.sort_key()?.strip_prefix("EXPORT#").map(str::to_owned) else {
            continue;
        };
        p.s3.delete_object()
            .bucket(&p.config.export_bucket)
            .key(crate::export::archive_key(scope, &id))
            .send()
            .await
            .map_err(|e| {
                tracing::error!(error = %aws_sdk_s3::error::DisplayErrorContext(&e), "export archive not deleted");
                StoreError::Unavailable
            })?;
    }
    Ok(())
}
