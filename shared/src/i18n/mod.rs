//! Every email the product sends, in the business's language, from one
//! message catalog.
//!
//! Call sites describe *what* to say as a typed [`Mail`] and get back a subject
//! and a plain-text body from [`render`]. The words live in Project Fluent
//! files (`locales/{en,de,fr,ja,ko}.ftl`), compiled into the binary with
//! `include_str!`, so that:
//!
//! - a translation is reviewed as a whole file, not hunted for in `format!`
//!   strings spread over the code base;
//! - word order is the translation's choice (Japanese puts the date first,
//!   Korean attaches particles), which string concatenation cannot offer;
//! - nothing is loaded at run time, so rendering cannot fail on a missing file.
//!
//! Times are always shown in the business's zone with the zone's name and its
//! UTC offset at that moment ([`When`]): a customer reading "14:30" must know
//! whose 14:30 it is, including across a daylight-saving change.
//!
//! Rendering never panics and never fails: a lookup that could not be resolved
//! falls back to English and is logged (message id and error kind only, never
//! a value). The unit tests prove every message resolves in every language.

mod catalog;
mod language;
mod when;

#[cfg(test)]
mod tests;

pub use language::Language;
pub use when::When;

use catalog::{Catalog, Renderer};
use fluent_bundle::FluentArgs;

use crate::tenancy::Role;

/// One message the product sends, with everything it shows.
///
/// Each variant is one catalog entry; the fields are the values its text
/// shows. `name` is always the recipient's display name and `business` the
/// tenant's name. Times are [`When`]s in the business's zone. Fields hold
/// personal data and secret links, so `Debug` shows only which message it is.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Mail {
    /// To the customer after booking (`booking::mail::confirmation`), with the
    /// link that lets them view, move or cancel the appointment.
    BookingConfirmed {
        /// The customer's name.
        name: String,
        /// The business's name.
        business: String,
        /// When the appointment starts.
        start: When,
        /// When the appointment ends.
        end: When,
        /// The manage-booking link with its secret token.
        manage_url: String,
    },
    /// To the customer when their booking was cancelled
    /// (`booking::mail::changed` with "cancelled").
    BookingCancelled {
        /// The customer's name.
        name: String,
        /// The business's name.
        business: String,
        /// When the cancelled appointment would have started.
        start: When,
    },
    /// To the customer when their booking was moved
    /// (`booking::mail::changed` with "moved").
    BookingMoved {
        /// The customer's name.
        name: String,
        /// The business's name.
        business: String,
        /// When the appointment started before it was moved.
        previous_start: When,
        /// When it starts now.
        start: When,
        /// When it ends now.
        end: When,
    },
    /// To the staff member when an appointment was booked with them
    /// (the staff note in `booking::mail::confirmation`).
    StaffBookingNew {
        /// The staff member's name.
        name: String,
        /// When the appointment starts.
        start: When,
        /// When the appointment ends.
        end: When,
    },
    /// To the staff member when one of their appointments was cancelled
    /// (the staff note in `booking::mail::changed`).
    StaffBookingCancelled {
        /// The staff member's name.
        name: String,
        /// When the cancelled appointment would have started.
        start: When,
        /// When it would have ended.
        end: When,
    },
    /// To the staff member when one of their appointments was moved
    /// (the staff note in `booking::mail::changed`).
    StaffBookingMoved {
        /// The staff member's name.
        name: String,
        /// When the appointment started before it was moved.
        previous_start: When,
        /// When it starts now.
        start: When,
        /// When it ends now.
        end: When,
    },
    /// The customer's reminder (`booking::mail::reminder`); the only
    /// reminder-type message, so the only one a recipient may unsubscribe from.
    Reminder {
        /// The customer's name.
        name: String,
        /// The business's name.
        business: String,
        /// When the appointment starts.
        start: When,
        /// A link a person can open in a browser to stop reminders. The
        /// RFC 8058 one-click URL goes in the `List-Unsubscribe` header; it
        /// answers only `POST`, so it belongs here only if a page serves it.
        unsubscribe_url: String,
    },
    /// Asks a new owner to confirm their address: after sign-up
    /// (`accounts::signup`) and when it is sent again
    /// (`accounts::verification`).
    VerifyEmail {
        /// The owner's name.
        name: String,
        /// The name of the business being signed up.
        business: String,
        /// The verification link with its secret token.
        url: String,
    },
    /// The password-reset link (`accounts::reset`).
    PasswordReset {
        /// The user's name.
        name: String,
        /// The business's name.
        business: String,
        /// The reset link with its secret token.
        url: String,
    },
    /// An invitation to join a business (`accounts::users`, invite).
    Invitation {
        /// The invited person's name.
        name: String,
        /// The business's name.
        business: String,
        /// The invitation link with its secret token.
        url: String,
    },
    /// Sent to a new address to confirm an email change (`accounts::me`,
    /// email change); the old address gets
    /// [`SecurityEvent::EmailChangeRequested`].
    ConfirmNewEmail {
        /// The user's name.
        name: String,
        /// The business's name.
        business: String,
        /// The confirmation link with its secret token.
        url: String,
    },
    /// A one-time sign-in code by email (`accounts::login`, second step).
    SignInCode {
        /// The user's name.
        name: String,
        /// The business's name.
        business: String,
        /// The code.
        code: String,
    },
    /// A security notice (`accounts::notify::security_notice`) to the
    /// account's verified address, so the owner notices what they did not do.
    Security {
        /// The user's name.
        name: String,
        /// The business's name: one address may have accounts at several.
        business: String,
        /// When it happened.
        at: When,
        /// What happened.
        event: SecurityEvent,
    },
}

