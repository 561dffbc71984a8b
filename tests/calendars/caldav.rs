//! CalDAV against a real Radicale (infra/test-peers/radicale_peer.py):
//! discovery, busy time by free-busy REPORT and by calendar-query (the
//! fallback forced with `--no-free-busy`), and wrong credentials.
//!
//! The seeded calendar covers what a staff member's calendar holds: a
//! recurring series with an excluded and a moved instance in a zone given by
//! VTIMEZONE, an all-day event, a transparent, a cancelled and a declined
//! event, an event in another zone, and one outside the window.

use std::collections::BTreeSet;

use bookwarden_shared::calendar::caldav::{self, BusyMethod, CalDavAccount};
use bookwarden_shared::calendar::ics::IcsOptions;
use bookwarden_shared::calendar::{Occurrence, ProviderError, Window};
use bookwarden_shared::net::fetch::Request;
use bookwarden_shared::net::{Fetcher, Target};
use bookwarden_tests::peers::{test_fetcher, Peer};
use http::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, Method};

/// The test account.
pub(crate) const ALICE: &str = "alice@example.com";
/// Its app-specific password.
pub(crate) const ALICE_PASSWORD: &str = "app-password";

/// Starts Radicale with `users` (`(name, password)`); with `free_busy`
/// false it refuses free-busy REPORTs as servers without them do.
pub(crate) fn start_radicale(users: &[(&str, &str)], free_busy: bool) -> Peer {
    let pairs: Vec<String> = users
        .iter()
        .map(|(name, password)| format!("{name}:{password}"))
        .collect();
    let mut args: Vec<&str> = Vec::new();
    for pair in &pairs {
        args.extend(["--user", pair.as_str()]);
    }
    if !free_busy {
        args.push("--no-free-busy");
    }
    Peer::spawn("infra/test-peers/radicale_peer.py", &args)
}

async fn dav(
    fetcher: &Fetcher,
    method: &str,
    url: &str,
    (user, password): (&str, &str),
    content_type: &'static str,
    body: &str,
) -> u16 {
    use base64::Engine;
    let mut headers = HeaderMap::new();
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Basic {token}")).unwrap(),
    );
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    let response = fetcher
        .send(Request {
            method: Method::from_bytes(method.as_bytes()).unwrap(),
            target: Target::parse(url).unwrap(),
            headers,
            body: body.as_bytes().to_vec(),
        })
        .await
        .unwrap_or_else(|e| panic!("{method}: {e}"));
    response.status.as_u16()
}

