//! Transactional email (MAIL-1, MAIL-2): MIME built by lettre, DKIM-signed with a
//! KMS asymmetric key whose private half never leaves KMS, sent raw through SES v2.

mod dkim;
mod dns;
pub mod feedback;
mod mailer;
pub mod outbox;

pub use dkim::{
    dkim_signing_input, signed_header_list, DkimSigning, SIGNATURE_LIFETIME_SECS, SIGNED_HEADERS,
};
pub use dns::{
    character_strings, dns_records, DnsRecord, MailFrom, RecordType, SesIdentity, SesLookupError,
    SesVerification, MAX_CHARACTER_STRING,
};
pub use mailer::{
    Attachment, EmailAddress, InvalidEmail, MailError, Mailer, OutgoingMessage, SignedMessage,
};
