//! The local stack: a serialised moto server standing in for AWS, provisioned
//! with the same resources as template.yaml, and a gateway serving every route
//! from the in-process handlers. Used by `make dev` and by the tests.

pub mod gateway;
pub mod moto;
pub mod provision;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;

/// An SDK configuration pointing every client at a local endpoint with dummy
/// credentials, so no request can reach a real AWS account.
pub fn sdk_config(endpoint: &str) -> SdkConfig {
    sdk_config_in(endpoint, PRIMARY_REGION)
}

/// The region of the local stack `make dev` serves on port 3000 (and of the
/// tests' stacks).
pub const PRIMARY_REGION: &str = "us-east-1";
/// The second regional stack of `make dev` (PRIV-4), on the same moto.
pub const SECOND_REGION: &str = "eu-central-1";

/// [`sdk_config`] for another region of the same local stand-in (moto keeps
/// each region's tables, keys, buckets and mail apart).
pub fn sdk_config_in(endpoint: &str, region: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(region.to_owned()))
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            Credentials::new("testing", "testing", None, None, "local"),
        ))
        .build()
}

/// Starts what AWS runs beside the API: the outbox sender (the stream's part,
/// here a poll of the same records every 250 ms, so mail leaves within a
/// second), the reminder job, the calendar sync and the audit chain jobs
/// (linking every minute, anchoring every hour) on the template's
/// schedules, the daily purge, and the export job every 2 seconds. Dropping
/// the returned handles does not stop them; abort them to.
pub fn start_jobs(platform: &bookwarden_shared::Platform) -> [tokio::task::JoinHandle<()>; 6] {
    let sender = platform.clone();
    let sending = tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_millis(250));
        loop {
            every.tick().await;
            let now = bookwarden_shared::clock::now_unix();
            if let Err(e) = bookwarden_shared::email::outbox::send_recent(&sender, now).await {
                tracing::error!(error = %e, "outbox sender failed");
            }
        }
    });
    let reminder = platform.clone();
    let reminding = tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(
            crate::jobs::REMINDER_INTERVAL_SECS,
        ));
        loop {
            every.tick().await;
            if let Err(e) = crate::jobs::reminders(&reminder).await {
                tracing::error!(error = %e, "reminder job failed");
            }
        }
    });
    let syncer = platform.clone();
    let syncing = tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(
            bookwarden_shared::calendar::sync::SYNC_INTERVAL_SECS.unsigned_abs(),
        ));
        loop {
            every.tick().await;
            if let Err(e) = crate::jobs::calendar_sync(&syncer).await {
                tracing::error!(error = %e, "calendar sync failed");
            }
        }
    });
    let purger = platform.clone();
    let purging = tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(
            crate::jobs::PURGE_INTERVAL_SECS,
        ));
        loop {
            every.tick().await;
            if let Err(e) = crate::jobs::purge(&purger).await {
                tracing::error!(error = %e, "purge failed");
            }
        }
    });
    let exporter = platform.clone();
    let exporting = tokio::spawn(async move {
        // Short, so an export asked for in `make dev` is ready in seconds.
        let mut every = tokio::time::interval(std::time::Duration::from_secs(2));
        loop {
            every.tick().await;
            if let Err(e) = crate::jobs::exports(&exporter).await {
                tracing::error!(error = %e, "export job failed");
            }
        }
    });
    let auditor = platform.clone();
    let auditing = tokio::spawn(async move {
        let mut sequence = tokio::time::interval(std::time::Duration::from_secs(
            crate::jobs::AUDIT_SEQUENCE_INTERVAL_SECS,
        ));
        let mut anchor = tokio::time::interval(std::time::Duration::from_secs(
            crate::jobs::AUDIT_ANCHOR_INTERVAL_SECS,
        ));
        loop {
            tokio::select! {
                _ = sequence.tick() => {
                    if let Err(e) = crate::jobs::audit_sequence(&auditor).await {
                        tracing::error!(error = %e, "audit sequencing failed");
                    }
                }
                _ = anchor.tick() => {
                    if let Err(e) = crate::jobs::audit_anchor(&auditor).await {
                        tracing::error!(error = %e, "audit anchoring failed");
                    }
                }
            }
        }
    });
    [sending, reminding, syncing, purging, exporting, auditing]
}
