//! DKIM (RFC 6376) relaxed/relaxed signing input. Canonicalisation comes from
//! the mailrs-dkim crate; only the RSA operation is delegated to KMS.
//!
//! Two choices limit what a replayer can do with a message Bookwarden signed
//! (RFC 6376 §5.4.2, §8.15; customer-chosen text such as names ends up in bodies):
//! every header that changes how a message is shown, threaded, answered or
//! routed is over-signed, so none can be added or duplicated, and signatures
//! expire after [`SIGNATURE_LIFETIME_SECS`].

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use mailrs_dkim::canon::{canonicalize_body, canonicalize_header};
use mailrs_dkim::headers::{
    body_offset_minus_blank, collect_signed_headers_borrowed, find_body_offset,
};
use mailrs_dkim::Canon;

/// Headers the signature protects, each listed in `h=` once per instance in
/// the message plus once more (RFC 6376 §5.4.2 over-signing): a verifier then
/// hashes an added or duplicated instance where the signer hashed nothing, so
/// adding one breaks the signature, and a name the message lacks, listed once,
/// cannot be added either.
///
/// What is here: who the message is from and for, and how it is shown
/// (From, Sender, Reply-To, To, Cc, Subject, Organization, importance flags,
/// the MIME headers that decide how the body is rendered); how it threads
/// (In-Reply-To, References); where replies, receipts and bounces go
/// (Mail-Reply-To, Mail-Followup-To, Disposition-Notification-To,
/// Return-Receipt-To, Errors-To: the last two are non-standard but still
/// honoured by some software); mailing-list headers, which mail clients turn
/// into unsubscribe and reply buttons; and the Resent-* fields clients show as
/// the sender of a re-sent message.
///
/// What is left out, on purpose:
/// - `Date` and `Message-ID`: SES may rewrite them on raw sends (its header
///   documentation says it overrides both), which would break a signature
///   that covered them; the expiry bounds replay instead.
/// - `Bcc`: not shown to recipients and delivery follows the SMTP envelope,
///   not headers, so adding one gains a replayer nothing; a message that had
///   one would lose it before delivery (RFC 5322 §3.6.3), breaking a
///   signature over it.
/// - Headers added legitimately after signing (`Received`, `Return-Path`,
///   `Authentication-Results`, `ARC-*`, other `DKIM-Signature`s, SES's
///   `Feedback-ID` and `X-SES-*`): listing even an absent one would make every
///   delivered message fail.
pub const SIGNED_HEADERS: &[&str] = &[
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "subject",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "content-disposition",
    "list-id",
    "list-help",
    "list-subscribe",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "list-post",
    "list-owner",
    "list-archive",
    "resent-date",
    "resent-from",
    "resent-sender",
    "resent-to",
    "resent-cc",
    "mail-reply-to",
    "mail-followup-to",
    "disposition-notification-to",
    "return-receipt-to",
    "errors-to",
    "organization",
    "importance",
    "priority",
    "x-priority",
];

/// How long a signature is valid (`x=` minus `t=`): 7 days.
///
/// Transactional mail (sign-up links, booking confirmations, reminders) is
/// normally delivered within minutes, so a short life costs nothing while it
/// caps how long a captured message with customer-chosen text can be replayed.
/// It must still outlast every legitimate delay, because DMARC is `p=reject`
/// and, with SES's default MAIL FROM, DKIM is the only aligned pass: the
/// outbox (MAIL-5) resends the stored signed bytes for about 27 hours, and
/// relaying servers keep retrying for up to 4–5 days (RFC 5321 §4.5.4.1).
/// Seven days covers both with margin.
pub const SIGNATURE_LIFETIME_SECS: i64 = 7 * 24 * 3600;

/// Width of the base64 signature lines (RFC 5322 §2.1.1 asks for at most 78
/// characters per line; with the leading tab, 77).
const SIGNATURE_LINE: usize = 76;