/// Creates calendar `slug` of `user` named `name` accepting `components`
/// (e.g. `["VEVENT"]`); returns its path.
pub(crate) async fn make_calendar(
    peer: &Peer,
    (user, password): (&str, &str),
    slug: &str,
    name: &str,
    components: &[&str],
) -> String {
    let path = format!("/{user}/{slug}/");
    let name = name.replace('&', "&amp;").replace('<', "&lt;");
    let comps: String = components
        .iter()
        .map(|c| format!(r#"<C:comp name="{c}"/>"#))
        .collect();
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>{name}</D:displayname><C:supported-calendar-component-set>{comps}</C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>"#
    );
    let status = dav(
        &test_fetcher(),
        "MKCALENDAR",
        &peer.url(&path),
        (user, password),
        "application/xml; charset=utf-8",
        &body,
    )
    .await;
    assert_eq!(status, 201, "MKCALENDAR {slug}");
    path
}

/// Stores `ics` as resource `name` in the calendar at `calendar_path`.
pub(crate) async fn put_event(
    peer: &Peer,
    credentials: (&str, &str),
    calendar_path: &str,
    name: &str,
    ics: &str,
) {
    let status = dav(
        &test_fetcher(),
        "PUT",
        &peer.url(&format!("{calendar_path}{name}.ics")),
        credentials,
        "text/calendar; charset=utf-8",
        ics,
    )
    .await;
    assert!(matches!(status, 201 | 204), "PUT {name}: {status}");
}

/// 2026-12-07 00:00 UTC (a Monday) to 2026-12-14 00:00 UTC.
pub(crate) const WEEK: Window = Window {
    start: 1_796_601_600,
    end: 1_797_206_400,
};

fn at(day: i64, hour: i64, minute: i64) -> i64 {
    WEEK.start + (day - 7) * 86_400 + hour * 3_600 + minute * 60
}

const BERLIN: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n";
const NEW_YORK: &str = "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\nBEGIN:STANDARD\r\nDTSTART:19701101T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700308T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nTZNAME:EDT\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n";

fn calendar(zones: &str, events: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Bookwarden tests//EN\r\n{zones}{events}END:VCALENDAR\r\n")
}

fn utc_event(uid: &str, start: &str, end: &str, extra: &str) -> String {
    calendar(
        "",
        &format!("BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:Subject of {uid}\r\n{extra}END:VEVENT\r\n"),
    )
}

/// The events every seeded calendar holds, by resource name. The simple ones
/// (UTC times, no recurrence) come first.
pub(crate) fn seed_events() -> Vec<(&'static str, String)> {
    let standup = calendar(
        BERLIN,
        "BEGIN:VEVENT\r\nUID:standup\r\nDTSTAMP:20261101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20261207T100000\r\nDTEND;TZID=Europe/Berlin:20261207T101500\r\nRRULE:FREQ=DAILY;COUNT=5\r\nEXDATE;TZID=Europe/Berlin:20261209T100000\r\nSUMMARY:Standup\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:standup\r\nDTSTAMP:20261101T000000Z\r\nRECURRENCE-ID;TZID=Europe/Berlin:20261210T100000\r\nDTSTART;TZID=Europe/Berlin:20261210T140000\r\nDTEND;TZID=Europe/Berlin:20261210T143000\r\nSUMMARY:Standup (moved)\r\nEND:VEVENT\r\n",
    );
    vec![
        ("simple", utc_event("simple", "20261207T150000Z", "20261207T160000Z", "")),
        (
            "transparent",
            utc_event("transparent", "20261208T150000Z", "20261208T160000Z", "TRANSP:TRANSPARENT\r\n"),
        ),
        (
            "cancelled",
            utc_event("cancelled", "20261209T150000Z", "20261209T160000Z", "STATUS:CANCELLED\r\n"),
        ),
        (
            "declined",
            utc_event(
                "declined",
                "20261210T150000Z",
                "20261210T160000Z",
                "ORGANIZER:mailto:bob@example.net\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.net\r\nATTENDEE;CN=Alice;PARTSTAT=DECLINED:mailto:Alice@Example.com\r\n",
            ),
        ),
        ("later", utc_event("later", "20261220T150000Z", "20261220T160000Z", "")),
        ("standup", standup),
        (
            "allday",
            calendar(
                "",
                "BEGIN:VEVENT\r\nUID:allday\r\nDTSTAMP:20261101T000000Z\r\nDTSTART;VALUE=DATE:20261212\r\nDTEND;VALUE=DATE:20261213\r\nSUMMARY:Day off\r\nEND:VEVENT\r\n",
            ),
        ),
        (
            "new-york",
            calendar(
                NEW_YORK,
                "BEGIN:VEVENT\r\nUID:new-york\r\nDTSTAMP:20261101T000000Z\r\nDTSTART;TZID=America/New_York:20261211T090000\r\nDTEND;TZID=America/New_York:20261211T100000\r\nSUMMARY:Call\r\nEND:VEVENT\r\n",
            ),
        ),
    ]
}

/// What blocks time in [`WEEK`] among the simple seeded events.
fn simple_busy() -> BTreeSet<(i64, i64)> {
    BTreeSet::from([(at(7, 15, 0), at(7, 16, 0))])
}

/// What blocks time in [`WEEK`] among all seeded events, in UTC (staff
/// zone UTC, so the all-day event is the UTC day).
fn all_busy() -> BTreeSet<(i64, i64)> {
    let mut busy = simple_busy();
    for day in [7, 8, 11] {
        busy.insert((at(day, 9, 0), at(day, 9, 15)));
    }
    busy.insert((at(10, 13, 0), at(10, 13, 30)));
    busy.insert((at(12, 0, 0), at(13, 0, 0)));
    busy.insert((at(11, 14, 0), at(11, 15, 0)));
    busy
}

fn spans(occurrences: &[Occurrence]) -> BTreeSet<(i64, i64)> {
    occurrences.iter().map(|o| (o.start, o.end)).collect()
}

fn own() -> Vec<String> {
    vec![ALICE.to_owned()]
}

fn options(own: &[String], keep_summary: bool) -> IcsOptions<'_> {
    IcsOptions {
        window: WEEK,
        staff_zone: chrono_tz::UTC,
        own_addresses: own,
        keep_summary,
    }
}