/// What a security notice reports: one variant per `security_notice` call.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SecurityEvent {
    /// The user changed their password (`accounts::me`).
    PasswordChanged,
    /// The password was reset with an emailed link; every session ended
    /// (`accounts::reset`).
    PasswordReset,
    /// An authenticator app was added: two-step sign-in is on
    /// (`accounts::me`, first enrolment).
    TwoStepEnabled,
    /// The authenticator app was replaced; old codes stop working
    /// (`accounts::me`, re-enrolment).
    AuthenticatorReplaced,
    /// The authenticator app was removed: two-step sign-in is off
    /// (`accounts::me`).
    TwoStepDisabled,
    /// New recovery codes replaced the old ones (`accounts::me`).
    RecoveryCodesReplaced,
    /// A recovery code was used to sign in (`accounts::login`).
    RecoveryCodeUsed,
    /// The password was right but the second step failed
    /// (`accounts::login`).
    SecondStepFailed,
    /// Locked after repeated wrong passwords (`accounts::login`).
    LockedAfterPasswords,
    /// Locked after repeated second-step failures with the right password
    /// (`accounts::login`).
    LockedAfterSecondStep,
    /// An owner closed the business: the public pages stopped, every session
    /// ended, and the data is deleted after the restore window unless an
    /// owner restores it (`accounts::closure`, PRIV-3). Sent to every owner.
    BusinessClosed,
    /// An owner restored a closed business (`accounts::closure`). Sent to
    /// every owner.
    BusinessRestored,
    /// A move to another address was requested; told to the old address
    /// (`accounts::me`).
    EmailChangeRequested,
    /// The address was changed and confirmed; told to the old address
    /// (`accounts::me`).
    EmailChanged,
    /// An API key was created (`accounts::keys`).
    ApiKeyCreated {
        /// The key's name as its creator typed it.
        key_name: String,
    },
    /// An API key was revoked (`accounts::keys`).
    ApiKeyRevoked {
        /// The key's name.
        key_name: String,
    },
    /// The user's role was changed and their sessions ended
    /// (`accounts::users`).
    RoleChanged {
        /// The new role, shown in the reader's language.
        role: Role,
    },
    /// A calendar was connected to the account (`calendar::connect`).
    CalendarConnected {
        /// The provider's name (a brand, not translated).
        provider: String,
    },
    /// A calendar was disconnected and its imported busy time deleted
    /// (`calendar::connect`).
    CalendarDisconnected {
        /// The provider's name.
        provider: String,
    },
    /// A calendar's access was revoked or expired; it no longer syncs until
    /// connected again (`calendar::sync`, CAL-4).
    CalendarNeedsReconnect {
        /// The provider's name.
        provider: String,
    },
    /// A data export of the business or of one customer is ready (PRIV-1),
    /// told to every owner; the archive is fetched through the API with a
    /// session, never through a link in mail (`export`).
    DataExportReady,
}

