//! Functions not behind the API: the outbox sender driven by the table's
//! stream, the scheduled safety net for what the stream could not deliver, and
//! the reminder job. In AWS they are Lambda functions (template.yaml); in
//! `make dev` the local stack runs the same code on timers.

use bookwarden_shared::booking::reminders::{self, ReminderReport};
use bookwarden_shared::email::outbox::{self, SendReport};
use bookwarden_shared::store::StoreError;
use bookwarden_shared::{telemetry, Platform};
use serde::{Deserialize, Serialize};

/// How often the safety net runs (template.yaml schedules the same rate).
pub const OUTBOX_INTERVAL_SECS: u64 = 60;
/// How often the reminder job runs (template.yaml schedules the same rate).
pub const REMINDER_INTERVAL_SECS: u64 = 300;
/// How often unlinked audit events are linked (template.yaml schedules the same rate).
pub const AUDIT_SEQUENCE_INTERVAL_SECS: u64 = 60;
/// How often moved audit chain heads are anchored (template.yaml schedules the same rate).
pub const AUDIT_ANCHOR_INTERVAL_SECS: u64 = 3600;
/// Connections one calendar sync pass takes from the queue.
pub const CALENDAR_SYNC_BATCH: i32 = 200;
/// How long a pass keeps starting syncs: well inside the function's timeout
/// (template.yaml), so started syncs finish and record; the rest stay due.
pub const CALENDAR_SYNC_BUDGET: std::time::Duration = std::time::Duration::from_secs(240);

/// How often the export job runs (template.yaml schedules the same rate).
pub const EXPORT_INTERVAL_SECS: u64 = 60;
/// How long an export run keeps writing before it stores a checkpoint: well
/// inside the function's timeout (template.yaml: 900 s), and shorter than
/// the claim ([`bookwarden_shared::export::LEASE_SECS`]).
pub const EXPORT_BUDGET: std::time::Duration = std::time::Duration::from_secs(600);

/// Writes (more of) the archives of due data exports (PRIV-1).
pub async fn exports(
    platform: &Platform,
) -> Result<bookwarden_shared::export::RunReport, StoreError> {
    let report = bookwarden_shared::export::run_due(
        platform,
        bookwarden_shared::clock::now_unix(),
        EXPORT_BUDGET,
    )
    .await?;
    if report != Default::default() {
        tracing::info!(
            finished = report.finished,
            paused = report.paused,
            failed = report.failed,
            skipped = report.skipped,
            errors = report.errors,
            "export run"
        );
    }
    Ok(report)
}

/// Sends every outbox entry the stream has not finished, once due.
pub async fn outbox(platform: &Platform) -> Result<SendReport, StoreError> {
    let report = outbox::send_due(platform, bookwarden_shared::clock::now_unix()).await?;
    if report != SendReport::default() {
        tracing::info!(
            sent = report.sent,
            deferred = report.deferred,
            failed = report.failed,
            skipped = report.skipped,
            "outbox safety net run"
        );
    }
    Ok(report)
}

/// Queues every reminder that is due.
pub async fn reminders(platform: &Platform) -> Result<ReminderReport, StoreError> {
    let report = reminders::send_due(platform, bookwarden_shared::clock::now_unix()).await?;
    if report != ReminderReport::default() {
        tracing::info!(
            queued = report.queued,
            dropped = report.dropped,
            skipped = report.skipped,
            "reminder run"
        );
    }
    Ok(report)
}

/// Syncs the calendar connections that are due (CAL-3).
pub async fn calendar_sync(
    platform: &Platform,
) -> Result<bookwarden_shared::calendar::sync::PassReport, StoreError> {
    let report = bookwarden_shared::calendar::sync::run_due(
        platform,
        bookwarden_shared::clock::now_unix(),
        CALENDAR_SYNC_BATCH,
        CALENDAR_SYNC_BUDGET,
    )
    .await;
    if report != Default::default() {
        tracing::info!(
            synced = report.synced,
            failed = report.failed,
            skipped = report.skipped,
            more = report.more,
            "calendar sync pass"
        );
    }
    Ok(report)
}