/// Radicale with Alice, her "Work" calendar seeded with `events`; returns
/// the peer and the calendar's path.
async fn seeded(free_busy: bool, events: &[(&str, String)]) -> (Peer, String) {
    let peer = start_radicale(&[(ALICE, ALICE_PASSWORD)], free_busy);
    let work = make_calendar(&peer, (ALICE, ALICE_PASSWORD), "work", "Work", &["VEVENT"]).await;
    for (name, ics) in events {
        put_event(&peer, (ALICE, ALICE_PASSWORD), &work, name, ics).await;
    }
    (peer, work)
}

fn simple_events() -> Vec<(&'static str, String)> {
    seed_events().into_iter().take(5).collect()
}

#[tokio::test]
async fn discovery_lists_event_calendars_from_the_root_or_the_well_known_url() {
    let peer = start_radicale(
        &[(ALICE, ALICE_PASSWORD), ("bob@example.net", "other")],
        true,
    );
    let me = (ALICE, ALICE_PASSWORD);
    make_calendar(&peer, me, "work", "Work", &["VEVENT"]).await;
    make_calendar(
        &peer,
        me,
        "family",
        "Family & friends",
        &["VEVENT", "VTODO"],
    )
    .await;
    make_calendar(&peer, me, "tasks", "Tasks", &["VTODO"]).await;
    make_calendar(
        &peer,
        ("bob@example.net", "other"),
        "bobs",
        "Bob's",
        &["VEVENT"],
    )
    .await;

    let fetcher = test_fetcher();
    for start in ["/", "/nothing/here/"] {
        let server = Target::parse(&peer.url(start)).unwrap();
        let account = CalDavAccount {
            server: &server,
            username: ALICE,
            password: ALICE_PASSWORD,
        };
        let calendars = caldav::discover(&fetcher, &account).await.expect(start);
        let mut listed: Vec<(String, String)> = calendars
            .iter()
            .map(|c| (c.name.clone(), c.id.clone()))
            .collect();
        listed.sort();
        assert_eq!(
            listed,
            vec![
                (
                    "Family & friends".to_owned(),
                    peer.url("/alice%40example.com/family/")
                ),
                ("Work".to_owned(), peer.url("/alice%40example.com/work/")),
            ],
            "from {start}"
        );
        assert_eq!(calendars.iter().filter(|c| c.primary).count(), 1);
    }
}

#[tokio::test]
async fn wrong_credentials_revoke_the_grant_and_an_unknown_calendar_is_not_found() {
    let (peer, work) = seeded(true, &simple_events()).await;
    let fetcher = test_fetcher();
    let server = Target::parse(&peer.url("/")).unwrap();
    let own = own();
    let wrong = CalDavAccount {
        server: &server,
        username: ALICE,
        password: "not-the-password",
    };
    assert_eq!(
        caldav::discover(&fetcher, &wrong).await,
        Err(ProviderError::GrantRevoked)
    );
    let result = caldav::busy(
        &fetcher,
        &wrong,
        &work,
        BusyMethod::FreeBusyReport,
        &options(&own, false),
    )
    .await;
    assert_eq!(result, Err(ProviderError::GrantRevoked));

    let right = CalDavAccount {
        password: ALICE_PASSWORD,
        ..wrong
    };
    for prefer in [BusyMethod::FreeBusyReport, BusyMethod::CalendarQuery] {
        let result = caldav::busy(
            &fetcher,
            &right,
            "/alice%40example.com/gone/",
            prefer,
            &options(&own, false),
        )
        .await;
        assert_eq!(result, Err(ProviderError::NotFound), "{prefer:?}");
    }
}

