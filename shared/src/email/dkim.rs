//! DKIM (RFC 6376) relaxed/relaxed signing input. Canonicalisation comes from
//! the mailrs-dkim crate; only the RSA operation is delegated to KMS.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use mailrs_dkim::canon::{canonicalize_body, canonicalize_header};
use mailrs_dkim::headers::{
    body_offset_minus_blank, collect_signed_headers_borrowed, find_body_offset,
};
use mailrs_dkim::Canon;

/// Headers covered by the signature when present. `from` appears twice so that a
/// second From header added in transit breaks the signature; names without a
/// header are listed too, so such a header cannot be added (RFC 6376 §5.4).
/// `Date` and `Message-ID` are left out because SES may rewrite them on raw
/// sends, which would break a signature that covered them.
pub const SIGNED_HEADERS: &[&str] = &[
    "from",
    "from",
    "to",
    "subject",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "list-unsubscribe",
    "list-unsubscribe-post",
];

/// The DKIM-Signature tag list up to and including the empty `b=`, and the exact
/// bytes that must be signed (signed headers plus that tag list, canonicalised).
/// Returns `None` for a message without a header/body separator.
pub fn dkim_signing_input(
    raw: &[u8],
    domain: &str,
    selector: &str,
    timestamp: i64,
) -> Option<(String, Vec<u8>)> {
    let body_offset = find_body_offset(raw)?;
    let body_hash = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        &canonicalize_body(&raw[body_offset..], Canon::Relaxed, None),
    );
    let headers_region = &raw[..body_offset_minus_blank(body_offset, raw)];
    let wanted: Vec<String> = SIGNED_HEADERS.iter().map(|h| (*h).to_owned()).collect();
    let collected = collect_signed_headers_borrowed(headers_region, &wanted);
    let present: Vec<(&str, &str)> = collected
        .into_iter()
        .filter_map(|(n, v)| v.map(|v| (n, v)))
        .collect();

    let h_tag = SIGNED_HEADERS.join(":");
    let tags = format!(
        "v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s={selector}; t={timestamp}; h={h_tag}; bh={}; b=",
        STANDARD.encode(body_hash.as_ref())
    );
    let mut input = Vec::with_capacity(1024);
    for (name, value) in &present {
        input.extend_from_slice(&canonicalize_header(name, value, Canon::Relaxed));
    }
    let own = canonicalize_header("dkim-signature", &format!(" {tags}"), Canon::Relaxed);
    // RFC 6376 §3.7: the signature header is hashed without its trailing CRLF.
    input.extend_from_slice(own.strip_suffix(b"\r\n").unwrap_or(&own));
    Some((tags, input))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"From: A <a@example.com>\r\nTo: b@example.org\r\nSubject:  Hello   there \r\nX-Other: 1\r\n\r\nBody  line \r\n\r\n\r\n";

    #[test]
    fn input_covers_present_headers_and_ends_with_the_empty_signature() {
        let (tags, input) = dkim_signing_input(MSG, "example.com", "sel", 1).unwrap();
        assert!(
            tags.contains(&format!("h={};", SIGNED_HEADERS.join(":"))),
            "{tags}"
        );
        assert!(tags.ends_with("b="));
        let text = String::from_utf8(input).unwrap();
        assert!(
            text.starts_with(
                "from:A <a@example.com>\r\nto:b@example.org\r\nsubject:Hello there\r\n"
            ),
            "{text}"
        );
        assert!(text.ends_with("b="));
        assert!(!text.contains("x-other"));
    }

    #[test]
    fn body_whitespace_changes_do_not_change_the_body_hash() {
        let relaxed_twin = b"From: A <a@example.com>\r\nTo: b@example.org\r\nSubject:  Hello   there \r\nX-Other: 1\r\n\r\nBody line\r\n";
        let (a, _) = dkim_signing_input(MSG, "example.com", "sel", 1).unwrap();
        let (b, _) = dkim_signing_input(relaxed_twin, "example.com", "sel", 1).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn a_message_without_body_separator_is_refused() {
        assert!(dkim_signing_input(b"From: a@example.com", "example.com", "s", 1).is_none());
    }
}
