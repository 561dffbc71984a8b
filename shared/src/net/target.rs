//! The URLs users give us for outbound requests (WEB-6): an ICS feed, a
//! CalDAV server. Checked before anything is resolved; the addresses a host
//! resolves to are checked by [`super::address`] at connection time.

use std::net::IpAddr;

use url::{Host, Url};

use super::address::{self, Refused};

/// Longest URL accepted: feeds and servers are addressed by short URLs, and
/// the URL is stored sealed.
pub const MAX_URL_LEN: usize = 2048;

/// Why a URL is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BadTarget {
    /// Not a URL, too long, or without a host.
    Malformed,
    /// Not `https:` (or `webcal:`, which is rewritten to `https:`).
    NotHttps,
    /// User name or password inside the URL; credentials travel separately.
    Credentials,
    /// An IP literal in a refused range.
    Address(Refused),
}

/// A URL an outbound request may be made to, as far as can be told before
/// resolving its host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target(Url);

impl Target {
    /// Checks a user-supplied URL. `webcal://` (calendar subscription links)
    /// becomes `https://`; `http://` is refused rather than upgraded, so a
    /// feed that only answers in clear text fails visibly.
    pub fn parse(input: &str) -> Result<Self, BadTarget> {
        let input = input.trim();
        if input.is_empty() || input.len() > MAX_URL_LEN {
            return Err(BadTarget::Malformed);
        }
        let mut url = Url::parse(input).map_err(|_| BadTarget::Malformed)?;
        if url.scheme().eq_ignore_ascii_case("webcal") {
            let rest = &input[input.find(':').unwrap_or(0)..];
            url = Url::parse(&format!("https{rest}")).map_err(|_| BadTarget::Malformed)?;
        }
        if url.scheme() != "https" {
            return Err(BadTarget::NotHttps);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(BadTarget::Credentials);
        }
        match url.host() {
            None => return Err(BadTarget::Malformed),
            Some(Host::Ipv4(ip)) => address::check(IpAddr::V4(ip)).map_err(BadTarget::Address)?,
            Some(Host::Ipv6(ip)) => address::check(IpAddr::V6(ip)).map_err(BadTarget::Address)?,
            Some(Host::Domain(_)) => {}
        }
        url.set_fragment(None);
        Ok(Self(url))
    }

    /// The checked URL.
    pub fn url(&self) -> &Url {
        &self.0
    }

    /// The host to resolve (or the IP literal), without brackets.
    pub fn host(&self) -> String {
        match self.0.host() {
            Some(Host::Ipv6(ip)) => ip.to_string(),
            Some(host) => host.to_string(),
            None => String::new(),
        }
    }

    /// The port to connect to (443 unless the URL names another).
    pub fn port(&self) -> u16 {
        self.0.port_or_known_default().unwrap_or(443)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn https_and_webcal_pass_and_everything_else_is_refused() {
        let feed =
            Target::parse(" webcal://calendar.example.com/feed.ics?token=abc#x ").expect("webcal");
        assert_eq!(
            feed.url().as_str(),
            "https://calendar.example.com/feed.ics?token=abc"
        );
        assert_eq!(
            (feed.host().as_str(), feed.port()),
            ("calendar.example.com", 443)
        );
        let caldav = Target::parse("https://dav.example.org:8443/cal/").expect("https");
        assert_eq!(caldav.port(), 8443);
        let v6 = Target::parse("https://[2606:4700:4700::1111]/x").expect("public v6 literal");
        assert_eq!(v6.host(), "2606:4700:4700::1111");

        let refused = [
            ("http://calendar.example.com/feed.ics", BadTarget::NotHttps),
            ("ftp://example.com/feed.ics", BadTarget::NotHttps),
            ("file:///etc/passwd", BadTarget::NotHttps),
            (
                "https://user:pass@example.com/feed.ics",
                BadTarget::Credentials,
            ),
            ("https://user@example.com/", BadTarget::Credentials),
            (
                "https://127.0.0.1/feed.ics",
                BadTarget::Address(Refused::Loopback),
            ),
            ("https://[::1]/", BadTarget::Address(Refused::Loopback)),
            (
                "https://169.254.169.254/latest/meta-data/",
                BadTarget::Address(Refused::CloudMetadata),
            ),
            (
                "https://[::ffff:a9fe:a9fe]/",
                BadTarget::Address(Refused::CloudMetadata),
            ),
            ("https://0x7f.1/", BadTarget::Address(Refused::Loopback)),
            ("https://2130706433/", BadTarget::Address(Refused::Loopback)),
            ("https://10.0.0.1/", BadTarget::Address(Refused::Private)),
            ("not a url", BadTarget::Malformed),
            ("", BadTarget::Malformed),
        ];
        for (input, why) in refused {
            assert_eq!(Target::parse(input), Err(why), "{input}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert_eq!(Target::parse(&long), Err(BadTarget::Malformed));
    }

    proptest! {
        /// Any text is accepted or refused without panicking, and whatever is
        /// accepted is https with a host and no credentials.
        #[test]
        fn any_text_parses_to_an_https_target_or_is_refused(text in "\\PC{0,200}", tail in "[a-z0-9./:@\\[\\]%?#-]{0,60}") {
            for input in [text.clone(), format!("https://{tail}"), format!("webcal://{tail}")] {
                if let Ok(target) = Target::parse(&input) {
                    prop_assert_eq!(target.url().scheme(), "https");
                    prop_assert!(target.url().host().is_some());
                    prop_assert!(target.url().username().is_empty());
                    prop_assert!(target.url().password().is_none());
                }
            }
        }
    }
}
