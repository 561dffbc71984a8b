//! The DNS records a sending domain needs (MAIL-2).
//!
//! Bookwarden signs its own mail with a KMS key, so two parties look the
//! domain up: receivers (Bookwarden's DKIM key, SPF, DMARC) and SES, which
//! sends for the domain only once it has verified the identity. SES verifies a
//! domain by DKIM records: with Easy DKIM, three CNAMEs pointing at keys SES
//! holds; with "bring your own DKIM", a TXT record whose key pairs with a
//! private key handed to SES. A KMS private key can never be handed over, so
//! the identity uses Easy DKIM with SES's own signing turned off (template
//! `MailIdentity`): the CNAMEs prove ownership, Bookwarden's key signs.

use serde::Serialize;

/// Time to live of every record, in seconds: an hour, so a key or policy change
/// spreads quickly.
pub const TTL: u32 = 3600;

/// A TXT record holds one or more character-strings of at most this many
/// bytes each (RFC 1035 §3.3.14); receivers concatenate them (RFC 7208 §3.3,
/// RFC 6376 §3.6.2.2). A 2048-bit key's `p=` alone is about 392 characters.
pub const MAX_CHARACTER_STRING: usize = 255;

/// The kind of a DNS record.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub enum RecordType {
    /// Text: DKIM keys, SPF and DMARC policies.
    #[serde(rename = "TXT")]
    Txt,
    /// Alias: SES's Easy DKIM verification tokens.
    #[serde(rename = "CNAME")]
    Cname,
    /// Mail exchanger: where bounces to a custom MAIL FROM domain go.
    #[serde(rename = "MX")]
    Mx,
}

impl RecordType {
    /// The type's zone-file mnemonic.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Txt => "TXT",
            Self::Cname => "CNAME",
            Self::Mx => "MX",
        }
    }
}

/// One record to publish, in the form a DNS provider's console asks for and,
/// through [`DnsRecord::zone_line`], as a zone-file line.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DnsRecord {
    /// Fully qualified name, without the trailing dot.
    pub name: String,
    /// Record type.
    #[serde(rename = "type")]
    pub kind: RecordType,
    /// Time to live in seconds.
    pub ttl: u32,
    /// The value, unquoted: for TXT the text a resolver returns once the
    /// character-strings are joined; host names without the trailing dot.
    pub value: String,
    /// TXT only: the value split into character-strings of at most
    /// [`MAX_CHARACTER_STRING`] bytes, in order, exactly as published.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub character_strings: Vec<String>,
    /// Why the record exists.
    pub purpose: String,
}

impl DnsRecord {
    fn txt(name: String, value: String, purpose: String) -> Self {
        Self {
            character_strings: character_strings(&value),
            name,
            kind: RecordType::Txt,
            ttl: TTL,
            value,
            purpose,
        }
    }

    fn host(kind: RecordType, name: String, value: String, purpose: String) -> Self {
        Self {
            name,
            kind,
            ttl: TTL,
            value,
            character_strings: Vec::new(),
            purpose,
        }
    }

    /// The record as one zone-file line (RFC 1035 §5.1): absolute names end in
    /// a dot, and a TXT value is written as its quoted character-strings.
    pub fn zone_line(&self) -> String {
        let rdata = match self.kind {
            RecordType::Txt => self
                .character_strings
                .iter()
                .map(|s| quoted(s))
                .collect::<Vec<_>>()
                .join(" "),
            RecordType::Cname | RecordType::Mx => format!("{}.", self.value),
        };
        format!(
            "{}. {} IN {} {rdata}",
            self.name,
            self.ttl,
            self.kind.as_str()
        )
    }
}

/// Splits a TXT value into character-strings of at most
/// [`MAX_CHARACTER_STRING`] bytes whose concatenation is the value, cutting
/// only between characters. An empty value is one empty string.
pub fn character_strings(value: &str) -> Vec<String> {
    let mut out = Vec::with_capacity(value.len() / MAX_CHARACTER_STRING + 1);
    let mut rest = value;
    while rest.len() > MAX_CHARACTER_STRING {
        let mut cut = MAX_CHARACTER_STRING;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (chunk, tail) = rest.split_at(cut);
        out.push(chunk.to_owned());
        rest = tail;
    }
    out.push(rest.to_owned());
    out
}

