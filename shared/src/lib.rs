//! The platform every Bookwarden function stands on.
//!
//! Each module owns one concern and exposes a small surface, so that security
//! properties (tenant isolation, envelope encryption, the HTTP edge) are enforced
//! in one place instead of being re-implemented per route:
//!
//! - [`tenancy`]: tenant ids, principals and the scope every store call needs;
//! - [`store`]: the single DynamoDB table, typed keys and the named global lookups;
//! - [`crypto`]: envelope encryption, tokens, password hashing;
//! - [`http`]: strict request parsing, problem+json, security headers;
//! - [`email`]: MIME building, DKIM signing through KMS, sending through SES;
//! - [`audit`]: security event records;
//! - [`config`] and [`telemetry`]: configuration read once, JSON logs.
//!
//! Domain modules ([`accounts`]) use these and never call the AWS SDK directly.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod aws;
pub mod booking;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod email;
pub mod http;
pub mod store;
pub mod telemetry;
pub mod tenancy;

/// Everything a request handler needs, built once per cold start.
#[derive(Clone, Debug)]
pub struct Platform {
    /// Deployment configuration.
    pub config: config::Config,
    /// The table.
    pub store: store::Store,
    /// Envelope encryption and its data-key cache.
    pub envelope: std::sync::Arc<crypto::Envelope>,
    /// Outgoing mail.
    pub mailer: email::Mailer,
}

impl Platform {
    /// Wires the platform from configuration and clients.
    pub fn new(config: config::Config, clients: aws::Clients) -> Self {
        Self {
            store: store::Store::new(clients.dynamodb, config.table_name.clone()),
            envelope: std::sync::Arc::new(crypto::Envelope::new(
                clients.kms.clone(),
                config.data_key_id.clone(),
            )),
            mailer: email::Mailer::new(clients.kms, clients.ses, config.clone()),
            config,
        }
    }

    /// Reads configuration and builds clients from the environment.
    pub async fn from_env() -> Result<Self, config::MissingVar> {
        let config = config::Config::from_env()?;
        let sdk = aws::load_sdk_config().await;
        Ok(Self::new(config, aws::Clients::from_sdk_config(&sdk)))
    }
}
