//! Exact occurrence times for each fixture in `tests/fixtures/ics`, the
//! bounds, and property tests over hostile input.

use chrono::{DateTime, NaiveDateTime};
use proptest::prelude::*;

use super::*;

const RECURRENCE: &str = include_str!("../../../../tests/fixtures/ics/recurrence.ics");
const ALL_DAY: &str = include_str!("../../../../tests/fixtures/ics/all_day.ics");
const BLOCKING: &str = include_str!("../../../../tests/fixtures/ics/blocking.ics");
const OUTLOOK: &str = include_str!("../../../../tests/fixtures/ics/outlook.ics");
const DST: &str = include_str!("../../../../tests/fixtures/ics/dst.ics");
const FLOATING: &str = include_str!("../../../../tests/fixtures/ics/floating.ics");
const FREEBUSY: &str = include_str!("../../../../tests/fixtures/ics/freebusy.ics");

/// Unix seconds of a UTC time written `2026-01-05 08:00`.
fn utc(text: &str) -> i64 {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
        .unwrap()
        .and_utc()
        .timestamp()
}

fn show(secs: i64) -> String {
    DateTime::from_timestamp(secs, 0)
        .unwrap()
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn options<'a>(zone: Tz, from: &str, to: &str, own: &'a [String]) -> IcsOptions<'a> {
    IcsOptions {
        window: Window {
            start: utc(from),
            end: utc(to),
        },
        staff_zone: zone,
        own_addresses: own,
        keep_summary: false,
    }
}

/// (source id, start, end) with times in UTC, for readable comparisons.
fn read(text: &str, options: &IcsOptions<'_>) -> Vec<(String, String, String)> {
    busy_occurrences(text, options)
        .unwrap()
        .into_iter()
        .map(|o| {
            assert!(o.summary.is_none() || options.keep_summary);
            (o.source_id, show(o.start), show(o.end))
        })
        .collect()
}

fn row(id: &str, original: &str, start: &str, end: &str) -> (String, String, String) {
    (
        format!("{id}/{}", utc(original)),
        start.to_owned(),
        end.to_owned(),
    )
}

fn same(id: &str, start: &str, end: &str) -> (String, String, String) {
    row(id, start, start, end)
}

#[test]
fn a_series_honours_exdates_overrides_and_cancelled_instances() {
    let got = read(
        RECURRENCE,
        &options(
            Tz::Europe__Berlin,
            "2026-01-01 00:00",
            "2026-03-01 00:00",
            &[],
        ),
    );
    let sync = "weekly-sync@example.com";
    let weekly: Vec<_> = got
        .iter()
        .filter(|o| o.0.starts_with(sync))
        .cloned()
        .collect();
    assert_eq!(
        weekly,
        [
            same(sync, "2026-01-05 08:00", "2026-01-05 09:00"),
            same(sync, "2026-01-12 08:00", "2026-01-12 09:00"),
            // 01-19 is an EXDATE; 01-26 moved to the afternoon, same name.
            row(
                sync,
                "2026-01-26 08:00",
                "2026-01-26 13:00",
                "2026-01-26 14:30"
            ),
            // 02-02 cancelled, 02-09 made transparent; UNTIL includes 02-23.
            same(sync, "2026-02-16 08:00", "2026-02-16 09:00"),
            same(sync, "2026-02-23 08:00", "2026-02-23 09:00"),
        ]
    );
    // Every weekday since 1990 at 08:30Z for 15 minutes, but 6 and 7
    // January, plus the RDATE on Saturday 10 January. No VTODO/VJOURNAL.
    let standup: Vec<_> = got
        .iter()
        .filter(|o| !o.0.starts_with(sync))
        .cloned()
        .collect();
    let mut want = Vec::new();
    let mut day = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    while day < chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap() {
        use chrono::Datelike;
        let excluded = day.day() == 6 || day.day() == 7;
        if day.month() == 1 && day.day() == 10 {
            want.push(same(
                "daily-standup@example.com",
                "2026-01-10 10:00",
                "2026-01-10 10:15",
            ));
        }
        if day.weekday().number_from_monday() <= 5 && !(day.month() == 1 && excluded) {
            let start = format!("{day} 08:30");
            want.push(same(
                "daily-standup@example.com",
                &start,
                &format!("{day} 08:45"),
            ));
        }
        day = day.succ_opt().unwrap();
    }
    assert_eq!(standup, want);
}

