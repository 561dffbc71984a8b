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
//! - [`export`]: data exports (PRIV-1), archives written by a resumable job;
//! - [`config`] and [`telemetry`]: configuration read once, JSON logs.
//!
//! Domain modules ([`accounts`]) use these and never call the AWS SDK directly.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod aws;
pub mod booking;
pub mod calendar;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod directory;
pub mod email;
pub mod export;
pub mod http;
pub mod i18n;
pub mod net;
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
    /// Export archives and audit-chain anchors.
    pub s3: aws_sdk_s3::Client,
    /// Which region holds each business (PRIV-4); `None` in a single-region
    /// deployment.
    pub directory: Option<directory::Directory>,
    /// Outbound requests to calendar providers and user-supplied URLs
    /// (WEB-6), built on first use: loading the platform's root
    /// certificates is only worth it in functions that call out.
    fetcher: std::sync::Arc<tokio::sync::OnceCell<net::Fetcher>>,
    /// Reads the calendar clients secret.
    secrets: aws_sdk_secretsmanager::Client,
    /// The calendar providers' OAuth clients, read on first use and then
    /// kept for the life of the process (one Secrets Manager call per cold
    /// start of a function that needs them; a failed read is retried on the
    /// next use).
    calendar_clients: std::sync::Arc<tokio::sync::OnceCell<calendar::clients::CalendarClients>>,
}

impl Platform {
    /// Wires the platform from configuration and clients.
    pub fn new(config: config::Config, clients: aws::Clients) -> Self {
        let envelope = std::sync::Arc::new(crypto::Envelope::new(
            clients.kms.clone(),
            config.data_key_id.clone(),
            clients.dynamodb.clone(),
            config.keystore_table.clone(),
        ));
        let directory = config.directory.as_ref().map(|d| {
            let home = clients
                .dynamodb
                .config()
                .to_builder()
                .region(aws_config::Region::new(d.region.clone()))
                .build();
            directory::Directory::new(aws_sdk_dynamodb::Client::from_conf(home), d.table.clone())
        });
        Self {
            directory,
            store: store::Store::new(clients.dynamodb.clone(), config.table_name.clone())
                .with_tenant_clients(store::TenantClients::new(
                    clients.dynamodb,
                    clients.sts,
                    &config.tenant_credentials,
                )),
            envelope,
            mailer: email::Mailer::new(clients.kms, clients.ses, config.clone()),
            s3: clients.s3,
            fetcher: std::sync::Arc::default(),
            secrets: clients.secrets,
            calendar_clients: std::sync::Arc::default(),
            config,
        }
    }

    /// The outbound fetcher under the production [`net::FetchPolicy`].
    pub async fn fetcher(&self) -> Result<&net::Fetcher, net::FetchError> {
        self.fetcher
            .get_or_try_init(|| async { net::Fetcher::new(net::FetchPolicy::default()) })
            .await
    }

    /// The calendar providers' OAuth clients: none when this function has no
    /// `CALENDAR_CLIENTS_SECRET_ID`, otherwise the secret's value, read once.
    pub async fn calendar_clients(
        &self,
    ) -> Result<&calendar::clients::CalendarClients, calendar::clients::ClientsError> {
        self.calendar_clients
            .get_or_try_init(|| async {
                match &self.config.calendar_clients_secret {
                    None => Ok(calendar::clients::CalendarClients::default()),
                    Some(id) => calendar::clients::load(&self.secrets, id).await,
                }
            })
            .await
    }

    /// Test only: the calendar clients come from `secret_id` (read afresh on
    /// next use), so a test can give its platform clients of its own through
    /// Secrets Manager. Exists only with the `test-peers` feature.
    #[cfg(any(test, feature = "test-peers"))]
    pub fn with_calendar_clients_secret(mut self, secret_id: Option<String>) -> Self {
        self.config.calendar_clients_secret = secret_id;
        self.calendar_clients = std::sync::Arc::default();
        self
    }

    /// Test only: outbound requests go through `fetcher` (one that may reach
    /// test peers on loopback). Exists only with the `test-peers` feature,
    /// which no production crate enables.
    #[cfg(any(test, feature = "test-peers"))]
    pub fn with_fetcher(mut self, fetcher: net::Fetcher) -> Self {
        self.fetcher = std::sync::Arc::new(tokio::sync::OnceCell::new_with(Some(fetcher)));
        self
    }

    /// Reads configuration and builds clients from the environment.
    pub async fn from_env() -> Result<Self, config::MissingVar> {
        let config = config::Config::from_env()?;
        if config.tenant_credentials == store::TenantCredentials::FunctionRole {
            tracing::warn!(
                "tenant data uses the function's own credentials (TENANT_ROLE_ARN unset or function-role): ISO-6 narrowing is off"
            );
        }
        let sdk = aws::load_sdk_config().await;
        Ok(Self::new(config, aws::Clients::from_sdk_config(&sdk)))
    }
}

/// Every parser of text from requests (ids, slugs, emails, tokens, roles,
/// second-factor codes, key secrets) accepts or refuses any input without
/// panicking.
#[cfg(test)]
mod parsing_properties {
    use proptest::prelude::*;

    proptest! {
        // The password estimator is the slow part; 64 cases of up to 120
        // characters keep this to seconds.
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn request_text_parses_or_is_refused_without_panicking(text in "\\PC{0,120}", bytes in ".{0,80}") {
            for s in [text.as_str(), bytes.as_str()] {
                let _ = s.parse::<crate::tenancy::UserId>();
                let _ = s.parse::<crate::tenancy::ItemId>();
                let _ = s.parse::<crate::tenancy::Slug>();
                let _ = s.parse::<crate::tenancy::Role>();
                let _ = s.parse::<crate::email::EmailAddress>();
                let _ = crate::crypto::SecretToken::parse(s);
                let _ = crate::auth::api_keys::parse_presented(s);
                let _ = crate::auth::session::token_from_cookie_header(s);
                let _ = crate::auth::mfa::check_totp(&[7u8; 20], s, 1_800_000_000, 0);
                let _ = crate::auth::mfa::recovery_code_hash(s);
                let _ = crate::auth::policy::check_new_password(s, 15, &[s]);
                let _ = s.parse::<chrono_tz::Tz>();
                let _ = s.parse::<chrono::NaiveDate>();
            }
        }
    }
}