/// A rendered message: what goes into the `Subject` header and the
/// plain-text body.
#[derive(Clone, PartialEq, Eq)]
pub struct Rendered {
    /// One line, without line breaks (values with line breaks are joined).
    pub subject: String,
    /// The body; every line ends with CRLF, as SMTP wants.
    pub text: String,
}

impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names, addresses and secret links stay out of logs.
        f.debug_struct("Mail")
            .field("message", &self.message_id())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The text carries secret links.
        f.debug_struct("Rendered")
            .field("subject_chars", &self.subject.chars().count())
            .field("text_chars", &self.text.chars().count())
            .finish()
    }
}

/// Renders `mail` in `lang`.
///
/// Never panics and never fails: the catalog is compiled in and tested; if a
/// lookup could still not be resolved, the English text is sent and the
/// failure logged (without any value from `mail`).
pub fn render(lang: Language, mail: &Mail) -> Rendered {
    render_with(Catalog::global(), lang, mail)
}

/// The line the mailer puts under every message, before the link to the
/// recipient's email preferences (MAIL-3).
pub fn preferences_footer(lang: Language, preferences_url: &str) -> String {
    Catalog::global().with_fallback(lang, "preferences-footer", |r| {
        let mut args = FluentArgs::new();
        args.set("url", preferences_url);
        one_line(&r.value("preferences-footer", Some(&args)))
    })
}

/// A page text (`locales/pages/*.ftl`) in `lang`, with its arguments; the
/// English text when the lookup fails (logged by id, never a value). Pages
/// insert it HTML-escaped.
pub fn text(lang: Language, id: &'static str, args: &[(&'static str, &str)]) -> String {
    Catalog::global().with_fallback(lang, id, |r| {
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            fluent.set(*name, *value);
        }
        r.value(id, (!args.is_empty()).then_some(&fluent))
    })
}

/// A calendar day as pages show it ("Tuesday, 1 December 2026"), in `lang`.
pub fn day_label(lang: Language, day: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    Catalog::global().with_fallback(lang, "day", |r| {
        let mut args = FluentArgs::new();
        args.set(
            "weekday",
            r.value(
                &format!("weekday-{}", day.weekday().number_from_monday()),
                None,
            ),
        );
        args.set("month", r.value(&format!("month-{}", day.month()), None));
        args.set("day", day.day());
        args.set("year", day.year().to_string());
        r.value("day", Some(&args))
    })
}

/// The title of the appointment in the attached iCalendar file, which the
/// customer's calendar shows.
pub fn calendar_summary(lang: Language, business: &str) -> String {
    Catalog::global().with_fallback(lang, "calendar-summary", |r| {
        let mut args = FluentArgs::new();
        args.set("business", business);
        one_line(&r.value("calendar-summary", Some(&args)))
    })
}

fn render_with(catalog: &Catalog, lang: Language, mail: &Mail) -> Rendered {
    catalog.with_fallback(lang, mail.message_id(), |r| compose(r, mail))
}

