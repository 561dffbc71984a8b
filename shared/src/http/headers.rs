//! Security headers (WEB-1): the API's, which is never rendered, and the
//! pages' variant, which a browser renders under a strict CSP.

use http::header::{HeaderMap, HeaderName, HeaderValue};

/// Every response carries these. None reveals the software or its version.
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "strict-transport-security",
        "max-age=63072000; includeSubDomains; preload",
    ),
    ("content-security-policy", "default-src 'none'; frame-ancestors 'none'"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    (
        "permissions-policy",
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()",
    ),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    // Answers may carry personal data; no cache may keep them.
    ("cache-control", "no-store"),
];

/// Sets the security headers, replacing any a handler set, and removes headers
/// that would fingerprint the stack.
pub fn apply_security_headers(headers: &mut HeaderMap) {
    for (name, value) in SECURITY_HEADERS {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    headers.remove("server");
    headers.remove("x-powered-by");
    if !headers.contains_key(http::header::CONTENT_TYPE) {
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
    }
}

/// What a page (HTML or a static asset) changes in the API's headers. Set by
/// the page handlers as a response extension; [`super::finish`] applies it
/// after the API's headers, so nothing else can loosen them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PagePolicy {
    /// An HTML page: scripts, styles, images and fetches from our own origin
    /// only, no inline code, Trusted Types required (the script uses no DOM
    /// sink), forms post only to us, no `<base>`, and framing only by the
    /// given origins (`'none'` when empty).
    Html {
        /// Origins allowed to frame the page (already validated, ASCII).
        frame_ancestors: Vec<String>,
    },
    /// A static asset whose name carries its content hash: cacheable for a
    /// year by anyone, never revalidated.
    ImmutableAsset,
}

impl PagePolicy {
    /// The page's Content-Security-Policy.
    pub fn csp(frame_ancestors: &[String]) -> String {
        let ancestors = if frame_ancestors.is_empty() {
            "'none'".to_owned()
        } else {
            frame_ancestors.join(" ")
        };
        format!(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
             connect-src 'self'; form-action 'self'; base-uri 'none'; \
             frame-ancestors {ancestors}; require-trusted-types-for 'script'; \
             trusted-types 'none'"
        )
    }

    pub(super) fn apply(self, headers: &mut HeaderMap) {
        match self {
            PagePolicy::Html { frame_ancestors } => {
                if let Ok(v) = HeaderValue::from_str(&Self::csp(&frame_ancestors)) {
                    headers.insert(http::header::CONTENT_SECURITY_POLICY, v);
                }
                if !frame_ancestors.is_empty() {
                    // CSP frame-ancestors governs; X-Frame-Options cannot name
                    // origins and would forbid the embedding the owner allowed.
                    headers.remove(http::header::X_FRAME_OPTIONS);
                }
            }
            PagePolicy::ImmutableAsset => {
                headers.insert(
                    http::header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                );
            }
        }
    }
}
