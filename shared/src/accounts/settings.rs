//! The tenant's security settings (AUTH-1, AUTH-3, SESS-2), owner only.

use serde::Deserialize;

use super::user::{self};
use super::AccountsError;
use crate::audit::{AuditEvent, Outcome};
use crate::auth::policy::{TenantPolicy, MIN_CHARS_WITH_MFA};
use crate::http::{FieldError, RequestMeta};
use crate::store::{Attrs, Condition, Entity, TenantKey, Write};
use crate::tenancy::{TenantScope, UserId};
use crate::Platform;

/// `PATCH /v1/tenants/{tenant_id}/settings`: any subset of the policy.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    /// 8–64; the platform still requires 15 for users without a second factor.
    #[schema(minimum = 8, maximum = 64)]
    pub password_min_length: Option<i64>,
    /// 0–24 previous passwords that may not be reused.
    #[schema(minimum = 0, maximum = 24)]
    pub password_history: Option<i64>,
    /// 0 (never) to 730 days.
    #[schema(minimum = 0, maximum = 730)]
    pub password_max_age_days: Option<i64>,
    /// Require a second factor for owners and admins.
    pub mfa_required_for_admins: Option<bool>,
    /// 5–120 minutes.
    #[schema(minimum = 5, maximum = 120)]
    pub session_idle_minutes: Option<i64>,
    /// 1–24 hours.
    #[schema(minimum = 1, maximum = 24)]
    pub session_absolute_hours: Option<i64>,
    /// 0–168 hours before a booking in which customers can no longer change it.
    #[schema(minimum = 0, maximum = 168)]
    pub cancellation_window_hours: Option<i64>,
    /// 1–730 days ahead that customers may book.
    #[schema(minimum = 1, maximum = 730)]
    pub max_advance_days: Option<i64>,
    /// 0–10080 minutes' notice a new booking needs.
    #[schema(minimum = 0, maximum = 10080)]
    pub min_notice_minutes: Option<i64>,
    /// The language of the business's mail.
    #[schema(example = "de")]
    pub language: Option<String>,
    /// Up to three reminders, each 5 to 10080 minutes before an appointment;
    /// an empty list sends none.
    #[schema(max_items = 3, example = json!([1440, 60]))]
    pub reminder_offsets_minutes: Option<Vec<i64>>,
    /// Import the subject line of staff members' calendar events besides
    /// their busy time (sealed at rest). Off by default.
    pub calendar_subjects: Option<bool>,
    /// Up to 10 origins (`https://host[:port]`, no path) whose pages may
    /// embed the booking page in a frame; an empty list allows none.
    #[schema(max_items = 10, example = json!(["https://www.example.com"]))]
    pub embed_origins: Option<Vec<String>>,
}

/// Most origins a business may allow to frame its booking page.
pub const MAX_EMBED_ORIGINS: usize = 10;

/// An origin a browser would send: `https://` (or `http://localhost` for
/// development), a lower-case host of letters, digits, dots and hyphens, an
/// optional port, nothing else. Anything else could smuggle a CSP directive.
pub fn parse_embed_origin(value: &str) -> Option<String> {
    let value = value.trim().to_ascii_lowercase();
    let rest = value.strip_prefix("https://").or_else(|| {
        value
            .strip_prefix("http://")
            .filter(|r| r.split(':').next() == Some("localhost"))
    })?;
    let (host, port) = match rest.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (rest, None),
    };
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.parse::<u16>().is_ok_and(|n| n > 0));
    (host_ok && port_ok).then_some(value)
}

/// The current policy.
pub async fn get(p: &Platform, scope: &TenantScope) -> Result<TenantPolicy, AccountsError> {
    Ok(user::tenant(p, scope).await?.policy)
}

fn ranged(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    value: Option<i64>,
    min: i64,
    max: i64,
) -> Option<i64> {
    let v = value?;
    if (min..=max).contains(&v) {
        Some(v)
    } else {
        errors.push(FieldError {
            field,
            message: format!("must be between {min} and {max}"),
        });
        None
    }
}

