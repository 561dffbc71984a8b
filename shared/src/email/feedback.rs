//! Bounces and complaints (MAIL-4). SES publishes them from the configuration
//! set to an SNS topic; a function reads each event, finds the tenant from the
//! message tag the sender set, and puts the recipient's keyed hash on that
//! tenant's suppression list. The sender skips suppressed recipients and
//! records why, so a business stops mailing an address that does not exist or
//! whose owner called its mail spam, and its sending reputation survives.
//!
//! Only permanent bounces suppress: a full mailbox or a greylisting server
//! (transient) may accept mail tomorrow.

use serde::Deserialize;

use crate::audit::{AuditEvent, Outcome};
use crate::store::{Attrs, Condition, Entity, StoreError, TenantKey, Write};
use crate::tenancy::{ResolvedTenant, TenantId, TenantScope};
use crate::Platform;

/// One SES event (event publishing format, as SNS or EventBridge carries it).
#[derive(Debug, Deserialize)]
pub struct SesEvent {
    /// `Bounce`, `Complaint`, `Delivery`, …
    #[serde(rename = "eventType", alias = "notificationType")]
    pub event_type: String,
    /// The message it is about.
    pub mail: SesMail,
    /// Present for bounces.
    #[serde(default)]
    pub bounce: Option<SesBounce>,
    /// Present for complaints.
    #[serde(default)]
    pub complaint: Option<SesComplaint>,
}

/// The message an event is about: only its tags are read.
#[derive(Debug, Deserialize)]
pub struct SesMail {
    /// Message tags, each with its values.
    #[serde(default)]
    pub tags: std::collections::HashMap<String, Vec<String>>,
}

/// A bounce.
#[derive(Debug, Deserialize)]
pub struct SesBounce {
    /// `Permanent`, `Transient` or `Undetermined`.
    #[serde(rename = "bounceType")]
    pub bounce_type: String,
    /// Who bounced.
    #[serde(rename = "bouncedRecipients", default)]
    pub recipients: Vec<SesRecipient>,
}

/// A complaint.
#[derive(Debug, Deserialize)]
pub struct SesComplaint {
    /// Who complained.
    #[serde(rename = "complainedRecipients", default)]
    pub recipients: Vec<SesRecipient>,
}

/// One recipient named by an event.
#[derive(Debug, Deserialize)]
pub struct SesRecipient {
    /// The address.
    #[serde(rename = "emailAddress")]
    pub email_address: String,
}

impl SesEvent {
    /// The tenant that sent the message, from the tag the sender set.
    fn tenant(&self) -> Option<TenantId> {
        let value = self.mail.tags.get(super::mailer::TENANT_TAG)?.first()?;
        TenantId::from_stored(value).ok()
    }

    /// Addresses to suppress and why; nothing for other events.
    fn to_suppress(&self) -> (Vec<&str>, &'static str) {
        match (self.event_type.as_str(), &self.bounce, &self.complaint) {
            ("Bounce", Some(b), _) if b.bounce_type == "Permanent" => (
                b.recipients
                    .iter()
                    .map(|r| r.email_address.as_str())
                    .collect(),
                "bounce",
            ),
            ("Complaint", _, Some(c)) => (
                c.recipients
                    .iter()
                    .map(|r| r.email_address.as_str())
                    .collect(),
                "complaint",
            ),
            _ => (Vec::new(), ""),
        }
    }
}

/// What handling one event did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FeedbackReport {
    /// Recipients added to a suppression list.
    pub suppressed: usize,
    /// Events that needed nothing (deliveries, transient bounces, no tenant).
    pub ignored: usize,
}

/// Puts the recipients of a permanent bounce or a complaint on the sending
/// tenant's suppression list (idempotent: SNS may deliver an event twice).
pub async fn record(p: &Platform, event: &SesEvent) -> Result<FeedbackReport, StoreError> {
    let (addresses, reason) = event.to_suppress();
    let Some(tenant) = event.tenant().filter(|_| !addresses.is_empty()) else {
        return Ok(FeedbackReport {
            ignored: 1,
            ..FeedbackReport::default()
        });
    };
    let scope = TenantScope::from_resolved(ResolvedTenant::from_store(tenant));
    let Ok(profile) = crate::accounts::user::tenant(p, &scope).await else {
        return Ok(FeedbackReport {
            ignored: 1,
            ..FeedbackReport::default()
        });
    };
    let lookup = profile
        .lookup_key(p, &scope)
        .await
        .map_err(|_| StoreError::Unavailable)?;
    let mut report = FeedbackReport::default();
    for address in addresses {
        let Ok(email) = address.parse() else {
            continue;
        };
        let hash = crate::booking::preferences::recipient(&lookup, &email);
        p.store
            .transact(vec![
                Write::Put(
                    TenantKey::new(&scope, Entity::Suppressed(&hash)),
                    Attrs::new()
                        .string("reason", reason)
                        .number("at", crate::clock::now_unix()),
                    Condition::None,
                ),
                AuditEvent {
                    kind: "mail",
                    action: "mail.suppressed",
                    actor: "ses".into(),
                    target: hash.chars().take(16).collect(),
                    client_addr: String::new(),
                    outcome: Outcome::Success,
                }
                .write(&scope),
            ])
            .await?;
        tracing::info!(reason, "recipient suppressed");
        report.suppressed += 1;
    }
    Ok(report)
}

/// The events in a Lambda invocation from SNS (`Records[].Sns.Message`, a JSON
/// string) or EventBridge (`detail`); unreadable ones are skipped and logged.
pub fn events_of(invocation: &serde_json::Value) -> Vec<SesEvent> {
    let parse = |v: serde_json::Value| match serde_json::from_value::<SesEvent>(v) {
        Ok(e) => Some(e),
        Err(_) => {
            tracing::warn!("unreadable SES event skipped");
            None
        }
    };
    if let Some(detail) = invocation.get("detail") {
        return parse(detail.clone()).into_iter().collect();
    }
    invocation
        .get("Records")
        .and_then(|r| r.as_array())
        .into_iter()
        .flatten()
        .filter_map(|r| r.pointer("/Sns/Message")?.as_str())
        .filter_map(|m| serde_json::from_str(m).ok())
        .filter_map(parse)
        .collect()
}
