//! Password policy (AUTH-1), after NIST SP 800-63B-4: length, not composition.
//!
//! Passwords are NFKC-normalised, must be at least 15 characters (8 where the
//! user has a second factor), may be up to 256, accept any Unicode, and are
//! refused when they appear in the common/breached password list shipped inside
//! the zxcvbn crate, when the estimator finds them easy to guess, or when they
//! are a close variant of the user's email or the business name. Tenants can
//! raise the minimum, forbid reuse of recent passwords and force periodic change.

use unicode_normalization::UnicodeNormalization;

use crate::store::Record;

/// Platform floor without a second factor.
pub const MIN_CHARS_SINGLE_FACTOR: usize = 15;
/// Platform floor with a second factor.
pub const MIN_CHARS_WITH_MFA: usize = 8;
/// Longest accepted password (NIST requires at least 64).
pub const MAX_CHARS: usize = 256;
/// The estimator only looks at this many characters; longer passwords are
/// judged on their start (which is where weak ones are weak).
const ESTIMATOR_CHARS: usize = 100;

/// A tenant's tightening of the platform policy.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct TenantPolicy {
    /// Minimum length in characters (never below the platform floor).
    pub password_min_length: usize,
    /// How many previous passwords may not be reused (0 = no check).
    pub password_history: usize,
    /// Days after which a password must be changed (0 = never).
    pub password_max_age_days: i64,
    /// Whether owners and admins must use a second factor.
    pub mfa_required_for_admins: bool,
    /// Idle session lifetime in minutes.
    pub session_idle_minutes: i64,
    /// Absolute session lifetime in hours.
    pub session_absolute_hours: i64,
    /// Customers may cancel or move a booking until this many hours before it.
    pub cancellation_window_hours: i64,
    /// How many days ahead customers may book (1–730).
    pub max_advance_days: i64,
    /// How many minutes' notice a new booking needs at least (0–10080).
    pub min_notice_minutes: i64,
    /// The language of the business's mail: `en`, `de`, `fr`, `ja` or `ko`.
    #[schema(example = "en")]
    pub language: String,
    /// Minutes before an appointment at which customers get reminders (at
    /// most three; none when empty). Bookings keep the offsets they were
    /// made with.
    pub reminder_offsets_minutes: Vec<i64>,
    /// Whether connected calendars import event subjects besides busy time
    /// (CAL-2; off unless the owner turns it on).
    pub calendar_subjects: bool,
    /// Origins (`https://host[:port]`) whose pages may frame the booking
    /// page; it feeds the page's CSP `frame-ancestors` (none when empty).
    pub embed_origins: Vec<String>,
}

impl Default for TenantPolicy {
    fn default() -> Self {
        Self {
            password_min_length: MIN_CHARS_SINGLE_FACTOR,
            password_history: 0,
            password_max_age_days: 0,
            mfa_required_for_admins: false,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            cancellation_window_hours: 24,
            max_advance_days: 90,
            min_notice_minutes: 60,
            language: crate::i18n::Language::default().tag().to_owned(),
            reminder_offsets_minutes: crate::booking::context::DEFAULT_REMINDER_OFFSETS.to_vec(),
            calendar_subjects: false,
            embed_origins: Vec::new(),
        }
    }
}

impl TenantPolicy {
    /// Reads the policy stored on the tenant profile; absent values are defaults.
    pub fn from_profile(profile: &Record) -> Self {
        let d = Self::default();
        let n = |name: &str, default: i64| profile.number(name).unwrap_or(default);
        Self {
            password_min_length: n("password_min_length", d.password_min_length as i64) as usize,
            password_history: n("password_history", 0) as usize,
            password_max_age_days: n("password_max_age_days", 0),
            mfa_required_for_admins: profile.flag("mfa_required_for_admins"),
            session_idle_minutes: n("session_idle_minutes", d.session_idle_minutes),
            session_absolute_hours: n("session_absolute_hours", d.session_absolute_hours),
            cancellation_window_hours: n("cancellation_window_hours", d.cancellation_window_hours),
            max_advance_days: n("max_advance_days", d.max_advance_days).clamp(1, 730),
            min_notice_minutes: n("min_notice_minutes", d.min_notice_minutes).clamp(0, 10_080),
            language: crate::booking::context::language_of(profile)
                .tag()
                .to_owned(),
            reminder_offsets_minutes: crate::booking::context::reminder_offsets_of(profile),
            calendar_subjects: profile.flag("calendar_subjects"),
            embed_origins: profile.strings("embed_origins"),
        }
    }

    /// The minimum that applies to a user with or without a second factor.
    pub fn min_chars(&self, has_mfa: bool) -> usize {
        let floor = if has_mfa {
            MIN_CHARS_WITH_MFA
        } else {
            MIN_CHARS_SINGLE_FACTOR
        };
        self.password_min_length.max(floor)
    }
}

