//! The catalog is complete in every language, every value shows up, times are
//! right on both sides of daylight-saving changes, and no input panics.

use std::collections::BTreeSet;

use chrono_tz::Tz;
use proptest::prelude::*;

use super::catalog::{self, Catalog};
use super::*;

const BERLIN: Tz = chrono_tz::Europe::Berlin;
const NEW_YORK: Tz = chrono_tz::America::New_York;
const TOKYO: Tz = chrono_tz::Asia::Tokyo;

/// 2026-12-01T13:30:00Z, a Tuesday: winter in the north.
const WINTER: i64 = 1_796_131_800;
/// 2026-07-01T12:00:00Z, a Wednesday: summer in the north.
const SUMMER: i64 = 1_782_907_200;

fn at(unix: i64, zone: Tz) -> When {
    When { unix, zone }
}

/// Position of a variant; the `match` has no wildcard, so a new variant does
/// not compile until it is numbered here, and [`examples`] must then show it
/// for `examples_cover_every_variant` to pass.
fn mail_index(mail: &Mail) -> usize {
    match mail {
        Mail::BookingConfirmed { .. } => 0,
        Mail::BookingCancelled { .. } => 1,
        Mail::BookingMoved { .. } => 2,
        Mail::StaffBookingNew { .. } => 3,
        Mail::StaffBookingCancelled { .. } => 4,
        Mail::StaffBookingMoved { .. } => 5,
        Mail::Reminder { .. } => 6,
        Mail::VerifyEmail { .. } => 7,
        Mail::PasswordReset { .. } => 8,
        Mail::Invitation { .. } => 9,
        Mail::ConfirmNewEmail { .. } => 10,
        Mail::SignInCode { .. } => 11,
        Mail::Security { .. } => 12,
    }
}
const MAIL_VARIANTS: usize = 13;

/// As [`mail_index`], for security events.
fn event_index(event: &SecurityEvent) -> usize {
    match event {
        SecurityEvent::PasswordChanged => 0,
        SecurityEvent::PasswordReset => 1,
        SecurityEvent::TwoStepEnabled => 2,
        SecurityEvent::AuthenticatorReplaced => 3,
        SecurityEvent::TwoStepDisabled => 4,
        SecurityEvent::RecoveryCodesReplaced => 5,
        SecurityEvent::RecoveryCodeUsed => 6,
        SecurityEvent::SecondStepFailed => 7,
        SecurityEvent::LockedAfterPasswords => 8,
        SecurityEvent::LockedAfterSecondStep => 9,
        SecurityEvent::EmailChangeRequested => 10,
        SecurityEvent::EmailChanged => 11,
        SecurityEvent::ApiKeyCreated { .. } => 12,
        SecurityEvent::ApiKeyRevoked { .. } => 13,
        SecurityEvent::RoleChanged { .. } => 14,
        SecurityEvent::CalendarConnected { .. } => 15,
        SecurityEvent::CalendarDisconnected { .. } => 16,
        SecurityEvent::CalendarNeedsReconnect { .. } => 17,
        SecurityEvent::BusinessClosed => 18,
        SecurityEvent::BusinessRestored => 19,
        SecurityEvent::DataExportReady => 20,
    }
}
const EVENT_VARIANTS: usize = 21;