#[test]
fn summaries_only_when_asked_and_nothing_else_is_kept() {
    let mut asked = options(
        Tz::Europe__Berlin,
        "2026-01-26 00:00",
        "2026-01-27 00:00",
        &[],
    );
    let silent = busy_occurrences(RECURRENCE, &asked).unwrap();
    assert!(silent.iter().all(|o| o.summary.is_none()));
    asked.keep_summary = true;
    let kept = busy_occurrences(RECURRENCE, &asked).unwrap();
    let summaries: Vec<_> = kept.iter().map(|o| o.summary.as_deref().unwrap()).collect();
    assert_eq!(summaries, ["Standup", "Weekly sync (moved)"]);
    let debug = format!("{kept:?}");
    for private in ["Agenda", "Room 4", "boss@", "staff@", "Reminder"] {
        assert!(!debug.contains(private), "{private} leaked");
    }
}

#[test]
fn occurrences_overlapping_the_window_edges_are_kept_and_others_dropped() {
    let got = read(
        RECURRENCE,
        &options(
            Tz::Europe__Berlin,
            "2026-01-05 08:30",
            "2026-01-12 08:01",
            &[],
        ),
    );
    let weekly: Vec<_> = got
        .iter()
        .filter(|o| o.0.starts_with("weekly"))
        .map(|o| o.1.as_str())
        .collect();
    assert_eq!(weekly, ["2026-01-05 08:00", "2026-01-12 08:00"]);
    assert!(got
        .iter()
        .all(|o| o.2.as_str() > "2026-01-05 08:30" && o.1.as_str() < "2026-01-12 08:01"));
}

#[test]
fn all_day_events_span_local_midnights() {
    let got = read(
        ALL_DAY,
        &options(
            Tz::Europe__Berlin,
            "2026-03-01 00:00",
            "2026-04-01 00:00",
            &[],
        ),
    );
    let holiday = "holiday-week@example.com";
    assert_eq!(
        got,
        [
            same(holiday, "2026-03-01 23:00", "2026-03-02 23:00"),
            same(holiday, "2026-03-02 23:00", "2026-03-03 23:00"),
            // 4 March is an EXDATE.
            same(holiday, "2026-03-04 23:00", "2026-03-05 23:00"),
            same(holiday, "2026-03-05 23:00", "2026-03-06 23:00"),
            same(
                "conference@example.com",
                "2026-03-09 23:00",
                "2026-03-11 23:00"
            ),
            same(
                "day-off@example.com",
                "2026-03-12 23:00",
                "2026-03-13 23:00"
            ),
            same(
                "birthday@example.com",
                "2026-03-14 23:00",
                "2026-03-15 23:00"
            ),
            // Three local days across the change to summer time: 71 hours.
            same("trip@example.com", "2026-03-26 23:00", "2026-03-29 22:00"),
        ]
    );
}

#[test]
fn free_cancelled_and_declined_events_do_not_block() {
    let own = vec!["staff@example.com".to_owned()];
    let got = read(
        BLOCKING,
        &options(Tz::UTC, "2026-04-01 00:00", "2026-05-01 00:00", &own),
    );
    assert_eq!(
        got,
        [
            same(
                "others-declined@example.com",
                "2026-04-02 11:00",
                "2026-04-02 12:00"
            ),
            same(
                "tentative@example.com",
                "2026-04-02 13:00",
                "2026-04-02 14:00"
            ),
            same("busy@example.com", "2026-04-02 15:00", "2026-04-02 16:00"),
            (
                format!("nouid/10/{}", utc("2026-04-03 09:00")),
                "2026-04-03 09:00".into(),
                "2026-04-03 09:15".into()
            ),
            same(
                "declined-series@example.com",
                "2026-04-06 09:00",
                "2026-04-06 10:00"
            ),
            // The owner declined the 13 April instance only.
            same(
                "declined-series@example.com",
                "2026-04-20 09:00",
                "2026-04-20 10:00"
            ),
        ]
    );
    // Without knowing the owner, the declined event blocks.
    let unknown = read(
        BLOCKING,
        &options(Tz::UTC, "2026-04-02 09:00", "2026-04-02 10:00", &[]),
    );
    assert_eq!(
        unknown,
        [same(
            "declined@example.com",
            "2026-04-02 09:00",
            "2026-04-02 10:00"
        )]
    );
}