impl Mail {
    /// The catalog entry this message is rendered from.
    fn message_id(&self) -> &'static str {
        match self {
            Mail::BookingConfirmed { .. } => "booking-confirmed",
            Mail::BookingCancelled { .. } => "booking-cancelled",
            Mail::BookingMoved { .. } => "booking-moved",
            Mail::StaffBookingNew { .. } => "staff-booking-new",
            Mail::StaffBookingCancelled { .. } => "staff-booking-cancelled",
            Mail::StaffBookingMoved { .. } => "staff-booking-moved",
            Mail::Reminder { .. } => "reminder",
            Mail::VerifyEmail { .. } => "verify-email",
            Mail::PasswordReset { .. } => "password-reset",
            Mail::Invitation { .. } => "invitation",
            Mail::ConfirmNewEmail { .. } => "confirm-new-email",
            Mail::SignInCode { .. } => "sign-in-code",
            Mail::Security { .. } => "security-notice",
        }
    }
}

impl SecurityEvent {
    /// The catalog entry holding this event's subject and sentence.
    fn message_id(&self) -> &'static str {
        match self {
            SecurityEvent::PasswordChanged => "security-password-changed",
            SecurityEvent::PasswordReset => "security-password-reset",
            SecurityEvent::TwoStepEnabled => "security-two-step-enabled",
            SecurityEvent::AuthenticatorReplaced => "security-authenticator-replaced",
            SecurityEvent::TwoStepDisabled => "security-two-step-disabled",
            SecurityEvent::RecoveryCodesReplaced => "security-recovery-codes-replaced",
            SecurityEvent::RecoveryCodeUsed => "security-recovery-code-used",
            SecurityEvent::SecondStepFailed => "security-second-step-failed",
            SecurityEvent::LockedAfterPasswords => "security-locked-after-passwords",
            SecurityEvent::LockedAfterSecondStep => "security-locked-after-second-step",
            SecurityEvent::BusinessClosed => "security-business-closed",
            SecurityEvent::BusinessRestored => "security-business-restored",
            SecurityEvent::EmailChangeRequested => "security-email-change-requested",
            SecurityEvent::EmailChanged => "security-email-changed",
            SecurityEvent::ApiKeyCreated { .. } => "security-api-key-created",
            SecurityEvent::ApiKeyRevoked { .. } => "security-api-key-revoked",
            SecurityEvent::RoleChanged { .. } => "security-role-changed",
            SecurityEvent::CalendarConnected { .. } => "security-calendar-connected",
            SecurityEvent::CalendarDisconnected { .. } => "security-calendar-disconnected",
            SecurityEvent::CalendarNeedsReconnect { .. } => "security-calendar-needs-reconnect",
            SecurityEvent::DataExportReady => "security-data-export-ready",
        }
    }
}

/// The catalog entry naming a role.
fn role_message_id(role: Role) -> &'static str {
    match role {
        Role::Owner => "role-owner",
        Role::Admin => "role-admin",
        Role::Staff => "role-staff",
    }
}