/// A zone-file quoted string: `"` and `\` escaped (RFC 1035 §5.1).
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// How SES verifies the domain identity.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum SesVerification {
    /// Easy DKIM: one CNAME per token, `<token>._domainkey.<domain>` pointing
    /// at `<token>.<hosted_zone>`.
    EasyDkim {
        /// The tokens SES issued (three once the identity exists in AWS).
        tokens: Vec<String>,
        /// Where SES hosts the keys the CNAMEs point at.
        hosted_zone: String,
    },
    /// Bring your own DKIM: SES looks for a TXT record at
    /// `<selector>._domainkey` paired with a private key SES holds. That
    /// cannot be Bookwarden's KMS key, so no record here can satisfy it.
    External {
        /// The selector SES was given.
        selector: String,
    },
}

/// A custom MAIL FROM (envelope sender) domain configured on the identity.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct MailFrom {
    /// The subdomain used as the envelope sender.
    pub domain: String,
    /// SES's view of its MX record (`PENDING`, `SUCCESS`, ...).
    pub status: String,
}

/// What SES reports about the sending domain's identity (`GetEmailIdentity`).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SesIdentity {
    /// The SES region, which names the MAIL FROM feedback endpoint.
    pub region: String,
    /// Whether SES will send for the domain yet.
    pub verified_for_sending: bool,
    /// SES's DKIM verification status (`PENDING`, `SUCCESS`, ...).
    pub dkim_status: Option<String>,
    /// Whether SES adds its own DKIM signature (off by design; harmless if on).
    pub ses_signing: bool,
    /// How SES verifies the identity.
    pub verification: SesVerification,
    /// The custom MAIL FROM domain, if one is configured.
    pub mail_from: Option<MailFrom>,
}

/// Easy DKIM's key zone when SES does not name one.
const DEFAULT_DKIM_ZONE: &str = "dkim.amazonses.com";

/// Why the identity could not be read.
#[derive(Debug, thiserror::Error)]
#[error("SES GetEmailIdentity failed: {0}")]
pub struct SesLookupError(String);

impl SesIdentity {
    /// Asks SES v2 `GetEmailIdentity` about `domain`.
    pub async fn lookup(ses: &aws_sdk_sesv2::Client, domain: &str) -> Result<Self, SesLookupError> {
        let out = ses
            .get_email_identity()
            .email_identity(domain)
            .send()
            .await
            .map_err(|e| {
                SesLookupError(aws_sdk_sesv2::error::DisplayErrorContext(&e).to_string())
            })?;
        let dkim = out.dkim_attributes();
        let tokens: Vec<String> = dkim.map(|d| d.tokens().to_vec()).unwrap_or_default();
        let external = matches!(
            dkim.and_then(|d| d.signing_attributes_origin()),
            Some(aws_sdk_sesv2::types::DkimSigningAttributesOrigin::External)
        );
        let verification = if external {
            SesVerification::External {
                selector: tokens.join(", "),
            }
        } else {
            SesVerification::EasyDkim {
                tokens,
                hosted_zone: dkim
                    .and_then(|d| d.signing_hosted_zone())
                    .unwrap_or(DEFAULT_DKIM_ZONE)
                    .trim_end_matches('.')
                    .to_owned(),
            }
        };
        Ok(Self {
            region: ses
                .config()
                .region()
                .map(|r| r.as_ref().to_owned())
                .unwrap_or_default(),
            verified_for_sending: out.verified_for_sending_status(),
            dkim_status: dkim.and_then(|d| d.status()).map(|s| s.as_str().to_owned()),
            ses_signing: dkim.is_some_and(|d| d.signing_enabled()),
            verification,
            mail_from: out.mail_from_attributes().map(|m| MailFrom {
                domain: m.mail_from_domain().trim_end_matches('.').to_owned(),
                status: m.mail_from_domain_status().as_str().to_owned(),
            }),
        })
    }

    /// What an operator must know that no record can fix, or that explains a
    /// missing record.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        match &self.verification {
            SesVerification::External { selector } => notes.push(format!(
                "The SES identity uses bring-your-own DKIM (selector {selector}), which verifies \
                 against a private key held by SES; Bookwarden's key never leaves KMS. Recreate \
                 the identity with Easy DKIM and SES signing off (as template.yaml does), then \
                 publish its three CNAMEs."
            )),
            SesVerification::EasyDkim { tokens, .. } if tokens.is_empty() => notes.push(
                "SES reported no Easy DKIM tokens for the identity (a local stand-in issues \
                 none), so its verification CNAMEs are missing below; SES will not send for \
                 the domain until they are published."
                    .to_owned(),
            ),
            SesVerification::EasyDkim { .. } => {}
        }
        if self.ses_signing {
            notes.push(
                "SES's own DKIM signing is on: messages carry a second signature by SES. \
                 Harmless, but template.yaml turns it off."
                    .to_owned(),
            );
        }
        notes
    }
}

