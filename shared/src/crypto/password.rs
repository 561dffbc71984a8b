//! Password hashing (CRY-1): Argon2id with a unique salt at OWASP's parameters.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::{random_bytes, CryptoError};
use crate::clock::TypicalDuration;

/// Memory cost in KiB (19 MiB), OWASP's current floor for Argon2id.
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Iterations.
pub const ITERATIONS: u32 = 2;
/// Lanes.
pub const PARALLELISM: u32 = 1;

/// The argon2 crate's defaults are OWASP's parameters (a unit test holds them
/// to [`MEMORY_KIB`], [`ITERATIONS`] and [`PARALLELISM`]).
fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::DEFAULT)
}

/// A PHC-format Argon2id hash string, the only form in which a password is kept.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHashString(String);

impl PasswordHashString {
    /// Wraps a hash read back from the store.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    /// The PHC string to store.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PasswordHashString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHashString(<redacted>)")
    }
}

/// The outcome of checking a password.
#[derive(Debug, PartialEq, Eq)]
pub enum PasswordCheck {
    /// Wrong password.
    Mismatch,
    /// Right password, hash at current parameters.
    Match,
    /// Right password, but the hash uses weaker parameters and should be replaced.
    MatchNeedsRehash,
}

/// Hashes a password with a fresh 16-byte salt. CPU-bound for tens of
/// milliseconds: call it from a blocking task.
pub fn hash_password(password: &str) -> Result<PasswordHashString, CryptoError> {
    let salt =
        SaltString::encode_b64(&random_bytes::<16>()).map_err(|_| CryptoError::MalformedHash)?;
    let hash = hasher()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|_| CryptoError::MalformedHash)?;
    Ok(PasswordHashString(hash.to_string()))
}

static VERIFICATIONS: AtomicU64 = AtomicU64::new(0);
static TYPICAL_VERIFY: TypicalDuration = TypicalDuration::new();

/// How many password verifications this process has run: the work an attacker
/// can make us do, and so what brute-force admission must bound (AUTH-2).
pub fn verifications_so_far() -> u64 {
    VERIFICATIONS.load(Ordering::SeqCst)
}

/// How long a verification typically takes in this process, so that a refusal
/// that skips the work can take as long as one that did it.
pub fn typical_verify_duration() -> Duration {
    TYPICAL_VERIFY.get()
}

fn record_verification(took: Duration) {
    VERIFICATIONS.fetch_add(1, Ordering::SeqCst);
    TYPICAL_VERIFY.record(took);
}

/// Verifies a password against a stored hash, reporting whether it should be
/// rehashed because the parameters have risen since (CRY-1).
pub fn verify_password(
    password: &str,
    stored: &PasswordHashString,
) -> Result<PasswordCheck, CryptoError> {
    let parsed = PasswordHash::new(&stored.0).map_err(|_| CryptoError::MalformedHash)?;
    let started = Instant::now();
    let verified = hasher().verify_password(password.as_bytes(), &parsed);
    record_verification(started.elapsed());
    if verified.is_err() {
        return Ok(PasswordCheck::Mismatch);
    }
    let current = Params::try_from(&parsed).ok();
    let up_to_date = parsed.algorithm.as_str() == "argon2id"
        && current.is_some_and(|p| {
            p.m_cost() >= MEMORY_KIB && p.t_cost() >= ITERATIONS && p.p_cost() >= PARALLELISM
        });
    Ok(if up_to_date {
        PasswordCheck::Match
    } else {
        PasswordCheck::MatchNeedsRehash
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_salted_argon2id_at_owasp_parameters() {
        let a = hash_password("correct horse battery staple").unwrap();
        let b = hash_password("correct horse battery staple").unwrap();
        assert_ne!(a, b, "each hash has its own salt");
        assert!(
            a.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            a.as_str()
        );
        assert!(!a.as_str().contains("battery"));
    }

    #[test]
    fn verification_accepts_only_the_right_password() {
        let h = hash_password("pässwörd with ünïcode ✓").unwrap();
        assert_eq!(
            verify_password("pässwörd with ünïcode ✓", &h).unwrap(),
            PasswordCheck::Match
        );
        assert_eq!(
            verify_password("pässwörd with ünïcode", &h).unwrap(),
            PasswordCheck::Mismatch
        );
    }

    #[test]
    fn weaker_parameters_ask_for_a_rehash() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8 * 1024, 1, 1, None).unwrap(),
        );
        let salt = SaltString::encode_b64(&[7u8; 16]).unwrap();
        let old = PasswordHashString(
            weak.hash_password(b"an old password", &salt)
                .unwrap()
                .to_string(),
        );
        assert_eq!(
            verify_password("an old password", &old).unwrap(),
            PasswordCheck::MatchNeedsRehash
        );
    }
}