#[tokio::test]
async fn free_busy_report_gives_the_servers_busy_periods() {
    let (peer, _) = seeded(true, &seed_events()).await;
    let fetcher = test_fetcher();
    let server = Target::parse(&peer.url("/")).unwrap();
    let account = CalDavAccount {
        server: &server,
        username: ALICE,
        password: ALICE_PASSWORD,
    };
    let calendars = caldav::discover(&fetcher, &account).await.unwrap();
    let work = &calendars.first().expect("a calendar").id;
    let own = own();
    let (occurrences, method) = caldav::busy(
        &fetcher,
        &account,
        work,
        BusyMethod::FreeBusyReport,
        &options(&own, false),
    )
    .await
    .unwrap();
    assert_eq!(method, BusyMethod::FreeBusyReport);
    assert!(occurrences.iter().all(|o| o.summary.is_none()));
    // The server applies RFC 4791 §7.10: transparent and cancelled events
    // are free. It has no rule for an attendee's own decline, so the
    // declined invitation is busy on this path (the calendar-query path
    // drops it).
    let mut expected = all_busy();
    expected.insert((at(10, 15, 0), at(10, 16, 0)));
    assert_eq!(spans(&occurrences), expected);
}

#[tokio::test]
async fn without_free_busy_support_the_calendar_query_is_used_and_remembered() {
    let (peer, work) = seeded(false, &simple_events()).await;
    let fetcher = test_fetcher();
    let server = Target::parse(&peer.url("/")).unwrap();
    let account = CalDavAccount {
        server: &server,
        username: ALICE,
        password: ALICE_PASSWORD,
    };
    let own = own();
    for prefer in [BusyMethod::FreeBusyReport, BusyMethod::CalendarQuery] {
        let (occurrences, method) =
            caldav::busy(&fetcher, &account, &work, prefer, &options(&own, false))
                .await
                .unwrap();
        assert_eq!(method, BusyMethod::CalendarQuery, "{prefer:?}");
        assert_eq!(spans(&occurrences), simple_busy(), "{prefer:?}");
        assert!(occurrences.iter().all(|o| o.summary.is_none()));
    }
}

#[tokio::test]
async fn subjects_are_read_by_calendar_query_even_where_free_busy_works() {
    let (peer, work) = seeded(true, &simple_events()).await;
    let fetcher = test_fetcher();
    let server = Target::parse(&peer.url("/")).unwrap();
    let account = CalDavAccount {
        server: &server,
        username: ALICE,
        password: ALICE_PASSWORD,
    };
    let own = own();
    let (occurrences, method) = caldav::busy(
        &fetcher,
        &account,
        &work,
        BusyMethod::FreeBusyReport,
        &options(&own, true),
    )
    .await
    .unwrap();
    assert_eq!(method, BusyMethod::CalendarQuery);
    let subjects: Vec<_> = occurrences.iter().map(|o| o.summary.clone()).collect();
    assert_eq!(subjects, vec![Some("Subject of simple".to_owned())]);
}

#[tokio::test]
async fn calendar_query_expands_recurrences_zones_and_all_day_events() {
    let (peer, work) = seeded(false, &seed_events()).await;
    let fetcher = test_fetcher();
    let server = Target::parse(&peer.url("/")).unwrap();
    let account = CalDavAccount {
        server: &server,
        username: ALICE,
        password: ALICE_PASSWORD,
    };
    let own = own();
    let (occurrences, method) = caldav::busy(
        &fetcher,
        &account,
        &work,
        BusyMethod::FreeBusyReport,
        &options(&own, false),
    )
    .await
    .unwrap();
    assert_eq!(method, BusyMethod::CalendarQuery);
    assert_eq!(spans(&occurrences), all_busy());
    // Each instance of the series is its own block.
    let ids: BTreeSet<_> = occurrences.iter().map(|o| o.source_id.clone()).collect();
    assert_eq!(ids.len(), occurrences.len());
}
