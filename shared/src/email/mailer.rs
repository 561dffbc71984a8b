//! Building, signing and sending one message.

use std::str::FromStr;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{MessageType, SigningAlgorithmSpec};
use aws_sdk_sesv2::types::{EmailContent, RawMessage};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment as LettreAttachment, Mailbox, MultiPart, SinglePart};
use lettre::Message;

use super::dkim::dkim_signing_input;
use crate::config::Config;

/// The SES message tag naming the sending tenant.
pub const TENANT_TAG: &str = "tenant";

/// KMS Sign accepts at most this many bytes of RAW input.
const KMS_RAW_LIMIT: usize = 4096;

/// A syntactically valid email address, normalised for lookups (lowercased
/// domain; the local part is kept as typed for delivery).
#[derive(Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

/// The text is not a deliverable address.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("is not a valid email address")]
pub struct InvalidEmail;

impl FromStr for EmailAddress {
    type Err = InvalidEmail;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        if trimmed.len() > 254 || trimmed.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(InvalidEmail);
        }
        let address = lettre::Address::from_str(trimmed).map_err(|_| InvalidEmail)?;
        if !address.domain().contains('.') {
            return Err(InvalidEmail);
        }
        Ok(Self(format!(
            "{}@{}",
            address.user(),
            address.domain().to_ascii_lowercase()
        )))
    }
}

impl EmailAddress {
    /// The address for delivery.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for keyed lookup hashes: fully lowercased.
    pub fn lookup_form(&self) -> String {
        self.0.to_lowercase()
    }
}

impl std::fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EmailAddress(<redacted>)")
    }
}

/// A plain-text transactional message.
#[derive(Clone, Debug)]
pub struct OutgoingMessage {
    /// Recipient.
    pub to: EmailAddress,
    /// Recipient's display name.
    pub to_name: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// Files attached after the text (e.g. an iCalendar invitation).
    pub attachments: Vec<Attachment>,
    /// For reminder-type mail: the RFC 8058 one-click unsubscribe URL, sent as
    /// `List-Unsubscribe` with `List-Unsubscribe-Post` (both DKIM-signed).
    pub list_unsubscribe: Option<String>,
}

/// A file attached to a message.
#[derive(Clone, Debug)]
pub struct Attachment {
    /// File name shown to the recipient.
    pub filename: String,
    /// Full media type, e.g. `text/calendar; charset=utf-8; method=PUBLISH`.
    pub content_type: String,
    /// Content.
    pub bytes: Vec<u8>,
}

/// A DKIM-signed RFC 5322 message ready to hand to SES.
#[derive(Clone)]
pub struct SignedMessage(Vec<u8>);

impl SignedMessage {
    /// A signed message read back from the outbox.
    pub fn from_stored(raw: Vec<u8>) -> Self {
        Self(raw)
    }

    /// The raw bytes as sent.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SignedMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SignedMessage({} bytes)", self.0.len())
    }
}

/// Why a message was not signed or sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The message could not be built (a bug or an unusable address).
    #[error("message could not be built")]
    Build,
    /// KMS refused or could not be reached; nothing is sent unsigned.
    #[error("signing unavailable")]
    SigningUnavailable,
    /// SES refused or could not be reached.
    #[error("sending unavailable")]
    SendUnavailable,
}

/// Builds, signs and sends mail for one sending domain.
#[derive(Clone, Debug)]
pub struct Mailer {
    kms: aws_sdk_kms::Client,
    ses: aws_sdk_sesv2::Client,
    config: Config,
}

impl Mailer {
    /// A mailer using the configured domain, selector and DKIM key.
    pub fn new(kms: aws_sdk_kms::Client, ses: aws_sdk_sesv2::Client, config: Config) -> Self {
        Self { kms, ses, config }
    }

    /// Builds the MIME message and DKIM-signs it through KMS. Separate from
    /// [`Mailer::send`] so callers can fail closed before they write anything.
    pub async fn sign(&self, message: &OutgoingMessage) -> Result<SignedMessage, MailError> {
        let raw = self.build(message)?;
        let signing = dkim_signing_input(
            &raw,
            &self.config.mail_domain,
            &self.config.dkim_selector,
            crate::clock::now_unix(),
        )
        .ok_or(MailError::Build)?;
        if signing.input().len() > KMS_RAW_LIMIT {
            return Err(MailError::Build);
        }
        // RAW, not DIGEST: KMS hashes the input itself, identically in AWS and locally.
        let signed = self
            .kms
            .sign()
            .key_id(&self.config.dkim_key_id)
            .message(Blob::new(signing.input()))
            .message_type(MessageType::Raw)
            .signing_algorithm(SigningAlgorithmSpec::RsassaPkcs1V15Sha256)
            .send()
            .await
            .map_err(|e| {
                tracing::error!(error = %aws_sdk_kms::error::DisplayErrorContext(&e), "kms Sign failed");
                MailError::SigningUnavailable
            })?;
        let signature = signed.signature().ok_or(MailError::SigningUnavailable)?;
        let header = signing.header_with(signature.as_ref());
        let mut out = Vec::with_capacity(header.len() + raw.len());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(&raw);
        Ok(SignedMessage(out))
    }