/// Resolves one message with `r`; lookup failures are collected in `r`.
fn compose(r: &mut Renderer<'_>, mail: &Mail) -> Rendered {
    let id = mail.message_id();
    let mut args = FluentArgs::new();
    match mail {
        Mail::BookingConfirmed {
            name,
            business,
            start,
            end,
            manage_url,
        } => {
            args.set("name", name.as_str());
            args.set("business", business.as_str());
            args.set("start", r.when(*start));
            args.set("end", r.when(*end));
            args.set("manage_url", manage_url.as_str());
        }
        Mail::BookingCancelled {
            name,
            business,
            start,
        } => {
            args.set("name", name.as_str());
            args.set("business", business.as_str());
            args.set("start", r.when(*start));
        }
        Mail::BookingMoved {
            name,
            business,
            previous_start,
            start,
            end,
        } => {
            args.set("name", name.as_str());
            args.set("business", business.as_str());
            args.set("previous_start", r.when(*previous_start));
            args.set("start", r.when(*start));
            args.set("end", r.when(*end));
        }
        Mail::StaffBookingNew { name, start, end }
        | Mail::StaffBookingCancelled { name, start, end } => {
            args.set("name", name.as_str());
            args.set("start", r.when(*start));
            args.set("end", r.when(*end));
        }
        Mail::StaffBookingMoved {
            name,
            previous_start,
            start,
            end,
        } => {
            args.set("name", name.as_str());
            args.set("previous_start", r.when(*previous_start));
            args.set("start", r.when(*start));
            args.set("end", r.when(*end));
        }
        Mail::Reminder {
            name,
            business,
            start,
            unsubscribe_url,
        } => {
            args.set("name", name.as_str());
            args.set("business", business.as_str());
            args.set("start", r.when(*start));
            args.set("unsubscribe_url", unsubscribe_url.as_str());
        }
        Mail::VerifyEmail {
            name,
            business,
            url,
        }
        | Mail::PasswordReset {
            name,
            business,
            url,
        }
        | Mail::Invitation {
            name,
            business,
            url,
        }
        | Mail::ConfirmNewEmail {
            name,
            business,
            url,
        } => {
            args.set("name", name.as_str());
            args.set("business", business.as_str());
            args.set("url", url.as_str());
        }
        Mail::SignInCode {
            name,
            business,
            code,
        } => {
            args.set("name", name.as_str());
            args.set("business", business.as_str());
            args.set("code", code.as_str());
        }
        Mail::Security {
            name,
            business,
            at,
            event,
        } => {
            let event_id = event.message_id();
            let mut event_args = FluentArgs::new();
            match event {
                SecurityEvent::ApiKeyCreated { key_name }
                | SecurityEvent::ApiKeyRevoked { key_name } => {
                    event_args.set("key_name", key_name.as_str());
                }
                SecurityEvent::RoleChanged { role } => {
                    event_args.set("role", r.value(role_message_id(*role), None));
                }
                SecurityEvent::CalendarConnected { provider }
                | SecurityEvent::CalendarDisconnected { provider }
                | SecurityEvent::CalendarNeedsReconnect { provider } => {
                    event_args.set("provider", provider.as_str());
                }
                SecurityEvent::PasswordChanged
                | SecurityEvent::PasswordReset
                | SecurityEvent::TwoStepEnabled
                | SecurityEvent::AuthenticatorReplaced
                | SecurityEvent::TwoStepDisabled
                | SecurityEvent::RecoveryCodesReplaced
                | SecurityEvent::RecoveryCodeUsed
                | SecurityEvent::SecondStepFailed
                | SecurityEvent::LockedAfterPasswords
                | SecurityEvent::LockedAfterSecondStep
                | SecurityEvent::BusinessClosed
                | SecurityEvent::BusinessRestored
                | SecurityEvent::EmailChangeRequested
                | SecurityEvent::EmailChanged
                | SecurityEvent::DataExportReady => {}
            }
            args.set("name", name.as_str());
            args.set("business", business.as_str());
            args.set("at", r.when(*at));
            args.set("what", r.attribute(event_id, "what", &event_args));
            return Rendered {
                subject: one_line(&r.attribute(event_id, "subject", &event_args)),
                text: crlf(&r.attribute(id, "text", &args)),
            };
        }
    }
    Rendered {
        subject: one_line(&r.attribute(id, "subject", &args)),
        text: crlf(&r.attribute(id, "text", &args)),
    }
}

/// A header value: line breaks (from values) become spaces, so a value can
/// never start a header of its own.
fn one_line(text: &str) -> String {
    text.split(['\r', '\n'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A body with every line ended by CRLF, whatever mix of CR, LF and CRLF the
/// catalog and the values had.
fn crlf(text: &str) -> String {
    let unified = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(unified.len() + 32);
    for line in unified.trim_end().split('\n') {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out
}
