//! Configuration read once per cold start from the environment.
//!
//! Only names and addresses live here; no secret is ever configured through the
//! environment (CRY-5): keys stay in KMS and are referenced by id or alias.

use std::env;

/// Everything a function needs to know about its deployment.
#[derive(Clone, Debug)]
pub struct Config {
    /// The single DynamoDB table.
    pub table_name: String,
    /// The keystore table: one root key per tenant, wrapped by the data key,
    /// kept apart from the main table and its long backups so that deleting
    /// a tenant's entry leaves every copy of its data unreadable (CRY-6).
    pub keystore_table: String,
    /// Bucket of export archives, read through short-lived links (PRIV-1).
    pub export_bucket: String,
    /// Object-locked bucket of audit-chain anchors (AUD-2).
    pub audit_anchor_bucket: String,
    /// KMS key (id, ARN or alias) that wraps data keys for envelope encryption.
    pub data_key_id: String,
    /// KMS asymmetric RSA_2048 SIGN_VERIFY key that DKIM-signs mail.
    pub dkim_key_id: String,
    /// DKIM selector published in DNS under `<selector>._domainkey.<domain>`.
    pub dkim_selector: String,
    /// Domain that mail is sent from and signed for.
    pub mail_domain: String,
    /// Local part of the From address, e.g. `no-reply`.
    pub mail_from_local: String,
    /// SES configuration set for event publishing, if any.
    pub ses_configuration_set: Option<String>,
    /// Base URL of the web application that links in mail point to.
    pub app_base_url: String,
    /// How tenant data gets its credentials (`TENANT_ROLE_ARN`, ISO-6).
    pub tenant_credentials: crate::store::TenantCredentials,
    /// Where the calendar providers live (their published endpoints; tests
    /// point them at local peers).
    pub calendar_endpoints: crate::calendar::providers::Endpoints,
    /// Secrets Manager secret (name or ARN) holding the calendar providers'
    /// OAuth clients (`CALENDAR_CLIENTS_SECRET_ID`): only its id is
    /// configured, the value stays encrypted until read. Unset: this function
    /// offers no OAuth calendar provider.
    pub calendar_clients_secret: Option<String>,
}

/// A required variable is missing or empty.
#[derive(Debug, thiserror::Error)]
#[error("configuration variable {0} is missing or empty")]
pub struct MissingVar(pub &'static str);

fn required(name: &'static str) -> Result<String, MissingVar> {
    match env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(MissingVar(name)),
    }
}

fn optional(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Config {
    /// Reads the configuration; a missing variable stops the cold start rather than
    /// surfacing later as a confusing runtime error.
    pub fn from_env() -> Result<Self, MissingVar> {
        Ok(Self {
            table_name: required("TABLE_NAME")?,
            keystore_table: required("KEYSTORE_TABLE")?,
            export_bucket: required("EXPORT_BUCKET")?,
            audit_anchor_bucket: required("AUDIT_ANCHOR_BUCKET")?,
            data_key_id: required("DATA_KEY_ID")?,
            dkim_key_id: required("DKIM_KEY_ID")?,
            dkim_selector: optional("DKIM_SELECTOR").unwrap_or_else(|| "bookwarden".into()),
            mail_domain: required("MAIL_DOMAIN")?,
            mail_from_local: optional("MAIL_FROM_LOCAL").unwrap_or_else(|| "no-reply".into()),
            ses_configuration_set: optional("SES_CONFIGURATION_SET"),
            app_base_url: required("APP_BASE_URL")?,
            tenant_credentials: crate::store::TenantCredentials::from_env()?,
            calendar_endpoints: crate::calendar::providers::Endpoints::production(),
            calendar_clients_secret: optional("CALENDAR_CLIENTS_SECRET_ID"),
        })
    }

    /// The address every message is sent from.
    pub fn mail_from(&self) -> String {
        format!("{}@{}", self.mail_from_local, self.mail_domain)
    }
}