    /// Hands a signed message of a tenant to SES, tagged with the tenant so
    /// that SES bounce and complaint events lead back to its suppression list.
    pub async fn send_for(
        &self,
        message: &SignedMessage,
        tenant: &crate::tenancy::TenantId,
    ) -> Result<(), MailError> {
        let tag = aws_sdk_sesv2::types::MessageTag::builder()
            .name(TENANT_TAG)
            .value(tenant.as_str())
            .build()
            .map_err(|_| MailError::Build)?;
        self.send_tagged(message, Some(tag)).await
    }

    /// Hands a signed message to SES as raw content.
    pub async fn send(&self, message: &SignedMessage) -> Result<(), MailError> {
        self.send_tagged(message, None).await
    }

    async fn send_tagged(
        &self,
        message: &SignedMessage,
        tag: Option<aws_sdk_sesv2::types::MessageTag>,
    ) -> Result<(), MailError> {
        let raw = RawMessage::builder()
            .data(aws_sdk_sesv2::primitives::Blob::new(message.0.clone()))
            .build()
            .map_err(|_| MailError::Build)?;
        self.ses
            .send_email()
            .from_email_address(self.config.mail_from())
            .content(EmailContent::builder().raw(raw).build())
            .set_configuration_set_name(self.config.ses_configuration_set.clone())
            .set_email_tags(tag.map(|t| vec![t]))
            .send()
            .await
            .map_err(|e| {
                tracing::error!(error = %aws_sdk_sesv2::error::DisplayErrorContext(&e), "ses SendEmail failed");
                MailError::SendUnavailable
            })?;
        Ok(())
    }

    /// The DKIM public key (SubjectPublicKeyInfo DER) for the DNS record.
    pub async fn dkim_public_key(&self) -> Result<Vec<u8>, MailError> {
        let out = self
            .kms
            .get_public_key()
            .key_id(&self.config.dkim_key_id)
            .send()
            .await
            .map_err(|e| {
                tracing::error!(error = %aws_sdk_kms::error::DisplayErrorContext(&e), "kms GetPublicKey failed");
                MailError::SigningUnavailable
            })?;
        Ok(out
            .public_key()
            .ok_or(MailError::SigningUnavailable)?
            .as_ref()
            .to_vec())
    }

    fn build(&self, message: &OutgoingMessage) -> Result<Vec<u8>, MailError> {
        let from: Mailbox = format!("Bookwarden <{}>", self.config.mail_from())
            .parse()
            .map_err(|_| MailError::Build)?;
        let to = Mailbox::new(
            Some(message.to_name.clone()),
            message.to.as_str().parse().map_err(|_| MailError::Build)?,
        );
        let message_id = format!(
            "<{}@{}>",
            crate::crypto::hex(&crate::crypto::random_bytes::<16>()),
            self.config.mail_domain
        );
        let mut builder = Message::builder()
            .from(from)
            .to(to)
            .subject(message.subject.clone())
            .message_id(Some(message_id));
        if let Some(url) = &message.list_unsubscribe {
            if url.contains(['\r', '\n', '>']) {
                return Err(MailError::Build);
            }
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        // MAIL-3: every message links to the recipient's email preferences.
        let text = format!(
            "{}\r\n--\r\nEmail preferences and unsubscribe: {}/email-preferences\r\n",
            message.text.trim_end(),
            self.config.app_base_url.trim_end_matches('/')
        );
        let built = if message.attachments.is_empty() {
            builder
                .header(ContentType::TEXT_PLAIN)
                .body(text)
                .map_err(|_| MailError::Build)?
        } else {
            let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(text));
            for a in &message.attachments {
                let content_type =
                    ContentType::parse(&a.content_type).map_err(|_| MailError::Build)?;
                parts = parts.singlepart(
                    LettreAttachment::new(a.filename.clone()).body(a.bytes.clone(), content_type),
                );
            }
            builder.multipart(parts).map_err(|_| MailError::Build)?
        };
        Ok(built.formatted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_validated_and_domains_lowercased() {
        let a: EmailAddress = "Owner.Name+tag@Example.COM".parse().unwrap();
        assert_eq!(a.as_str(), "Owner.Name+tag@example.com");
        assert_eq!(a.lookup_form(), "owner.name+tag@example.com");
        for bad in [
            "",
            "plain",
            "a@b",
            "a b@example.com",
            "a@example.com\r\nBcc: x@y.z",
            "@example.com",
            "a@",
        ] {
            assert_eq!(bad.parse::<EmailAddress>(), Err(InvalidEmail), "{bad}");
        }
    }
}
