//! Second factors (AUTH-3): TOTP (RFC 6238), one-time codes by email, and
//! single-use recovery codes.

use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::crypto::{random_bytes, sha256_hex};

/// Issuer shown in authenticator apps.
pub const ISSUER: &str = "Bookwarden";
/// How many recovery codes a user gets.
pub const RECOVERY_CODES: usize = 10;
/// Wrong codes allowed per pending login.
pub const MAX_ATTEMPTS: i64 = 5;
/// Lifetime of an emailed code.
pub const EMAIL_CODE_TTL_SECS: i64 = 600;

fn totp(secret: &[u8], account: &str) -> Option<Totp> {
    let builder = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(0)
        .with_step_duration(30)
        .with_secret(secret.to_vec())
        .with_issuer(Some(ISSUER));
    let builder = if account.is_empty() {
        builder
    } else {
        builder.with_account_name(account)
    };
    builder.build().ok()
}

/// A fresh 160-bit TOTP secret.
pub fn new_totp_secret() -> Vec<u8> {
    random_bytes::<20>().to_vec()
}

/// The `otpauth://` URI an authenticator app (or a QR code of it) takes.
pub fn otpauth_uri(secret: &[u8], account: &str) -> Option<String> {
    totp(secret, account).and_then(|t| t.to_url().ok())
}

/// The secret in base32, for typing it in by hand.
pub fn secret_base32(secret: &[u8]) -> String {
    Secret::from(secret.to_vec()).to_base32()
}

/// Checks a TOTP code at `now` (one step of clock skew either way) and returns
/// its time step, which must be later than the last accepted one (no replay).
pub fn check_totp(secret: &[u8], code: &str, now: i64, last_step: i64) -> Option<i64> {
    let t = totp(secret, "")?;
    let now = u64::try_from(now).ok()?;
    let step = (-1i64..=1).find_map(|offset| {
        let at = now.checked_add_signed(offset * 30)?;
        (t.generate(at).to_string() == code).then_some(at as i64 / 30)
    })?;
    (step > last_step).then_some(step)
}

/// Six uniformly random digits.
pub fn new_email_code() -> String {
    loop {
        let n = u32::from_be_bytes(random_bytes::<4>());
        // Rejection sampling keeps the digits uniform.
        if n < u32::MAX - (u32::MAX % 1_000_000) {
            return format!("{:06}", n % 1_000_000);
        }
    }
}

/// The stored form of an emailed code, salted with its challenge id.
pub fn email_code_hash(challenge_id: &str, code: &str) -> String {
    sha256_hex(format!("{challenge_id}:{code}").as_bytes())
}

const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Ten codes like `k3fq-8mzp-2xrt` (60 bits each), shown once.
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let bytes = random_bytes::<12>();
            let chars: Vec<char> = bytes
                .iter()
                .map(|b| RECOVERY_ALPHABET[(*b & 0x1f) as usize] as char)
                .collect();
            format!(
                "{}-{}-{}",
                chars[..4].iter().collect::<String>(),
                chars[4..8].iter().collect::<String>(),
                chars[8..].iter().collect::<String>()
            )
        })
        .collect()
}

/// The stored form of a recovery code; input is normalised so spacing and case
/// do not matter.
pub fn recovery_code_hash(code: &str) -> String {
    let normalized: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .flat_map(|c| c.to_lowercase())
        .collect();
    sha256_hex(format!("recovery:{normalized}").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totp_codes_verify_once_within_skew() {
        let secret = new_totp_secret();
        let t = totp(&secret, "a").unwrap();
        let now = 1_800_000_000i64;
        let code = t.generate(now as u64).to_string();
        let step = check_totp(&secret, &code, now, 0).unwrap();
        assert_eq!(step, now / 30);
        assert_eq!(
            check_totp(&secret, &code, now, step),
            None,
            "replay refused"
        );
        assert!(
            check_totp(&secret, &code, now + 30, 0).is_some(),
            "one step of skew"
        );
        assert_eq!(check_totp(&secret, &code, now + 120, 0), None);
        assert_eq!(check_totp(&secret, "000000x", now, 0), None);
    }

    #[test]
    fn otpauth_uris_name_the_issuer_and_account() {
        let uri = otpauth_uri(&new_totp_secret(), "ada@example.com").unwrap();
        assert!(
            uri.starts_with("otpauth://totp/Bookwarden:ada%40example.com?secret="),
            "{uri}"
        );
        assert!(uri.contains("issuer=Bookwarden"));
    }

    #[test]
    fn recovery_codes_are_distinct_and_forgiving_about_format() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        let unique: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), 10);
        assert_eq!(
            recovery_code_hash(&codes[0]),
            recovery_code_hash(&codes[0].to_uppercase().replace('-', " "))
        );
        assert_eq!(new_email_code().len(), 6);
    }
}
