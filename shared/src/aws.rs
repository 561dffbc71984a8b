//! AWS clients, built once per cold start and shared by every request.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::SdkConfig;

/// The clients the platform uses.
#[derive(Clone, Debug)]
pub struct Clients {
    /// The table.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// Data keys and DKIM signatures.
    pub kms: aws_sdk_kms::Client,
    /// Outgoing mail.
    pub ses: aws_sdk_sesv2::Client,
    /// Credentials the platform holds for others: the calendar providers'
    /// OAuth clients (encrypted under the data key, never in the environment).
    pub secrets: aws_sdk_secretsmanager::Client,
    /// Tenant-scoped credentials for the table (ISO-6).
    pub sts: aws_sdk_sts::Client,
    /// Export archives (PRIV-1) and audit-chain anchors (AUD-2).
    pub s3: aws_sdk_s3::Client,
}

/// Bounded timeouts and retries, so a failing dependency turns into a fast 503
/// instead of a hung function.
pub async fn load_sdk_config() -> SdkConfig {
    aws_config::from_env()
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(10))
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .load()
        .await
}

impl Clients {
    /// Builds every client from one shared SDK configuration; `AWS_ENDPOINT_URL`
    /// (and the per-service variants) point them at a local stand-in.
    pub fn from_sdk_config(config: &SdkConfig) -> Self {
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            kms: aws_sdk_kms::Client::new(config),
            ses: aws_sdk_sesv2::Client::new(config),
            secrets: aws_sdk_secretsmanager::Client::new(config),
            sts: aws_sdk_sts::Client::new(config),
            s3: s3_client(config),
        }
    }
}

/// S3 addresses buckets by host name in AWS; a local stand-in on one address
/// can only be reached by path.
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(config.endpoint_url().is_some())
            .build(),
    )
}