fn events() -> Vec<SecurityEvent> {
    vec![
        SecurityEvent::PasswordChanged,
        SecurityEvent::PasswordReset,
        SecurityEvent::TwoStepEnabled,
        SecurityEvent::AuthenticatorReplaced,
        SecurityEvent::TwoStepDisabled,
        SecurityEvent::RecoveryCodesReplaced,
        SecurityEvent::RecoveryCodeUsed,
        SecurityEvent::SecondStepFailed,
        SecurityEvent::LockedAfterPasswords,
        SecurityEvent::LockedAfterSecondStep,
        SecurityEvent::BusinessClosed,
        SecurityEvent::BusinessRestored,
        SecurityEvent::EmailChangeRequested,
        SecurityEvent::EmailChanged,
        SecurityEvent::ApiKeyCreated {
            key_name: "Front desk tablet".into(),
        },
        SecurityEvent::ApiKeyRevoked {
            key_name: "Old website".into(),
        },
        SecurityEvent::RoleChanged { role: Role::Owner },
        SecurityEvent::RoleChanged { role: Role::Admin },
        SecurityEvent::RoleChanged { role: Role::Staff },
        SecurityEvent::CalendarConnected {
            provider: "Google Calendar".into(),
        },
        SecurityEvent::CalendarDisconnected {
            provider: "Microsoft 365".into(),
        },
        SecurityEvent::CalendarNeedsReconnect {
            provider: "CalDAV".into(),
        },
        SecurityEvent::DataExportReady,
    ]
}

/// One of each message (and each security event), with distinct values so a
/// value that does not show up is noticed.
fn examples() -> Vec<Mail> {
    let name = || "Ada Lovelace".to_owned();
    let business = || "Salon Nord".to_owned();
    let start = at(WINTER, BERLIN);
    let end = at(WINTER + 45 * 60, BERLIN);
    let previous_start = at(WINTER - 26 * 3600, BERLIN);
    let mut all = vec![
        Mail::BookingConfirmed {
            name: name(),
            business: business(),
            start,
            end,
            manage_url: "https://app.example/manage-booking#token=mbk-111".into(),
        },
        Mail::BookingCancelled {
            name: name(),
            business: business(),
            start,
        },
        Mail::BookingMoved {
            name: name(),
            business: business(),
            previous_start,
            start,
            end,
        },
        Mail::StaffBookingNew {
            name: "Grace Hopper".into(),
            start,
            end,
        },
        Mail::StaffBookingCancelled {
            name: "Grace Hopper".into(),
            start,
            end,
        },
        Mail::StaffBookingMoved {
            name: "Grace Hopper".into(),
            previous_start,
            start,
            end,
        },
        Mail::Reminder {
            name: name(),
            business: business(),
            start: at(SUMMER, NEW_YORK),
            unsubscribe_url: "https://app.example/email-preferences?r=unsub-222".into(),
        },
        Mail::VerifyEmail {
            name: name(),
            business: business(),
            url: "https://app.example/verify-email#token=ver-333".into(),
        },
        Mail::PasswordReset {
            name: name(),
            business: business(),
            url: "https://app.example/reset-password#token=rst-444".into(),
        },
        Mail::Invitation {
            name: name(),
            business: business(),
            url: "https://app.example/accept-invitation#token=inv-555".into(),
        },
        Mail::ConfirmNewEmail {
            name: name(),
            business: business(),
            url: "https://app.example/confirm-email#token=eml-666".into(),
        },
        Mail::SignInCode {
            name: name(),
            business: business(),
            code: "482913".into(),
        },
    ];
    all.extend(events().into_iter().map(|event| Mail::Security {
        name: name(),
        business: business(),
        at: at(SUMMER, TOKYO),
        event,
    }));
    all
}