/// How often the purge runs (template.yaml schedules the same rate).
pub const PURGE_INTERVAL_SECS: u64 = 86_400;
/// How long one purge run keeps deleting: well inside the function's timeout
/// (template.yaml); what is left continues on the next run.
pub const PURGE_BUDGET: std::time::Duration = std::time::Duration::from_secs(600);

/// Purges closed businesses whose restore window ended (PRIV-3).
pub async fn purge(
    platform: &Platform,
) -> Result<bookwarden_shared::accounts::purge::PurgeReport, StoreError> {
    let report = bookwarden_shared::accounts::purge::run_due(
        platform,
        bookwarden_shared::clock::now_unix(),
        PURGE_BUDGET,
    )
    .await?;
    if report != Default::default() {
        tracing::info!(
            purged = report.purged,
            items = report.items,
            more = report.more,
            "purge run"
        );
    }
    Ok(report)
}

/// Links every tenant's unlinked audit events into its chain (AUD-2).
pub async fn audit_sequence(
    platform: &Platform,
) -> Result<bookwarden_shared::audit::chain::SequenceReport, StoreError> {
    let report = bookwarden_shared::audit::chain::sequence_due(
        &platform.store,
        bookwarden_shared::clock::now_unix(),
    )
    .await?;
    if report.linked > 0 {
        tracing::info!(
            tenants = report.tenants,
            linked = report.linked,
            "audit sequencing run"
        );
    }
    Ok(report)
}

/// The Lambda entry point of the purge.
pub async fn run_purge_lambda() -> Result<(), lambda_runtime::Error> {
    run_scheduled(|p| Box::pin(purge(p))).await
}

/// Writes every audit chain head that moved since its last anchor to the
/// object-locked anchor bucket (AUD-2).
pub async fn audit_anchor(
    platform: &Platform,
) -> Result<bookwarden_shared::audit::chain::AnchorReport, StoreError> {
    let report = bookwarden_shared::audit::chain::anchor_due(
        &platform.store,
        &platform.s3,
        &platform.config.audit_anchor_bucket,
        bookwarden_shared::clock::now_unix(),
    )
    .await?;
    if report != Default::default() {
        tracing::info!(
            anchored = report.anchored,
            skipped = report.skipped,
            "audit anchoring run"
        );
    }
    Ok(report)
}

/// A DynamoDB stream event as Lambda delivers it; only what the sender reads.
#[derive(Debug, Deserialize)]
pub struct StreamEvent {
    /// The batch.
    #[serde(rename = "Records", default)]
    pub records: Vec<StreamRecord>,
}

/// One change record.
#[derive(Debug, Deserialize)]
pub struct StreamRecord {
    /// The change's details.
    pub dynamodb: StreamChange,
}

/// The keys of the changed item and its position in the shard.
#[derive(Debug, Deserialize)]
pub struct StreamChange {
    /// `PK` and `SK` as DynamoDB JSON.
    #[serde(rename = "Keys")]
    pub keys: StreamKeys,
    /// Identifies the record for partial batch failure reports.
    #[serde(rename = "SequenceNumber")]
    pub sequence_number: String,
}

/// The table's key attributes in DynamoDB JSON.
#[derive(Debug, Deserialize)]
pub struct StreamKeys {
    /// Partition key.
    #[serde(rename = "PK")]
    pub pk: StringValue,
    /// Sort key.
    #[serde(rename = "SK")]
    pub sk: StringValue,
}

/// A DynamoDB JSON string value.
#[derive(Debug, Deserialize)]
pub struct StringValue {
    /// The string.
    #[serde(rename = "S")]
    pub s: String,
}

/// Records Lambda should retry (partial batch response): only those after
/// the first failure, so nothing is retried that did not fail and order holds.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct BatchResponse {
    /// The failed records.
    #[serde(rename = "batchItemFailures")]
    pub batch_item_failures: Vec<ItemFailure>,
}

/// One record to retry.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ItemFailure {
    /// The record's sequence number.
    #[serde(rename = "itemIdentifier")]
    pub item_identifier: String,
}

