//! Scheduled jobs, run by EventBridge in AWS and by a timer in `make dev`.

use bookwarden_shared::email::outbox::{retry_due, RetryReport};
use bookwarden_shared::{telemetry, Platform};

/// How often the outbox job runs (template.yaml schedules the same rate).
pub const OUTBOX_INTERVAL_SECS: u64 = 60;

/// Retries every due outbox message once.
pub async fn outbox(
    platform: &Platform,
) -> Result<RetryReport, bookwarden_shared::store::StoreError> {
    let report = retry_due(platform, bookwarden_shared::clock::now_unix()).await?;
    if report != RetryReport::default() {
        tracing::info!(
            sent = report.sent,
            requeued = report.requeued,
            failed = report.failed,
            "outbox run"
        );
    }
    Ok(report)
}

/// The Lambda entry point of the outbox job.
pub async fn run_outbox_lambda() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let platform = Platform::from_env().await?;
    let platform = &platform;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |_: lambda_runtime::LambdaEvent<serde_json::Value>| async move {
            let report = outbox(platform)
                .await
                .map_err(|e| lambda_runtime::Error::from(e.to_string()))?;
            Ok::<_, lambda_runtime::Error>(serde_json::to_value(report).unwrap_or_default())
        },
    ))
    .await
}