/// Every value `mail` shows, as it must appear in `lang`.
fn shown_values(lang: Language, mail: &Mail) -> Vec<String> {
    let time = |w: &When| w.format(lang);
    match mail {
        Mail::BookingConfirmed {
            name,
            business,
            start,
            end,
            manage_url,
        } => vec![
            name.clone(),
            business.clone(),
            time(start),
            time(end),
            manage_url.clone(),
        ],
        Mail::BookingCancelled {
            name,
            business,
            start,
        } => vec![name.clone(), business.clone(), time(start)],
        Mail::BookingMoved {
            name,
            business,
            previous_start,
            start,
            end,
        } => vec![
            name.clone(),
            business.clone(),
            time(previous_start),
            time(start),
            time(end),
        ],
        Mail::StaffBookingNew { name, start, end }
        | Mail::StaffBookingCancelled { name, start, end } => {
            vec![name.clone(), time(start), time(end)]
        }
        Mail::StaffBookingMoved {
            name,
            previous_start,
            start,
            end,
        } => vec![name.clone(), time(previous_start), time(start), time(end)],
        Mail::Reminder {
            name,
            business,
            start,
            unsubscribe_url,
        } => vec![
            name.clone(),
            business.clone(),
            time(start),
            unsubscribe_url.clone(),
        ],
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
        } => vec![name.clone(), business.clone(), url.clone()],
        Mail::SignInCode {
            name,
            business,
            code,
        } => vec![name.clone(), business.clone(), code.clone()],
        Mail::Security {
            name,
            business,
            at,
            event,
        } => {
            let mut values = vec![name.clone(), business.clone(), time(at)];
            match event {
                SecurityEvent::ApiKeyCreated { key_name }
                | SecurityEvent::ApiKeyRevoked { key_name } => values.push(key_name.clone()),
                SecurityEvent::RoleChanged { role } => {
                    values.push(role_name(lang, *role));
                }
                SecurityEvent::CalendarConnected { provider }
                | SecurityEvent::CalendarDisconnected { provider }
                | SecurityEvent::CalendarNeedsReconnect { provider } => {
                    values.push(provider.clone())
                }
                _ => {}
            }
            values
        }
    }
}

fn role_name(lang: Language, role: Role) -> String {
    let mut r = Catalog::global().renderer(lang);
    let name = r.value(role_message_id(role), None);
    assert!(r.errors.is_empty() && !name.is_empty(), "{:?}", r.errors);
    name
}

/// Renders in `lang` with the real catalog, failing on any lookup problem
/// instead of falling back.
fn render_strict(lang: Language, mail: &Mail) -> Rendered {
    let mut r = Catalog::global().renderer(lang);
    let rendered = compose(&mut r, mail);
    assert!(
        r.errors.is_empty(),
        "{} {}: {:?}",
        lang.tag(),
        mail.message_id(),
        r.errors
    );
    rendered
}

#[test]
fn examples_cover_every_variant() {
    let mails: BTreeSet<usize> = examples().iter().map(mail_index).collect();
    assert_eq!(mails, (0..MAIL_VARIANTS).collect());
    let events: BTreeSet<usize> = events().iter().map(event_index).collect();
    assert_eq!(events, (0..EVENT_VARIANTS).collect());
}

#[test]
fn every_message_renders_in_every_language_with_every_value() {
    for lang in Language::ALL {
        for mail in examples() {
            let id = mail.message_id();
            let out = render_strict(lang, &mail);
            assert!(!out.subject.trim().is_empty(), "{} {id}", lang.tag());
            assert!(!out.text.trim().is_empty(), "{} {id}", lang.tag());
            let both = format!("{}\n{}", out.subject, out.text);
            for value in shown_values(lang, &mail) {
                assert!(!value.is_empty());
                assert!(
                    both.contains(&value),
                    "{} {id}: {value:?} missing from {both}",
                    lang.tag()
                );
            }
            // Nothing Fluent shows for an unresolved reference.
            assert!(!both.contains("{$") && !both.contains("{-"), "{both}");
            assert_eq!(render(lang, &mail), out);
        }
    }
}

#[test]
fn bodies_use_crlf_and_no_isolation_marks() {
    for lang in Language::ALL {
        for mail in examples() {
            let out = render(lang, &mail);
            let bare_lf = out.text.replace("\r\n", "");
            assert!(!bare_lf.contains(['\n', '\r']), "{}", out.text);
            assert!(out.text.ends_with("\r\n"));
            assert!(!out.text.contains("\r\n\r\n\r\n"), "{}", out.text);
            assert!(!out.subject.contains(['\r', '\n']));
            for text in [&out.subject, &out.text] {
                assert!(!text.contains(['\u{2068}', '\u{2069}']), "{text}");
            }
        }
    }
}

