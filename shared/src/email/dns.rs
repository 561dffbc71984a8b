//! The DNS records a sending domain needs (MAIL-2).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Serialize;

/// One TXT record to publish.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DnsRecord {
    /// Fully qualified name.
    pub name: String,
    /// Record type (always TXT here).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Record value, unquoted.
    pub value: String,
    /// Why the record exists.
    pub purpose: &'static str,
}

/// DKIM key record (from the KMS public key, SubjectPublicKeyInfo DER), SPF for
/// SES, and DMARC with `p=reject` so unsigned mail claiming the domain is refused.
pub fn dns_records(domain: &str, selector: &str, public_key_der: &[u8]) -> Vec<DnsRecord> {
    vec![
        DnsRecord {
            name: format!("{selector}._domainkey.{domain}"),
            kind: "TXT",
            value: format!("v=DKIM1; k=rsa; p={}", STANDARD.encode(public_key_der)),
            purpose: "DKIM public key (MAIL-1)",
        },
        DnsRecord {
            name: domain.to_owned(),
            kind: "TXT",
            value: "v=spf1 include:amazonses.com -all".to_owned(),
            purpose: "SPF: only SES may send for the domain",
        },
        DnsRecord {
            name: format!("_dmarc.{domain}"),
            kind: "TXT",
            value: format!(
                "v=DMARC1; p=reject; adkim=s; aspf=r; rua=mailto:dmarc-reports@{domain}"
            ),
            purpose: "DMARC: reject mail that fails alignment",
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_cover_dkim_spf_and_a_rejecting_dmarc() {
        let records = dns_records("mail.example.com", "bw1", &[1, 2, 3]);
        assert_eq!(records[0].name, "bw1._domainkey.mail.example.com");
        assert_eq!(records[0].value, "v=DKIM1; k=rsa; p=AQID");
        assert!(records[1].value.starts_with("v=spf1 "));
        assert!(records[2].value.contains("p=reject"));
    }
}