/// Sends the outbox entries named by a batch of stream records. Records that
/// are not outbox entries are ignored (the event source filter should not let
/// them through). A record whose entry could not be worked on because the
/// table was unavailable is reported for retry with everything after it; an
/// entry that SES or KMS refused stays with the safety net and its backoff.
pub async fn send_stream_batch(platform: &Platform, event: StreamEvent) -> BatchResponse {
    let now = bookwarden_shared::clock::now_unix();
    let mut response = BatchResponse::default();
    for record in event.records {
        let keys = &record.dynamodb.keys;
        let Some((scope, id)) = outbox::entry_of(&keys.pk.s, &keys.sk.s) else {
            continue;
        };
        let failed_before = !response.batch_item_failures.is_empty();
        if failed_before
            || outbox::send_entry(platform, &scope, &id, now)
                .await
                .is_err()
        {
            response.batch_item_failures.push(ItemFailure {
                item_identifier: record.dynamodb.sequence_number,
            });
        }
    }
    response
}

async fn run_scheduled<R: Serialize, F>(job: F) -> Result<(), lambda_runtime::Error>
where
    F: for<'a> Fn(
            &'a Platform,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<R, StoreError>> + Send + 'a>,
        > + Copy,
{
    telemetry::init();
    let platform = Platform::from_env().await?;
    let platform = &platform;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |_: lambda_runtime::LambdaEvent<serde_json::Value>| async move {
            let report = job(platform)
                .await
                .map_err(|e| lambda_runtime::Error::from(e.to_string()))?;
            Ok::<_, lambda_runtime::Error>(serde_json::to_value(report).unwrap_or_default())
        },
    ))
    .await
}

/// The Lambda entry point of the scheduled calendar sync.
pub async fn run_calendar_sync_lambda() -> Result<(), lambda_runtime::Error> {
    run_scheduled(|p| Box::pin(calendar_sync(p))).await
}

/// The Lambda entry point of the export job.
pub async fn run_export_lambda() -> Result<(), lambda_runtime::Error> {
    run_scheduled(|p| Box::pin(exports(p))).await
}

/// The Lambda entry point of the audit sequencer.
pub async fn run_audit_sequence_lambda() -> Result<(), lambda_runtime::Error> {
    run_scheduled(|p| Box::pin(audit_sequence(p))).await
}

/// The Lambda entry point of the audit anchor job.
pub async fn run_audit_anchor_lambda() -> Result<(), lambda_runtime::Error> {
    run_scheduled(|p| Box::pin(audit_anchor(p))).await
}

/// The Lambda entry point of the outbox safety net.
pub async fn run_outbox_lambda() -> Result<(), lambda_runtime::Error> {
    run_scheduled(|p| Box::pin(outbox(p))).await
}

/// The Lambda entry point of the reminder job.
pub async fn run_reminder_lambda() -> Result<(), lambda_runtime::Error> {
    run_scheduled(|p| Box::pin(reminders(p))).await
}

/// The Lambda entry point of the stream sender.
pub async fn run_sender_lambda() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let platform = Platform::from_env().await?;
    let platform = &platform;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<StreamEvent>| async move {
            Ok::<_, lambda_runtime::Error>(send_stream_batch(platform, event.payload).await)
        },
    ))
    .await
}

/// Handles SES bounce and complaint events (SNS or EventBridge delivery).
/// A table failure fails the invocation so the delivery is retried.
pub async fn record_feedback(
    platform: &Platform,
    invocation: &serde_json::Value,
) -> Result<bookwarden_shared::email::feedback::FeedbackReport, StoreError> {
    use bookwarden_shared::email::feedback;
    let mut total = feedback::FeedbackReport::default();
    for event in feedback::events_of(invocation) {
        // Boxed: the future is deep enough to exceed the compiler's layout limit.
        let report = Box::pin(feedback::record(platform, &event)).await?;
        total.suppressed += report.suppressed;
        total.ignored += report.ignored;
    }
    Ok(total)
}

/// The Lambda entry point of the bounce and complaint handler.
pub async fn run_feedback_lambda() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let platform = Platform::from_env().await?;
    let platform = &platform;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<serde_json::Value>| async move {
            let report = record_feedback(platform, &event.payload)
                .await
                .map_err(|e| lambda_runtime::Error::from(e.to_string()))?;
            Ok::<_, lambda_runtime::Error>(serde_json::json!({
                "suppressed": report.suppressed,
                "ignored": report.ignored,
            }))
        },
    ))
    .await
}