#[test]
fn translations_differ_from_english() {
    for mail in examples() {
        let english = render(Language::En, &mail);
        for lang in [Language::De, Language::Fr, Language::Ja, Language::Ko] {
            let out = render(lang, &mail);
            assert_ne!(out.subject, english.subject, "{} {:?}", lang.tag(), mail);
            assert_ne!(out.text, english.text, "{} {:?}", lang.tag(), mail);
        }
    }
}

#[test]
fn english_keeps_the_meaning_of_the_texts_it_replaces() {
    let out = render(
        Language::En,
        &Mail::SignInCode {
            name: "Ada".into(),
            business: "Salon Nord".into(),
            code: "123456".into(),
        },
    );
    assert_eq!(out.subject, "Your Bookwarden sign-in code");
    assert_eq!(
        out.text,
        "Hello Ada,\r\n\r\nYour sign-in code for Salon Nord is:\r\n\r\n123456\r\n\r\n\
         It works once, for the next 10 minutes. If you are not signing in right now, someone \
         knows your password: change it.\r\n"
    );
    let out = render(
        Language::En,
        &Mail::Security {
            name: "Ada".into(),
            business: "Salon Nord".into(),
            at: at(WINTER, BERLIN),
            event: SecurityEvent::ApiKeyCreated {
                key_name: "Tablet".into(),
            },
        },
    );
    assert_eq!(out.subject, "A Bookwarden API key was created");
    assert_eq!(
        out.text,
        "Hello Ada,\r\n\r\nAn API key named “Tablet” was created.\r\n\r\n\
         Account: Salon Nord\r\nTime: Tuesday, 1 December 2026, 14:30 (Europe/Berlin, UTC+01:00)\r\n\r\n\
         If this was you, nothing else is needed. If it was not, reset your password now and tell \
         the owner of Salon Nord.\r\n\r\n\
         You receive this message because it concerns the security of your account; it cannot be \
         unsubscribed.\r\n"
    );
}

#[test]
fn every_catalog_has_the_same_entries_and_attributes() {
    fn keys(lang: Language) -> BTreeSet<String> {
        let resource = fluent_syntax::parser::parse(catalog::source(lang))
            .unwrap_or_else(|(_, errors)| panic!("{}: {errors:?}", lang.tag()));
        let mut keys = BTreeSet::new();
        for entry in resource.body {
            let (prefix, id, value, attributes) = match entry {
                fluent_syntax::ast::Entry::Message(m) => ("", m.id, m.value, m.attributes),
                fluent_syntax::ast::Entry::Term(t) => ("-", t.id, Some(t.value), t.attributes),
                _ => continue,
            };
            let key = format!("{prefix}{}", id.name);
            assert!(keys.insert(key.clone()), "{}: {key} twice", lang.tag());
            if value.is_some() {
                keys.insert(format!("{key}="));
            }
            for attribute in attributes {
                let attribute = format!("{key}.{}", attribute.id.name);
                assert!(
                    keys.insert(attribute.clone()),
                    "{}: {attribute} twice",
                    lang.tag()
                );
            }
        }
        keys
    }
    let english = keys(Language::En);
    assert!(english.len() > 100);
    for lang in Language::ALL {
        let other = keys(lang);
        let missing: Vec<_> = english.difference(&other).collect();
        let extra: Vec<_> = other.difference(&english).collect();
        assert!(missing.is_empty(), "{} lacks {missing:?}", lang.tag());
        assert!(extra.is_empty(), "{} has extra {extra:?}", lang.tag());
    }
}