#[test]
fn outlook_windows_zones_and_vtimezone_definitions() {
    let mut asked = options(
        Tz::America__Denver,
        "2026-04-01 00:00",
        "2026-05-01 00:00",
        &[],
    );
    asked.keep_summary = true;
    let got = busy_occurrences(OUTLOOK, &asked).unwrap();
    let times: Vec<_> = got
        .iter()
        .map(|o| (o.summary.as_deref().unwrap(), show(o.start), show(o.end)))
        .collect();
    let want = [
        ("Quarterly review", "2026-04-14 08:00", "2026-04-14 09:30"),
        ("Call with New York", "2026-04-14 13:00", "2026-04-14 13:30"),
        ("Lisbon", "2026-04-15 08:00", "2026-04-15 09:00"),
        ("Chicago", "2026-04-15 14:00", "2026-04-15 15:00"),
        ("Dubai", "2026-04-16 05:00", "2026-04-16 06:00"),
        // Neither IANA, Windows nor located: the staff member's zone.
        ("Unknown zone", "2026-04-16 15:00", "2026-04-16 16:00"),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(s, a, b)| (*s, a.to_string(), b.to_string()))
        .collect();
    assert_eq!(times, want);
}

#[test]
fn weekly_events_keep_their_local_time_across_dst_changes() {
    let spring = read(
        DST,
        &options(Tz::UTC, "2026-03-01 00:00", "2026-04-02 00:00", &[]),
    );
    let ny = "new-york-weekly@example.com";
    let berlin = "berlin-weekly@example.com";
    let night = "night-shift@example.com";
    assert_eq!(
        spring,
        [
            same(ny, "2026-03-06 14:00", "2026-03-06 15:00"),
            // New York moved to EDT on 8 March: 09:00 local is 13:00Z.
            same(ny, "2026-03-13 13:00", "2026-03-13 14:00"),
            same(berlin, "2026-03-18 08:00", "2026-03-18 09:00"),
            same(ny, "2026-03-20 13:00", "2026-03-20 14:00"),
            same(berlin, "2026-03-25 08:00", "2026-03-25 09:00"),
            same(ny, "2026-03-27 13:00", "2026-03-27 14:00"),
            same(night, "2026-03-28 01:30", "2026-03-28 02:00"),
            // 02:30 does not exist on 29 March in Berlin: it is 03:30 CEST.
            same(night, "2026-03-29 01:30", "2026-03-29 02:00"),
            same(night, "2026-03-30 00:30", "2026-03-30 01:00"),
            // Berlin moved to CEST on 29 March.
            same(berlin, "2026-04-01 07:00", "2026-04-01 08:00"),
        ]
    );
    let autumn = read(
        DST,
        &options(Tz::UTC, "2026-10-24 00:00", "2026-11-14 00:00", &[]),
    );
    assert_eq!(
        autumn,
        [
            // The repeated 02:30 is the first one (CEST); 03:30 is CET.
            same(
                "fall-back@example.com",
                "2026-10-25 00:30",
                "2026-10-25 02:30"
            ),
            same(ny, "2026-10-30 13:00", "2026-10-30 14:00"),
            same(ny, "2026-11-06 14:00", "2026-11-06 15:00"),
            same(ny, "2026-11-13 14:00", "2026-11-13 15:00"),
        ]
    );
}

#[test]
fn floating_times_are_read_in_the_staff_zone() {
    let got = read(
        FLOATING,
        &options(
            Tz::America__New_York,
            "2026-04-01 00:00",
            "2026-05-01 00:00",
            &[],
        ),
    );
    let daily = "floating-daily@example.com";
    assert_eq!(
        got,
        [
            same(daily, "2026-04-10 21:00", "2026-04-10 22:00"),
            same(daily, "2026-04-11 21:00", "2026-04-11 22:00"),
            same(
                "floating@example.com",
                "2026-04-15 13:00",
                "2026-04-15 14:00"
            ),
        ]
    );
}

#[test]
fn free_busy_answers_yield_their_busy_periods() {
    let got = read(
        FREEBUSY,
        &options(Tz::UTC, "2026-05-01 00:00", "2026-05-08 00:00", &[]),
    );
    let fb = |a: &str, b: &str| {
        (
            format!("fb/{}/{}", utc(a), utc(b)),
            a.to_owned(),
            b.to_owned(),
        )
    };
    assert_eq!(
        got,
        [
            fb("2026-05-01 08:00", "2026-05-01 09:00"),
            fb("2026-05-01 10:00", "2026-05-01 11:30"),
            fb("2026-05-02 10:00", "2026-05-02 11:00"),
            fb("2026-05-03 14:00", "2026-05-03 14:30"),
            // FBTYPE=FREE is skipped; an unknown type counts as busy.
            fb("2026-05-05 08:00", "2026-05-05 09:00"),
        ]
    );
}

