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
    /// The region this stack runs in (`AWS_REGION`): its businesses' data,
    /// keys and mail stay here (PRIV-4).
    pub region: String,
    /// The regions a business may choose at sign-up, each with its API's
    /// address (`REGIONS`: `name=https://…` pairs, comma-separated). Empty:
    /// this region only.
    pub regions: Vec<RegionSite>,
    /// The global directory's table and home region (`DIRECTORY_TABLE`,
    /// `DIRECTORY_REGION`); unset in a single-region deployment.
    pub directory: Option<DirectoryLocation>,
    /// Secrets Manager secret (name or ARN) holding the calendar providers'
    /// OAuth clients (`CALENDAR_CLIENTS_SECRET_ID`): only its id is
    /// configured, the value stays encrypted until read. Unset: this function
    /// offers no OAuth calendar provider.
    pub calendar_clients_secret: Option<String>,
}

/// One regional stack a business may live in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionSite {
    /// The AWS region name, e.g. `eu-central-1`.
    pub name: String,
    /// Its API's address (`AppBaseUrl` of that stack).
    pub base_url: String,
}

/// Where the global directory table lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryLocation {
    /// The table's name or ARN.
    pub table: String,
    /// Its home region.
    pub region: String,
}

/// Parses `REGIONS`: `name=https://…` pairs separated by commas. Anything
/// malformed stops the cold start rather than routing somewhere wrong.
pub fn parse_regions(value: &str) -> Result<Vec<RegionSite>, MissingVar> {
    value
        .split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, url) = pair.split_once('=').ok_or(MissingVar("REGIONS"))?;
            let name = name.trim();
            let url = url.trim().trim_end_matches('/');
            let valid_name = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !valid_name || !(url.starts_with("https://") || url.starts_with("http://127.0.0.1"))
            {
                return Err(MissingVar("REGIONS"));
            }
            Ok(RegionSite {
                name: name.to_owned(),
                base_url: url.to_owned(),
            })
        })
        .collect()
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
            region: required("AWS_REGION")?,
            regions: parse_regions(&optional("REGIONS").unwrap_or_default())?,
            directory: match (optional("DIRECTORY_TABLE"), optional("DIRECTORY_REGION")) {
                (Some(table), Some(region)) => Some(DirectoryLocation { table, region }),
                (None, None) => None,
                _ => return Err(MissingVar("DIRECTORY_REGION")),
            },
        })
    }

    /// The address of the stack serving `region`, when a business may live
    /// there: this stack's own for its region.
    pub fn site_of(&self, region: &str) -> Option<&str> {
        if self.regions.is_empty() {
            return (region == self.region).then_some(self.app_base_url.as_str());
        }
        self.regions
            .iter()
            .find(|r| r.name == region)
            .map(|r| r.base_url.as_str())
    }

    /// The address every message is sent from.
    pub fn mail_from(&self) -> String {
        format!("{}@{}", self.mail_from_local, self.mail_domain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_parse_as_names_with_https_addresses_and_nothing_else() {
        let parsed =
            parse_regions("us-east-1=https://us.example.com/, eu-central-1=https://eu.example.com")
                .unwrap();
        assert_eq!(
            parsed,
            vec![
                RegionSite {
                    name: "us-east-1".into(),
                    base_url: "https://us.example.com".into()
                },
                RegionSite {
                    name: "eu-central-1".into(),
                    base_url: "https://eu.example.com".into()
                },
            ]
        );
        assert_eq!(parse_regions("").unwrap(), vec![]);
        for bad in [
            "us-east-1",
            "=https://x.example",
            "US-EAST-1=https://x.example",
            "eu=ftp://x.example",
            "eu=http://x.example",
        ] {
            assert!(parse_regions(bad).is_err(), "{bad}");
        }
    }
}