/// Changes the policy and records who did it.
pub async fn update(
    p: &Platform,
    scope: &TenantScope,
    actor: &UserId,
    input: SettingsInput,
    meta: &RequestMeta,
) -> Result<TenantPolicy, AccountsError> {
    let mut errors = Vec::new();
    let mut attrs = Attrs::new();
    let numbers = [
        (
            "password_min_length",
            input.password_min_length,
            MIN_CHARS_WITH_MFA as i64,
            64,
        ),
        ("password_history", input.password_history, 0, 24),
        ("password_max_age_days", input.password_max_age_days, 0, 730),
        ("session_idle_minutes", input.session_idle_minutes, 5, 120),
        (
            "session_absolute_hours",
            input.session_absolute_hours,
            1,
            24,
        ),
        (
            "cancellation_window_hours",
            input.cancellation_window_hours,
            0,
            168,
        ),
        ("max_advance_days", input.max_advance_days, 1, 730),
        ("min_notice_minutes", input.min_notice_minutes, 0, 10_080),
    ];
    for (field, value, min, max) in numbers {
        if let Some(v) = ranged(&mut errors, field, value, min, max) {
            attrs = attrs.number(field, v);
        }
    }
    if let Some(on) = input.calendar_subjects {
        attrs = attrs.boolean("calendar_subjects", on);
    }
    if let Some(tag) = &input.language {
        match crate::i18n::Language::from_tag(tag) {
            Some(l) if l.tag() == tag.as_str() => attrs = attrs.string("language", l.tag()),
            _ => errors.push(FieldError {
                field: "language",
                message: "must be one of en, de, fr, ja, ko".into(),
            }),
        }
    }
    if let Some(offsets) = &input.reminder_offsets_minutes {
        let range = crate::booking::reminders::OFFSET_RANGE;
        let mut sorted = offsets.clone();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        sorted.dedup();
        if offsets.len() > crate::booking::reminders::MAX_REMINDERS
            || sorted.len() != offsets.len()
            || !offsets.iter().all(|o| range.contains(o))
        {
            errors.push(FieldError {
                field: "reminder_offsets_minutes",
                message: format!(
                    "at most {} different offsets, each {} to {} minutes",
                    crate::booking::reminders::MAX_REMINDERS,
                    range.start(),
                    range.end()
                ),
            });
        } else {
            attrs = attrs.strings(
                "reminder_offsets",
                sorted.iter().map(ToString::to_string).collect(),
            );
        }
    }
    if let Some(origins) = &input.embed_origins {
        let parsed: Option<Vec<String>> = origins.iter().map(|o| parse_embed_origin(o)).collect();
        match parsed {
            Some(mut list) if list.len() <= MAX_EMBED_ORIGINS => {
                list.sort();
                list.dedup();
                attrs = attrs.strings("embed_origins", list);
            }
            _ => errors.push(FieldError {
                field: "embed_origins",
                message: format!(
                    "at most {MAX_EMBED_ORIGINS} origins like https://www.example.com (no path)"
                ),
            }),
        }
    }
    if let Some(required) = input.mfa_required_for_admins {
        attrs = attrs.boolean("mfa_required_for_admins", required);
    }
    if !errors.is_empty() {
        return Err(AccountsError::Invalid(errors));
    }
    if attrs.is_empty() {
        return get(p, scope).await;
    }
    let audit = AuditEvent {
        kind: "tenant",
        action: "settings.changed",
        actor: actor.to_string(),
        target: scope.tenant_id().to_string(),
        client_addr: meta.client_addr.clone(),
        outcome: Outcome::Success,
    };
    p.store
        .transact(vec![
            Write::Update(
                TenantKey::new(scope, Entity::Profile),
                attrs,
                Condition::Exists,
            ),
            audit.write(scope),
        ])
        .await?;
    get(p, scope).await
}

#[cfg(test)]
mod tests {
    use super::parse_embed_origin;

    #[test]
    fn embed_origins_are_bare_https_origins_and_nothing_that_could_extend_a_csp() {
        for (given, expected) in [
            ("https://www.example.com", "https://www.example.com"),
            ("HTTPS://Shop.Example.COM", "https://shop.example.com"),
            ("https://example.com:8443", "https://example.com:8443"),
            ("http://localhost:8080", "http://localhost:8080"),
        ] {
            assert_eq!(parse_embed_origin(given).as_deref(), Some(expected));
        }
        for hostile in [
            "",
            "*",
            "'none'",
            "https://",
            "https://*.example.com",
            "https://example.com/",
            "https://example.com/path",
            "https://example.com; script-src *",
            "https://example.com 'unsafe-inline'",
            "https://exa mple.com",
            "https://example.com:0",
            "https://example.com:99999",
            "https://example.com:",
            "https://-example.com",
            "https://user@example.com",
            "http://example.com",
            "javascript:alert(1)",
            "data:text/html,x",
            "https://example.com\r\nx-injected: 1",
        ] {
            assert_eq!(parse_embed_origin(hostile), None, "{hostile:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn an_accepted_origin_is_one_csp_source_token(value in "\\PC{0,80}") {
            if let Some(origin) = parse_embed_origin(&value) {
                proptest::prop_assert!(origin.bytes().all(|b| b.is_ascii_alphanumeric() || b":/.-".contains(&b)));
            }
        }
    }
}