/// NFKC, so that visually identical passwords typed on different keyboards match.
pub fn normalize(password: &str) -> String {
    password.nfkc().collect()
}

/// Why a new password is refused, safe to show to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

/// Checks a candidate password; returns its normalised form to hash.
/// `context` holds what an attacker would try first: the email, names, slug.
pub fn check_new_password(
    password: &str,
    min_chars: usize,
    context: &[&str],
) -> Result<String, Refusal> {
    let normalized = normalize(password);
    let chars = normalized.chars().count();
    if chars < min_chars || chars > MAX_CHARS {
        return Err(Refusal(format!(
            "must be {min_chars} to {MAX_CHARS} characters"
        )));
    }
    if is_close_to_context(&normalized, context) {
        return Err(Refusal(
            "is too close to your email address or business name".into(),
        ));
    }
    let head: String = normalized.chars().take(ESTIMATOR_CHARS).collect();
    let inputs: Vec<&str> = context.iter().copied().filter(|c| !c.is_empty()).collect();
    let estimate = zxcvbn::zxcvbn(&head, &inputs);
    if is_listed(&estimate, head.chars().count()) {
        return Err(Refusal(
            "appears in a list of common or breached passwords".into(),
        ));
    }
    if (estimate.score() as u8) < 3 {
        return Err(Refusal(
            "is too easy to guess; a few unrelated words make a strong password".into(),
        ));
    }
    Ok(normalized)
}

/// The whole password is one entry of the shipped password list (any case).
fn is_listed(estimate: &zxcvbn::Entropy, len: usize) -> bool {
    estimate.sequence().iter().any(|m| {
        m.i == 0
            && m.j + 1 == len
            && matches!(&m.pattern, zxcvbn::matching::patterns::MatchPattern::Dictionary(d)
                if format!("{:?}", d.dictionary_name) == "Passwords")
    })
}

fn letters_and_digits(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The password, stripped of punctuation and case, is mostly the email's local
/// part, its domain's first label, or a name from the context.
fn is_close_to_context(password: &str, context: &[&str]) -> bool {
    let pw = letters_and_digits(password);
    let mut words = Vec::new();
    for c in context {
        match c.split_once('@') {
            Some((local, domain)) => {
                words.push(letters_and_digits(local));
                words.push(letters_and_digits(
                    domain.split('.').next().unwrap_or_default(),
                ));
            }
            None => words.push(letters_and_digits(c)),
        }
    }
    words
        .iter()
        .filter(|w| w.chars().count() >= 4)
        .any(|w| pw.contains(w.as_str()) && pw.chars().count() <= w.chars().count() + 6)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: &[&str] = &["ada.lovelace@example.com", "Salon Nord", "salon-nord"];

    #[test]
    fn long_unrelated_passphrases_pass_in_any_script() {
        for good in [
            "correct horse battery staple",
            "Kaffee trinken im Morgengrauen",
            "日本語のパスワードも大丈夫ですよ",
            "tortoise mango quietly 1987 lantern",
        ] {
            assert!(check_new_password(good, 15, CTX).is_ok(), "{good}");
        }
    }

    #[test]
    fn short_common_and_personal_passwords_are_refused() {
        assert!(check_new_password("short", 15, CTX).is_err());
        assert_eq!(
            check_new_password("1qaz2wsx3edc4rfv", 15, CTX)
                .unwrap_err()
                .0,
            "appears in a list of common or breached passwords"
        );
        assert!(check_new_password("aaaaaaaaaaaaaaaaaaaa", 15, CTX).is_err());
        assert!(check_new_password("AdaLovelace2024!!", 15, CTX).is_err());
        assert!(check_new_password("SalonNord#123456", 15, CTX).is_err());
        assert!(check_new_password(&"x".repeat(MAX_CHARS + 1), 15, CTX).is_err());
    }

    #[test]
    fn mfa_lowers_the_floor_and_tenants_raise_it() {
        let policy = TenantPolicy::default();
        assert_eq!(policy.min_chars(false), 15);
        assert_eq!(policy.min_chars(true), 15, "the tenant default keeps 15");
        let relaxed = TenantPolicy {
            password_min_length: 8,
            ..TenantPolicy::default()
        };
        assert_eq!(relaxed.min_chars(true), 8);
        assert_eq!(
            relaxed.min_chars(false),
            15,
            "never below the single-factor floor"
        );
        let strict = TenantPolicy {
            password_min_length: 20,
            ..TenantPolicy::default()
        };
        assert_eq!(strict.min_chars(true), 20);
    }

    #[test]
    fn normalisation_makes_compatibility_forms_equal() {
        assert_eq!(normalize("ｆｕｌｌｗｉｄｔｈ"), "fullwidth");
        assert_eq!(normalize("ﬁ"), "fi");
    }
}