#[test]
fn catalogs_build_without_problems() {
    let (_, problems) = Catalog::build(catalog::source);
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn a_missing_translation_falls_back_to_english() {
    let (broken, problems) = Catalog::build(|lang| match lang {
        Language::De => "",
        other => catalog::source(other),
    });
    assert!(problems.is_empty());
    for mail in examples() {
        let out = render_with(&broken, Language::De, &mail);
        assert_eq!(out, render(Language::En, &mail));
    }
    // A source that does not even parse still leaves a usable catalog.
    let (garbled, problems) = Catalog::build(|lang| match lang {
        Language::Fr => "{{{ not fluent\n= at all",
        other => catalog::source(other),
    });
    assert!(!problems.is_empty());
    let mail = &examples()[0];
    assert_eq!(
        render_with(&garbled, Language::Fr, mail),
        render(Language::En, mail)
    );
}

#[test]
fn known_moment_reads_naturally_in_each_language() {
    let berlin = at(WINTER, BERLIN);
    assert_eq!(
        berlin.format(Language::En),
        "Tuesday, 1 December 2026, 14:30 (Europe/Berlin, UTC+01:00)"
    );
    assert_eq!(
        berlin.format(Language::De),
        "Dienstag, 1. Dezember 2026, 14:30 Uhr (Europe/Berlin, UTC+01:00)"
    );
    assert_eq!(
        berlin.format(Language::Fr),
        "mardi 1er décembre 2026 à 14:30 (Europe/Berlin, UTC+01:00)"
    );
    let tokyo = at(WINTER, TOKYO);
    assert_eq!(
        tokyo.format(Language::Ja),
        "2026年12月1日(火) 22:30 (Asia/Tokyo, UTC+09:00)"
    );
    assert_eq!(
        at(WINTER, chrono_tz::Asia::Seoul).format(Language::Ko),
        "2026년 12월 1일 (화) 22:30 (Asia/Seoul, UTC+09:00)"
    );
    // Only the first of the month is "1er" in French.
    assert_eq!(
        at(WINTER + 86_400, BERLIN).format(Language::Fr),
        "mercredi 2 décembre 2026 à 14:30 (Europe/Berlin, UTC+01:00)"
    );
    assert_eq!(
        at(SUMMER, NEW_YORK).format(Language::En),
        "Wednesday, 1 July 2026, 08:00 (America/New_York, UTC-04:00)"
    );
}

#[test]
fn times_show_zone_and_offset_in_winter_and_summer() {
    let cases = [
        (BERLIN, WINTER, "UTC+01:00", "14:30"),
        (BERLIN, SUMMER, "UTC+02:00", "14:00"),
        (NEW_YORK, WINTER, "UTC-05:00", "08:30"),
        (NEW_YORK, SUMMER, "UTC-04:00", "08:00"),
        (TOKYO, WINTER, "UTC+09:00", "22:30"),
        (TOKYO, SUMMER, "UTC+09:00", "21:00"),
    ];
    for (zone, unix, offset, time) in cases {
        for lang in Language::ALL {
            let shown = at(unix, zone).format(lang);
            assert!(shown.contains(zone.name()), "{shown}");
            assert!(
                shown.contains(&format!("{}, {offset})", zone.name())),
                "{shown}"
            );
            assert!(shown.contains(time), "{shown}");
            let reminder = render(
                lang,
                &Mail::Reminder {
                    name: "Ada".into(),
                    business: "Salon Nord".into(),
                    start: at(unix, zone),
                    unsubscribe_url: "https://app.example/u".into(),
                },
            );
            assert!(reminder.text.contains(&shown));
        }
    }
}

#[test]
fn offsets_are_written_in_full() {
    assert_eq!(super::when::utc_offset(0), "UTC+00:00");
    assert_eq!(super::when::utc_offset(3600), "UTC+01:00");
    assert_eq!(super::when::utc_offset(-4 * 3600), "UTC-04:00");
    assert_eq!(super::when::utc_offset(5 * 3600 + 45 * 60), "UTC+05:45");
    assert_eq!(super::when::utc_offset(-(9 * 3600 + 30 * 60)), "UTC-09:30");
    assert_eq!(super::when::utc_offset(3208), "UTC+00:53:28");
}

#[test]
fn moments_at_the_calendars_edges_do_not_panic() {
    let max = chrono::DateTime::<chrono::Utc>::MAX_UTC.timestamp();
    let min = chrono::DateTime::<chrono::Utc>::MIN_UTC.timestamp();
    for unix in [
        i64::MIN,
        i64::MIN + 1,
        min - 1,
        min,
        min + 1,
        min + 86_400,
        -1,
        0,
        max - 86_400,
        max - 1,
        max,
        max + 1,
        i64::MAX - 1,
        i64::MAX,
    ] {
        for zone in [
            Tz::UTC,
            BERLIN,
            NEW_YORK,
            TOKYO,
            chrono_tz::Pacific::Kiritimati,
            chrono_tz::Pacific::Pago_Pago,
        ] {
            for lang in Language::ALL {
                let shown = at(unix, zone).format(lang);
                assert!(!shown.is_empty());
            }
        }
    }
    // Beyond the calendar, the UTC form (or plain seconds) is shown.
    assert_eq!(
        at(max, chrono_tz::Pacific::Kiritimati).format(Language::En),
        chrono::DateTime::<chrono::Utc>::MAX_UTC.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    assert_eq!(
        at(i64::MAX, BERLIN).format(Language::De),
        format!("{} s since 1970-01-01T00:00:00Z", i64::MAX)
    );
}

#[test]
fn tags_name_languages_by_primary_subtag() {
    for (tag, lang) in [
        ("en", Some(Language::En)),
        ("EN", Some(Language::En)),
        ("en-GB", Some(Language::En)),
        ("en-us", Some(Language::En)),
        ("de-AT", Some(Language::De)),
        ("de_CH", Some(Language::De)),
        ("fr-CA", Some(Language::Fr)),
        ("ja", Some(Language::Ja)),
        ("ja-JP", Some(Language::Ja)),
        ("ko-KR", Some(Language::Ko)),
        (" ko ", Some(Language::Ko)),
        ("es", None),
        ("eng", None),
        ("english", None),
        ("e", None),
        ("", None),
        ("-", None),
        ("*", None),
        ("en GB", None),
        ("🇩🇪", None),
        ("\u{0}", None),
    ] {
        assert_eq!(Language::from_tag(tag), lang, "{tag:?}");
    }
    for lang in Language::ALL {
        assert_eq!(Language::from_tag(lang.tag()), Some(lang));
        assert_eq!(Language::ALL[lang.index()], lang);
    }
    assert_eq!(Language::default(), Language::En);
}

#[test]
fn negotiation_honours_q_values() {
    for (header, lang) in [
        ("de-DE,de;q=0.9,en;q=0.8", Some(Language::De)),
        (
            "fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5",
            Some(Language::Fr),
        ),
        ("en;q=0.5, ja;q=0.8", Some(Language::Ja)),
        ("es, ko;q=0.1", Some(Language::Ko)),
        ("de;q=1.0, en", Some(Language::De)),
        ("de;q=0.5, en;q=0.5", Some(Language::De)),
        ("ko;Q=0.3, ja;q=0.2", Some(Language::Ko)),
        ("en;q=0, de;q=0.001", Some(Language::De)),
        ("en;q=0.000", None),
        ("en;q=1.5, de;q=0.1", Some(Language::De)),
        ("en;q=0.5555, fr;q=0.2", Some(Language::Fr)),
        ("en;q=abc, fr;q=0.2", Some(Language::Fr)),
        ("en;q=-1, fr;q=0.2", Some(Language::Fr)),
        ("en;q=NaN, fr;q=inf, ko;q=1e0, ja;q=0.1", Some(Language::Ja)),
        ("en;level=1;q=0.4, de;q=0.3", Some(Language::En)),
        ("en;q, de", Some(Language::De)),
        ("  JA-jp  ;  q=0.7 , en ; q = 0.6", Some(Language::Ja)),
        ("es, it, pt-BR", None),
        ("*", None),
        ("", None),
        (",,,;;;===", None),
        (";q=1", None),
        ("\u{0}\r\n", None),
    ] {
        assert_eq!(Language::negotiate(header), lang, "{header:?}");
    }
}

#[test]
fn debug_output_shows_no_personal_data() {
    for mail in examples() {
        let shown = format!("{mail:?} {:?}", render(Language::En, &mail));
        for value in shown_values(Language::En, &mail) {
            assert!(!shown.contains(&value), "{shown}");
        }
    }
}

#[test]
fn footer_and_calendar_title_are_localized() {
    assert_eq!(
        preferences_footer(Language::En, "https://app.example/email-preferences"),
        "Email preferences and unsubscribe: https://app.example/email-preferences"
    );
    assert_eq!(
        calendar_summary(Language::De, "Salon Nord"),
        "Termin bei Salon Nord"
    );
    for lang in Language::ALL {
        let footer = preferences_footer(lang, "https://app.example/p");
        assert!(footer.contains("https://app.example/p") && footer.len() > 25);
        let title = calendar_summary(lang, "Salon\r\nNord");
        assert!(title.contains("Salon Nord"), "{title}");
    }
}

/// Any zone from the time-zone database.
fn zone() -> impl Strategy<Value = Tz> {
    (0..chrono_tz::TZ_VARIANTS.len()).prop_map(|i| chrono_tz::TZ_VARIANTS[i])
}

fn language() -> impl Strategy<Value = Language> {
    (0..Language::ALL.len()).prop_map(|i| Language::ALL[i])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_moment_in_any_zone_renders_without_panicking(
        unix in any::<i64>(),
        near in -20_000_000_000i64..20_000_000_000,
        zone in zone(),
        lang in language(),
    ) {
        for unix in [unix, near] {
            let w = at(unix, zone);
            let shown = w.format(lang);
            prop_assert!(!shown.is_empty());
            let out = render(lang, &Mail::StaffBookingMoved {
                name: "Grace".into(),
                previous_start: w,
                start: w,
                end: w,
            });
            prop_assert!(out.text.contains(&shown));
        }
        // Within the years people book in, the zone is always named.
        let shown = at(near, zone).format(lang);
        prop_assert!(shown.contains(zone.name()), "{}", shown);
        prop_assert!(shown.contains(", UTC+") || shown.contains(", UTC-"), "{}", shown);
    }

    #[test]
    fn any_text_renders_without_panicking(
        name in "\\PC{0,40}",
        text in ".{0,80}",
        bytes in proptest::collection::vec(any::<char>(), 0..40),
        lang in language(),
    ) {
        let odd: String = bytes.into_iter().collect();
        for value in [name, text, odd] {
            let mails = [
                Mail::Invitation { name: value.clone(), business: value.clone(), url: value.clone() },
                Mail::SignInCode { name: value.clone(), business: value.clone(), code: value.clone() },
                Mail::Security {
                    name: value.clone(),
                    business: value.clone(),
                    at: at(WINTER, TOKYO),
                    event: SecurityEvent::ApiKeyRevoked { key_name: value.clone() },
                },
            ];
            for mail in &mails {
                let out = render(lang, mail);
                prop_assert!(!out.subject.contains(['\r', '\n']));
                prop_assert!(!out.text.replace("\r\n", "").contains(['\r', '\n']));
                prop_assert!(out.text.ends_with("\r\n"));
            }
            let _ = Language::from_tag(&value);
            let _ = Language::negotiate(&value);
            let _ = preferences_footer(lang, &value);
            let _ = calendar_summary(lang, &value);
        }
    }

    #[test]
    fn any_accept_language_header_negotiates_without_panicking(header in "[a-zA-Z*;=,.0-9 _-]{0,60}") {
        if let Some(lang) = Language::negotiate(&header) {
            prop_assert!(header.to_ascii_lowercase().contains(lang.tag()));
        }
    }
}