/// Everything the mail domain needs, in the order to publish it: SES's
/// verification CNAMEs, Bookwarden's DKIM key (from the KMS public key,
/// SubjectPublicKeyInfo DER), SPF, DMARC with `p=reject`, then the custom
/// MAIL FROM records if one is configured and, when aggregate reports go to
/// another domain, that domain's permission to receive them.
///
/// `dmarc_reports` is the mailbox for DMARC aggregate reports; without one
/// the policy asks for none (a send-only domain has no mailbox of its own to
/// receive them, and reports sent to a missing mailbox only bounce).
pub fn dns_records(
    domain: &str,
    selector: &str,
    public_key_der: &[u8],
    ses: &SesIdentity,
    dmarc_reports: Option<&str>,
) -> Vec<DnsRecord> {
    use base64::Engine;
    let mut records = Vec::new();
    if let SesVerification::EasyDkim {
        tokens,
        hosted_zone,
    } = &ses.verification
    {
        for token in tokens {
            records.push(DnsRecord::host(
                RecordType::Cname,
                format!("{token}._domainkey.{domain}"),
                format!("{token}.{hosted_zone}"),
                "SES identity verification (Easy DKIM): SES sends for the domain only once it \
                 finds all three CNAMEs; SES's own signing stays off, Bookwarden signs"
                    .to_owned(),
            ));
        }
    }
    records.push(DnsRecord::txt(
        format!("{selector}._domainkey.{domain}"),
        format!(
            "v=DKIM1; k=rsa; p={}",
            base64::engine::general_purpose::STANDARD.encode(public_key_der)
        ),
        "DKIM public key of the KMS signing key: receivers check Bookwarden's signatures \
         with it (MAIL-1); published as several strings, which receivers join"
            .to_owned(),
    ));
    records.push(DnsRecord::txt(
        domain.to_owned(),
        "v=spf1 include:amazonses.com -all".to_owned(),
        "SPF: only SES's servers may send with this domain as envelope sender; SES's default \
         envelope is its own domain, so DMARC passes through the aligned DKIM signature"
            .to_owned(),
    ));
    let rua = dmarc_reports
        .map(|address| format!("; rua=mailto:{address}"))
        .unwrap_or_default();
    records.push(DnsRecord::txt(
        format!("_dmarc.{domain}"),
        format!("v=DMARC1; p=reject; adkim=s; aspf=r{rua}"),
        "DMARC: receivers reject mail claiming the domain unless it carries a DKIM \
         signature for exactly this domain (adkim=s) or passes SPF for a subdomain \
         envelope (aspf=r, custom MAIL FROM)"
            .to_owned(),
    ));
    if let Some(mail_from) = &ses.mail_from {
        records.push(DnsRecord::host(
            RecordType::Mx,
            mail_from.domain.clone(),
            format!("10 feedback-smtp.{}.amazonses.com", ses.region),
            "Custom MAIL FROM: bounces and complaints for the envelope sender go to SES; SES \
             checks this record before using the domain"
                .to_owned(),
        ));
        records.push(DnsRecord::txt(
            mail_from.domain.clone(),
            "v=spf1 include:amazonses.com -all".to_owned(),
            "SPF for the custom MAIL FROM domain: SES's servers only; aligned with the From \
             domain under aspf=r, a second way to pass DMARC"
                .to_owned(),
        ));
    }
    if let Some(report_domain) = dmarc_reports
        .and_then(|address| address.rsplit_once('@'))
        .map(|(_, d)| d.to_ascii_lowercase())
        .filter(|d| !is_same_or_parent(d, domain))
    {
        records.push(DnsRecord::txt(
            format!("{domain}._report._dmarc.{report_domain}"),
            "v=DMARC1".to_owned(),
            "Publish in the report mailbox's zone: it accepts DMARC reports for the mail \
             domain (RFC 7489 §7.1); receivers send none to another organisation's domain \
             without it"
                .to_owned(),
        ));
    }
    records
}

