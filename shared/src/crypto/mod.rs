//! Cryptography: envelope encryption of fields, tokens, password hashing.
//!
//! Primitives come from aws-lc-rs (already linked by the AWS SDK's TLS stack, so
//! it costs nothing extra) and the argon2 crate; nothing here hand-rolls a cipher.

mod envelope;
mod password;
mod token;

pub use envelope::{Envelope, FieldBinding, LookupKey, Purpose, WrappedKey};
pub use password::{
    hash_password, typical_verify_duration, verifications_so_far, verify_password, PasswordCheck,
    PasswordHashString,
};
pub use token::{SecretToken, TokenHash};

/// Why a cryptographic operation did not produce a result.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// KMS could not be reached or refused the call; callers fail closed (503).
    #[error("key service unavailable")]
    Unavailable,
    /// A ciphertext does not belong where it was found, or was altered.
    #[error("ciphertext does not decrypt in this context")]
    Undecryptable,
    /// A password hash could not be parsed (stored) or made (new).
    #[error("password hash is malformed")]
    MalformedHash,
}

/// Fills an array from the OS CSPRNG (CRY-4).
// Justified exception to "no panics": without the OS CSPRNG no token, nonce or
// id can be made safely, and there is no answer worth giving; the invocation
// stops rather than continue with predictable bytes.
#[allow(clippy::expect_used)]
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    aws_lc_rs::rand::fill(&mut buf).expect("the OS random generator is available");
    buf
}

/// Lowercase hex SHA-256, used for token hashes and pointer keys.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data).as_ref())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
