//! Transactional email (MAIL-1, MAIL-2): MIME built by lettre, DKIM-signed with a
//! KMS asymmetric key whose private half never leaves KMS, sent raw through SES v2.

mod dkim;
mod dns;
mod mailer;
pub mod outbox;

pub use dkim::{dkim_signing_input, SIGNED_HEADERS};
pub use dns::{dns_records, DnsRecord};
pub use mailer::{
    Attachment, EmailAddress, InvalidEmail, MailError, Mailer, OutgoingMessage, SignedMessage,
};