/// Whether `candidate` is `domain` or one of its parents, i.e. in the same
/// organisation, so reports need no permission record. (Another domain of the
/// same organisation gets one it does not strictly need, which is harmless.)
fn is_same_or_parent(candidate: &str, domain: &str) -> bool {
    let domain = domain.to_ascii_lowercase();
    domain == candidate
        || domain
            .strip_suffix(candidate)
            .is_some_and(|prefix| prefix.ends_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(strings: &[String]) -> String {
        strings.concat()
    }

    fn easy_dkim(tokens: &[&str]) -> SesIdentity {
        SesIdentity {
            region: "eu-west-1".into(),
            verified_for_sending: false,
            dkim_status: Some("PENDING".into()),
            ses_signing: false,
            verification: SesVerification::EasyDkim {
                tokens: tokens.iter().map(|t| (*t).to_owned()).collect(),
                hosted_zone: DEFAULT_DKIM_ZONE.into(),
            },
            mail_from: None,
        }
    }

    #[test]
    fn splitting_keeps_every_string_within_255_bytes_and_loses_nothing() {
        for len in [0_usize, 1, 254, 255, 256, 392, 510, 511, 1000] {
            let value: String = (0..len).map(|i| (b'a' + (i % 26) as u8) as char).collect();
            let strings = character_strings(&value);
            assert_eq!(joined(&strings), value, "length {len}");
            assert!(strings.iter().all(|s| s.len() <= MAX_CHARACTER_STRING));
            assert_eq!(strings.len(), len.max(1).div_ceil(MAX_CHARACTER_STRING));
        }
    }

    #[test]
    fn exactly_255_bytes_is_one_string_and_256_is_two() {
        let at_limit = "x".repeat(255);
        assert_eq!(character_strings(&at_limit), vec![at_limit.clone()]);
        let over = "x".repeat(256);
        assert_eq!(
            character_strings(&over),
            vec!["x".repeat(255), "x".to_owned()]
        );
    }

    #[test]
    fn splitting_never_cuts_a_character_in_half() {
        let value = format!("{}é{}", "a".repeat(254), "b".repeat(10));
        let strings = character_strings(&value);
        assert_eq!(strings[0].len(), 254);
        assert!(strings[1].starts_with('é'));
        assert_eq!(joined(&strings), value);
    }

    #[test]
    fn a_2048_bit_key_record_is_split_and_written_as_quoted_strings() {
        // A 2048-bit RSA SubjectPublicKeyInfo is 294 bytes: 392 base64 characters.
        let records = dns_records("mail.example.com", "bw1", &[7; 294], &easy_dkim(&[]), None);
        let dkim = &records[0];
        assert_eq!(dkim.name, "bw1._domainkey.mail.example.com");
        assert_eq!(dkim.kind, RecordType::Txt);
        assert!(dkim.value.starts_with("v=DKIM1; k=rsa; p=Bwc"));
        assert_eq!(dkim.value.len(), "v=DKIM1; k=rsa; p=".len() + 392);
        assert_eq!(dkim.character_strings.len(), 2);
        assert_eq!(joined(&dkim.character_strings), dkim.value);
        let line = dkim.zone_line();
        assert_eq!(
            line,
            format!(
                "bw1._domainkey.mail.example.com. 3600 IN TXT \"{}\" \"{}\"",
                dkim.character_strings[0], dkim.character_strings[1]
            )
        );
    }

    #[test]
    fn quotes_and_backslashes_are_escaped_in_zone_lines() {
        assert_eq!(quoted(r#"a"b\c"#), r#""a\"b\\c""#);
    }

    #[test]
    fn the_full_list_verifies_the_identity_and_covers_dkim_spf_and_a_rejecting_dmarc() {
        let ses = easy_dkim(&["tok1", "tok2", "tok3"]);
        let records = dns_records(
            "mail.example.com",
            "bw1",
            &[1, 2, 3],
            &ses,
            Some("dmarc@reports.example.net"),
        );
        let lines: Vec<String> = records.iter().map(DnsRecord::zone_line).collect();
        assert_eq!(
            lines,
            vec![
                "tok1._domainkey.mail.example.com. 3600 IN CNAME tok1.dkim.amazonses.com.",
                "tok2._domainkey.mail.example.com. 3600 IN CNAME tok2.dkim.amazonses.com.",
                "tok3._domainkey.mail.example.com. 3600 IN CNAME tok3.dkim.amazonses.com.",
                "bw1._domainkey.mail.example.com. 3600 IN TXT \"v=DKIM1; k=rsa; p=AQID\"",
                "mail.example.com. 3600 IN TXT \"v=spf1 include:amazonses.com -all\"",
                "_dmarc.mail.example.com. 3600 IN TXT \"v=DMARC1; p=reject; adkim=s; aspf=r; rua=mailto:dmarc@reports.example.net\"",
                "mail.example.com._report._dmarc.reports.example.net. 3600 IN TXT \"v=DMARC1\"",
            ]
        );
        assert!(records.iter().all(|r| !r.purpose.is_empty()));
        assert!(ses.notes().is_empty());
    }

    #[test]
    fn a_custom_mail_from_adds_its_mx_and_spf_and_reports_to_the_own_domain_need_no_permission() {
        let mut ses = easy_dkim(&["t"]);
        ses.mail_from = Some(MailFrom {
            domain: "bounce.mail.example.com".into(),
            status: "PENDING".into(),
        });
        let records = dns_records(
            "mail.example.com",
            "bw1",
            &[1],
            &ses,
            Some("reports@mail.example.com"),
        );
        let lines: Vec<String> = records.iter().map(DnsRecord::zone_line).collect();
        assert!(lines.contains(
            &"bounce.mail.example.com. 3600 IN MX 10 feedback-smtp.eu-west-1.amazonses.com."
                .to_owned()
        ));
        assert!(lines.contains(
            &"bounce.mail.example.com. 3600 IN TXT \"v=spf1 include:amazonses.com -all\""
                .to_owned()
        ));
        assert!(!lines.iter().any(|l| l.contains("_report._dmarc")));
    }

    #[test]
    fn reports_to_a_parent_domain_need_no_permission_but_another_domain_does() {
        let ses = easy_dkim(&[]);
        let permission = |rua: &str| {
            dns_records("mail.example.com", "bw1", &[1], &ses, Some(rua))
                .into_iter()
                .find(|r| r.name.contains("._report._dmarc."))
                .map(|r| r.name)
        };
        assert_eq!(permission("dmarc@example.com"), None);
        assert_eq!(permission("dmarc@mail.example.com"), None);
        assert_eq!(
            permission("dmarc@reports.example.net"),
            Some("mail.example.com._report._dmarc.reports.example.net".to_owned())
        );
        // A suffix that is not a parent label does not count as one.
        assert_eq!(
            permission("dmarc@ample.com"),
            Some("mail.example.com._report._dmarc.ample.com".to_owned())
        );
    }

    #[test]
    fn without_a_report_mailbox_dmarc_asks_for_no_reports() {
        let records = dns_records("mail.example.com", "bw1", &[1], &easy_dkim(&[]), None);
        let dmarc = records
            .iter()
            .find(|r| r.name == "_dmarc.mail.example.com")
            .unwrap();
        assert_eq!(dmarc.value, "v=DMARC1; p=reject; adkim=s; aspf=r");
    }

    #[test]
    fn problems_no_record_can_fix_are_explained() {
        let missing = easy_dkim(&[]);
        assert!(missing.notes()[0].contains("no Easy DKIM tokens"));
        let mut byodkim = easy_dkim(&[]);
        byodkim.verification = SesVerification::External {
            selector: "bw1".into(),
        };
        byodkim.ses_signing = true;
        let notes = byodkim.notes();
        assert!(notes[0].contains("never leaves KMS"), "{notes:?}");
        assert!(notes[1].contains("second signature"), "{notes:?}");
        // No SES verification record is invented for a method that cannot work.
        let records = dns_records("mail.example.com", "bw1", &[1], &byodkim, None);
        assert!(records.iter().all(|r| r.kind == RecordType::Txt));
    }

    #[test]
    fn json_carries_the_same_strings_as_the_zone_lines() {
        let records = dns_records(
            "mail.example.com",
            "bw1",
            &[9; 294],
            &easy_dkim(&["t"]),
            None,
        );
        let json = serde_json::to_value(&records).unwrap();
        assert_eq!(json[0]["type"], "CNAME");
        assert!(json[0].get("character_strings").is_none());
        assert_eq!(json[1]["type"], "TXT");
        assert_eq!(json[1]["ttl"], 3600);
        let strings: Vec<String> = json[1]["character_strings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(strings, records[1].character_strings);
        assert_eq!(joined(&strings), json[1]["value"].as_str().unwrap());
    }
}
