//! Bearer tokens handed to users (CRY-4): verification links now, sessions and
//! API keys later. 256 bits from the OS CSPRNG; only the SHA-256 is stored.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::{random_bytes, sha256_hex};

/// A token as the user sees it. Its `Debug` output is redacted so it cannot leak
/// into logs by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

/// The stored form of a token: a hash that cannot be turned back into it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenHash(String);

impl SecretToken {
    /// 32 random bytes, base64url without padding (43 characters).
    pub fn generate() -> Self {
        Self(URL_SAFE_NO_PAD.encode(random_bytes::<32>()))
    }

    /// Wraps a token presented by a client. Anything that is not the shape we hand
    /// out is refused before it reaches the store.
    pub fn parse(presented: &str) -> Option<Self> {
        let ok = presented.len() == 43
            && presented
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| Self(presented.to_owned()))
    }

    /// The value to put in a link, shown once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The hash under which the token is stored and looked up.
    pub fn hash(&self) -> TokenHash {
        TokenHash(sha256_hex(self.0.as_bytes()))
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(<redacted>)")
    }
}

impl TokenHash {
    /// Wraps a hash read back from the store.
    pub fn from_stored(hex: String) -> Self {
        Self(hex)
    }

    /// The hex digest.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_round_trip_through_parse() {
        let a = SecretToken::generate();
        let b = SecretToken::generate();
        assert_ne!(a, b);
        assert_eq!(SecretToken::parse(a.expose()), Some(a.clone()));
        assert_eq!(a.hash().as_str().len(), 64);
        assert_ne!(a.hash().as_str(), a.expose());
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for bad in [
            "",
            "short",
            &"a".repeat(44),
            &format!("{}=", "a".repeat(42)),
            &"é".repeat(43),
        ] {
            assert!(SecretToken::parse(bad).is_none(), "{bad}");
        }
    }
}