/// The `h=` list for a message: every name in [`SIGNED_HEADERS`] once per
/// instance in `headers` plus once more (see there for why).
pub fn signed_header_list(headers: &[u8]) -> Vec<&'static str> {
    SIGNED_HEADERS
        .iter()
        .flat_map(|name| std::iter::repeat_n(*name, occurrences(headers, name) + 1))
        .collect()
}

/// How many header fields named `name` (case-insensitively) the header block
/// holds. Parsed as mailrs-dkim and verifiers do: a field starts on a line that
/// does not begin with white space, and its name runs up to the first colon.
fn occurrences(headers: &[u8], name: &str) -> usize {
    headers
        .split(|b| *b == b'\n')
        .filter(|line| !matches!(line.first(), Some(b' ' | b'\t')))
        .filter_map(|line| line.iter().position(|b| *b == b':').map(|c| &line[..c]))
        .filter(|field| field.eq_ignore_ascii_case(name.as_bytes()))
        .count()
}

/// Everything needed to sign one message: the exact bytes to sign, and the
/// DKIM-Signature header they were computed over, ending in the empty `b=`.
#[derive(Clone, Debug)]
pub struct DkimSigning {
    header: String,
    input: Vec<u8>,
}

impl DkimSigning {
    /// The bytes to sign: the signed headers and the DKIM-Signature header up
    /// to `b=`, canonicalised (RFC 6376 §3.7).
    pub fn input(&self) -> &[u8] {
        &self.input
    }

    /// The DKIM-Signature header as signed, ending in the empty `b=`.
    pub fn unsigned_header(&self) -> &str {
        &self.header
    }

    /// The complete header (CRLF-terminated) with `signature` as `b=`, folded
    /// into short lines. Folding the `b=` value is allowed and does not change
    /// what was signed: verifiers remove that value, white space included,
    /// before hashing (RFC 6376 §3.5, §3.7).
    pub fn header_with(&self, signature: &[u8]) -> String {
        let encoded = STANDARD.encode(signature);
        let mut out = String::with_capacity(self.header.len() + encoded.len() + 32);
        out.push_str(&self.header);
        // The first line already holds "\tb=", so it takes three characters fewer.
        let first = encoded.len().min(SIGNATURE_LINE - 3);
        let (head, rest) = encoded.as_bytes().split_at(first);
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(&String::from_utf8_lossy(head));
        for chunk in rest.chunks(SIGNATURE_LINE) {
            out.push_str("\r\n\t");
            out.push_str(&String::from_utf8_lossy(chunk));
        }
        out.push_str("\r\n");
        out
    }
}