#[test]
fn texts_that_are_not_calendars_are_refused() {
    let window = options(Tz::UTC, "2026-01-01 00:00", "2026-02-01 00:00", &[]);
    for text in [
        "",
        "<html><body>Sign in</body></html>",
        "BEGIN:VEVENT\nEND:VEVENT",
    ] {
        assert_eq!(busy_occurrences(text, &window), Err(IcsError::NotCalendar));
    }
}

fn calendar(event_lines: &[&str]) -> String {
    let mut text = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\n");
    for line in event_lines {
        text.push_str(line);
        text.push_str("\r\n");
    }
    text.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    text
}

#[test]
fn a_daily_event_since_1990_is_cheap_to_read_in_2026() {
    let text = calendar(&[
        "UID:old",
        "DTSTART;TZID=Europe/Berlin:19900101T090000",
        "DURATION:PT1H",
        "RRULE:FREQ=DAILY",
    ]);
    let window = options(Tz::UTC, "2026-06-01 00:00", "2026-08-30 00:00", &[]);
    let started = std::time::Instant::now();
    let got = busy_occurrences(&text, &window).unwrap();
    assert_eq!(got.len(), 90);
    assert_eq!(show(got[0].start), "2026-06-01 07:00");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn too_many_occurrences_are_refused() {
    let text = calendar(&[
        "UID:every-minute",
        "DTSTART:20260101T000000Z",
        "DURATION:PT1M",
        "RRULE:FREQ=MINUTELY",
    ]);
    let window = options(Tz::UTC, "2026-01-01 00:00", "2026-03-01 00:00", &[]);
    assert_eq!(
        busy_occurrences(&text, &window),
        Err(IcsError::TooManyOccurrences)
    );
}

#[test]
fn extreme_values_are_skipped_not_fatal() {
    let window = options(Tz::UTC, "2026-01-01 00:00", "2026-02-01 00:00", &[]);
    for lines in [
        &[
            "DTSTART:99991231T235959Z",
            "DURATION:P99999999W",
            "RRULE:FREQ=SECONDLY",
        ][..],
        &[
            "DTSTART:00000101T000000Z",
            "DTEND:99991231T235959Z",
            "RRULE:FREQ=YEARLY;BYSETPOS=-366;BYYEARDAY=-366",
        ],
        &[
            "DTSTART;TZID=Nowhere/Special:20260105T250000",
            "RRULE:FREQ=DAILY;INTERVAL=0",
        ],
        &["DTSTART:20260105T090000Z", "DURATION:-PT1H"],
        &["DTSTART:20260105T090000Z", "DTEND:20260105T080000Z"],
        &[
            "DTSTART:20260105T090000Z",
            "DURATION:PT1H",
            "RRULE:FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2",
        ],
        &[
            "DTSTART:20260105",
            "RRULE:FREQ=DAILY;UNTIL=99991231;COUNT=5",
        ],
    ] {
        let got = busy_occurrences(&calendar(lines), &window).unwrap();
        assert!(got
            .iter()
            .all(|o| o.start < o.end && window.window.overlaps(o.start, o.end)));
    }
    // The whole i64 range as a window.
    let all = IcsOptions {
        window: Window {
            start: i64::MIN,
            end: i64::MAX,
        },
        ..window.clone()
    };
    let got = busy_occurrences(
        &calendar(&["UID:x", "DTSTART:99991231T235959Z", "DURATION:PT1S"]),
        &all,
    )
    .unwrap();
    assert_eq!(got.len(), 1);
}

/// A line of ICS-ish text: structure, the properties that matter with
/// plausible and implausible values, and noise.
fn line() -> impl Strategy<Value = String> {
    let component = prop_oneof![
        Just("VCALENDAR"),
        Just("VEVENT"),
        Just("VFREEBUSY"),
        Just("VTIMEZONE"),
        Just("STANDARD"),
        Just("DAYLIGHT"),
        Just("VALARM"),
        Just("VTODO"),
        Just("X-OTHER")
    ];
    let stamp = prop_oneof![
        (0u32..=9999, 0u32..=13, 0u32..=32, any::<bool>()).prop_map(|(y, m, d, z)| format!(
            "{y:04}{m:02}{d:02}T093000{}",
            if z { "Z" } else { "" }
        )),
        (1990u32..=2030, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| format!("{y:04}{m:02}{d:02}")),
        "[0-9TZ]{0,18}",
    ];
    let name = prop_oneof![
        Just("DTSTART"),
        Just("DTEND"),
        Just("RECURRENCE-ID"),
        Just("EXDATE"),
        Just("RDATE"),
        Just("DTSTART;VALUE=DATE"),
        Just("DTSTART;TZID=Europe/Berlin"),
        Just("DTSTART;TZID=W. Europe Standard Time"),
        Just("DTEND;TZID=\"Odd;Zone\""),
    ];
    prop_oneof![
        (any::<bool>(), component).prop_map(|(begin, c)| format!("{}:{c}", if begin { "BEGIN" } else { "END" })),
        (name, stamp).prop_map(|(n, s)| format!("{n}:{s}")),
        "UID:[a-z0-9@]{0,8}".prop_map(|s| s),
        "RRULE:(FREQ=(DAILY|WEEKLY|MONTHLY|YEARLY|HOURLY|MINUTELY|SECONDLY|X);)?(INTERVAL=[0-9]{1,6};)?(COUNT=[0-9]{1,11};)?(UNTIL=[0-9TZ]{0,16};)?(BY(DAY|MONTHDAY|SETPOS|MONTH|HOUR|WEEKNO|YEARDAY)=-?[0-9A-Z,]{1,8})?",
        "(DURATION|TRANSP|STATUS|FREEBUSY;FBTYPE=BUSY|TZOFFSETTO|X-LIC-LOCATION|TZID|ATTENDEE;PARTSTAT=DECLINED):[ -~]{0,30}",
        "FREEBUSY:[0-9TZ]{15,16}/(P[0-9]{1,9}[DW]|[0-9TZ]{15,16})",
        " [ -~]{0,20}",
        any::<String>(),
    ]
}

fn any_window() -> impl Strategy<Value = Window> {
    prop_oneof![
        (any::<i64>(), any::<i64>()).prop_map(|(start, end)| Window { start, end }),
        (0i64..4_102_444_800, 0i64..200 * 86_400).prop_map(|(start, len)| Window {
            start,
            end: start + len
        }),
        Just(Window {
            start: 1_767_225_600,
            end: 1_775_001_600
        }),
    ]
}

fn holds(text: &str, window: Window) {
    let own = vec!["a@example.com".to_owned()];
    let options = IcsOptions {
        window,
        staff_zone: Tz::Europe__Berlin,
        own_addresses: &own,
        keep_summary: true,
    };
    if let Ok(found) = busy_occurrences(text, &options) {
        for o in found {
            assert!(o.start < o.end, "{o:?}");
            assert!(window.overlaps(o.start, o.end), "{o:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_ics_like_text_reads_without_panicking(
        lines in proptest::collection::vec(line(), 0..40),
        crlf in any::<bool>(),
        window in any_window(),
    ) {
        let mut text = String::from("BEGIN:VCALENDAR\n");
        text.push_str(&lines.join(if crlf { "\r\n" } else { "\n" }));
        holds(&text, window);
    }

    #[test]
    fn any_recurrence_values_read_without_panicking(
        year in prop_oneof![0u32..=9999, 1980u32..=2030],
        month in 1u32..=12,
        day in 1u32..=28,
        zone in prop_oneof![Just(""), Just(";TZID=America/New_York"), Just(";TZID=Pacific/Apia"), Just(";VALUE=DATE")],
        freq in prop_oneof![Just("DAILY"), Just("WEEKLY"), Just("MONTHLY"), Just("YEARLY"), Just("HOURLY"), Just("MINUTELY"), Just("SECONDLY"), Just("FORTNIGHTLY")],
        interval in prop_oneof![Just(None), (0u64..=100_000).prop_map(Some)],
        count in prop_oneof![Just(None), any::<u64>().prop_map(Some), (0u64..=1000).prop_map(Some)],
        until in prop_oneof![Just(None), (0u32..=9999, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| Some(format!("{y:04}{m:02}{d:02}T000000Z")))],
        by in prop_oneof![Just(""), Just(";BYDAY=MO,-1FR,+53SU"), Just(";BYMONTHDAY=31,-31"), Just(";BYSETPOS=-1"), Just(";BYHOUR=25"), Just(";BYWEEKNO=53;BYDAY=MO"), Just(";BYYEARDAY=366")],
        window in any_window(),
    ) {
        let date = format!("{year:04}{month:02}{day:02}");
        let value = if zone == ";VALUE=DATE" { date } else { format!("{date}T093000") };
        let mut rule = format!("RRULE:FREQ={freq}{by}");
        if let Some(i) = interval { rule.push_str(&format!(";INTERVAL={i}")); }
        if let Some(c) = count { rule.push_str(&format!(";COUNT={c}")); }
        if let Some(u) = until { rule.push_str(&format!(";UNTIL={u}")); }
        let start = format!("DTSTART{zone}:{value}");
        let text = calendar(&["UID:p", &start, "DURATION:PT45M", &rule, "EXDATE:20260105T093000Z"]);
        holds(&text, window);
    }
}