/// Computes the signing input for `raw`, signed for `domain` with `selector`
/// at `timestamp` (`t=`) and expiring [`SIGNATURE_LIFETIME_SECS`] later
/// (`x=`). Returns `None` for a message without a header/body separator.
///
/// The header keeps `v=` to `h=` on its first line (one line of under 998
/// characters even for a 253-character domain) and folds before `bh=` and
/// `b=`; the signing input is computed from that folded text, so it matches
/// what verifiers canonicalise.
pub fn dkim_signing_input(
    raw: &[u8],
    domain: &str,
    selector: &str,
    timestamp: i64,
) -> Option<DkimSigning> {
    let body_offset = find_body_offset(raw)?;
    let body_hash = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        &canonicalize_body(&raw[body_offset..], Canon::Relaxed, None),
    );
    let headers_region = &raw[..body_offset_minus_blank(body_offset, raw)];
    let h_list = signed_header_list(headers_region);
    let wanted: Vec<String> = h_list.iter().map(|h| (*h).to_owned()).collect();
    // Bottom-up, one instance per listed name; a listing without an instance
    // (the over-signed extra) contributes nothing to the hash (RFC 6376 §5.4.2).
    let present: Vec<(&str, &str)> = collect_signed_headers_borrowed(headers_region, &wanted)
        .into_iter()
        .filter_map(|(n, v)| v.map(|v| (n, v)))
        .collect();

    let expires = timestamp.saturating_add(SIGNATURE_LIFETIME_SECS);
    let value = format!(
        " v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s={selector}; t={timestamp}; x={expires}; h={};\r\n\tbh={};\r\n\tb=",
        h_list.join(":"),
        STANDARD.encode(body_hash.as_ref())
    );
    let mut input = Vec::with_capacity(1536);
    for (name, value) in &present {
        input.extend_from_slice(&canonicalize_header(name, value, Canon::Relaxed));
    }
    let own = canonicalize_header("dkim-signature", &value, Canon::Relaxed);
    // RFC 6376 §3.7: the signature header is hashed without its trailing CRLF.
    input.extend_from_slice(own.strip_suffix(b"\r\n").unwrap_or(&own));
    Some(DkimSigning {
        header: format!("DKIM-Signature:{value}"),
        input,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"From: A <a@example.com>\r\nTo: b@example.org\r\nSubject:  Hello   there \r\nX-Other: 1\r\n\r\nBody  line \r\n\r\n\r\n";

    /// The header fields of a message as lettre builds it for the mailer.
    const MAILER_HEADERS: &[u8] = b"From: Bookwarden <no-reply@mail.example.com>\r\nTo: =?utf-8?b?Wm/DqyDDnG5pY29kZQ==?= <reader@example.org>\r\nSubject: =?utf-8?b?R3LDvMOfZTogeW91ciBib29raW5n?=\r\nMessage-ID: <0123456789abcdef0123456789abcdef@mail.example.com>\r\nList-Unsubscribe: <https://app.example.com/unsubscribe#token=abc>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\nMIME-Version: 1.0\r\nDate: Mon, 01 Jan 2024 00:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n";

    fn h_tag(header: &str) -> Vec<&str> {
        let start = header.find(" h=").unwrap() + 3;
        let end = start + header[start..].find(';').unwrap();
        header[start..end].split(':').collect()
    }

    fn count(list: &[&str], name: &str) -> usize {
        list.iter().filter(|n| **n == name).count()
    }

    #[test]
    fn present_headers_are_listed_once_more_than_they_occur_and_absent_ones_once() {
        let list = signed_header_list(MAILER_HEADERS);
        for present in [
            "from",
            "to",
            "subject",
            "mime-version",
            "content-type",
            "content-transfer-encoding",
            "list-unsubscribe",
            "list-unsubscribe-post",
        ] {
            assert_eq!(count(&list, present), 2, "{present}");
        }
        for absent in ["sender", "reply-to", "cc", "in-reply-to", "references"] {
            assert_eq!(count(&list, absent), 1, "{absent}");
        }
        // Every name in SIGNED_HEADERS is listed, and nothing else is.
        for name in SIGNED_HEADERS {
            assert!(list.contains(name), "{name}");
        }
        assert!(list.iter().all(|n| SIGNED_HEADERS.contains(n)));
    }

    #[test]
    fn repeated_and_differently_cased_headers_are_counted_but_folded_lines_are_not() {
        let headers = b"FROM: a@example.com\r\nTo: b@example.org\r\nto: c@example.org\r\nSubject: hello\r\n from: not a header, a folded line\r\n\tReply-To: nor this\r\n";
        let list = signed_header_list(headers);
        assert_eq!(count(&list, "from"), 2);
        assert_eq!(count(&list, "to"), 3);
        assert_eq!(count(&list, "subject"), 2);
        assert_eq!(count(&list, "reply-to"), 1);
    }

    #[test]
    fn nothing_that_changes_in_transit_or_that_ses_rewrites_is_signed() {
        for name in [
            "date",
            "message-id",
            "bcc",
            "received",
            "return-path",
            "authentication-results",
            "arc-seal",
            "dkim-signature",
            "feedback-id",
            "x-ses-outgoing",
        ] {
            assert!(!SIGNED_HEADERS.contains(&name), "{name}");
        }
        let list = signed_header_list(MAILER_HEADERS);
        assert!(!list.contains(&"date") && !list.contains(&"message-id"));
    }

    #[test]
    fn signatures_carry_their_time_and_expire_seven_days_later() {
        let signing = dkim_signing_input(MSG, "example.com", "sel", 1_700_000_000).unwrap();
        let header = signing.unsigned_header();
        assert!(
            header.contains("; t=1700000000; x=1700604800; h="),
            "{header}"
        );
        assert_eq!(SIGNATURE_LIFETIME_SECS, 7 * 86_400);
    }

    #[test]
    fn input_hashes_each_present_instance_once_and_ends_with_the_empty_signature() {
        let signing = dkim_signing_input(MSG, "example.com", "sel", 1).unwrap();
        let header = signing.unsigned_header();
        assert_eq!(h_tag(header), signed_header_list(MSG));
        assert!(header.starts_with(
            "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel; t=1; x=604801; h=from:from:"
        ));
        assert!(header.ends_with("b="));
        let text = String::from_utf8(signing.input().to_vec()).unwrap();
        // The over-signed extra listing adds nothing: each header appears once.
        assert!(
            text.starts_with(
                "from:A <a@example.com>\r\nto:b@example.org\r\nsubject:Hello there\r\ndkim-signature:v=1; "
            ),
            "{text}"
        );
        assert!(text.ends_with("; b="));
        assert!(!text.contains("x-other"));
        assert!(!text.contains("\r\n\t"));
    }

    #[test]
    fn the_finished_header_is_the_signed_one_plus_a_folded_signature() {
        let signing =
            dkim_signing_input(MAILER_HEADERS_WITH_BODY, "example.com", "sel", 1).unwrap();
        let signature = [0xA5_u8; 256];
        let header = signing.header_with(&signature);
        assert!(header.starts_with(signing.unsigned_header()));
        assert!(header.ends_with("\r\n"));
        let folded_b = &header[signing.unsigned_header().len()..];
        let unfolded: String = folded_b.chars().filter(|c| !c.is_whitespace()).collect();
        assert_eq!(unfolded, STANDARD.encode(signature));
        for line in folded_b.split("\r\n") {
            assert!(line.len() <= 78, "{line}");
        }
    }

    const MAILER_HEADERS_WITH_BODY: &[u8] = b"From: Bookwarden <no-reply@mail.example.com>\r\nTo: reader@example.org\r\nSubject: Hi\r\nMIME-Version: 1.0\r\n\r\nBody\r\n";

    #[test]
    fn header_lines_stay_under_the_rfc_5322_limit_even_for_the_longest_domain() {
        let domain = format!(
            "{}.{}.{}.{}",
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(61)
        );
        assert_eq!(domain.len(), 253);
        let mut message = MAILER_HEADERS.to_vec();
        message.extend_from_slice(b"\r\nBody\r\n");
        let signing = dkim_signing_input(&message, &domain, "bookwarden", 1_700_000_000).unwrap();
        let header = signing.header_with(&[0_u8; 256]);
        for line in header.trim_end().split("\r\n") {
            assert!(line.len() < 998, "{} characters: {line}", line.len());
        }
    }

    #[test]
    fn body_whitespace_changes_do_not_change_the_body_hash() {
        let relaxed_twin = b"From: A <a@example.com>\r\nTo: b@example.org\r\nSubject:  Hello   there \r\nX-Other: 1\r\n\r\nBody line\r\n";
        let a = dkim_signing_input(MSG, "example.com", "sel", 1).unwrap();
        let b = dkim_signing_input(relaxed_twin, "example.com", "sel", 1).unwrap();
        assert_eq!(a.unsigned_header(), b.unsigned_header());
    }

    #[test]
    fn a_message_without_body_separator_is_refused() {
        assert!(dkim_signing_input(b"From: a@example.com", "example.com", "s", 1).is_none());
    }
}
