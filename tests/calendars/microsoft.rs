//! The Microsoft Graph client against the fake (`infra/test-peers/
//! graph_calendar.py`): delta rounds, what blocks, recurrences across DST,
//! all-day events, paging, expired delta links, throttling, getSchedule,
//! permissions and link checks. Also the helpers the end-to-end tests use.

use bookwarden_shared::calendar::google::EventDelta;
use bookwarden_shared::calendar::microsoft::{self, DeltaFrom};
use bookwarden_shared::calendar::{Change, Occurrence, ProviderError, Window};
use chrono::Utc;
use http::Method;
use serde_json::{json, Value};

use super::google::{at, ProviderFake};

/// Read access to calendars plus the profile (`GET /me`).
pub(crate) const READ: &str = "Calendars.Read User.Read";

/// The Graph fake, its API root at `/v1.0`.
pub(crate) fn graph(args: &[&str]) -> ProviderFake {
    ProviderFake::start("infra/test-peers/graph_calendar.py", "/v1.0", args)
}

/// A Graph fake with user `bob` (mail `bob@contoso.test`), token
/// `bob-token` ([`READ`]) and his default calendar, whose id is returned.
pub(crate) async fn graph_with_bob(args: &[&str]) -> (ProviderFake, String) {
    let fake = graph(args);
    fake.token("bob-token", "bob", READ).await;
    fake.admin(
        Method::POST,
        &["users", "bob"],
        json!({"mail": "bob@contoso.test"}),
    )
    .await;
    let calendar = fake
        .calendar(
            "bob",
            json!({"name": "Calendar", "isDefaultCalendar": true}),
        )
        .await;
    (fake, calendar)
}

/// A timed Graph event in UTC.
pub(crate) fn graph_event(subject: &str, start: i64, end: i64) -> Value {
    let fmt = |secs: i64| {
        chrono::DateTime::from_timestamp(secs, 0)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string()
    };
    json!({
        "subject": subject,
        "start": {"dateTime": fmt(start), "timeZone": "UTC"},
        "end": {"dateTime": fmt(end), "timeZone": "UTC"},
    })
}

const MARCH_TO_JUNE: Window = Window {
    start: 1_772_323_200, // 2026-03-01T00:00:00Z
    end: 1_780_272_000,   // 2026-06-01T00:00:00Z
};

async fn read(
    fake: &ProviderFake,
    calendar: &str,
    from: DeltaFrom<'_>,
    zone: chrono_tz::Tz,
) -> Result<EventDelta, ProviderError> {
    microsoft::events(
        &fake.fetcher,
        &fake.api(),
        "bob-token",
        calendar,
        from,
        MARCH_TO_JUNE,
        zone,
        true,
    )
    .await
}

fn upserts(delta: &EventDelta) -> Vec<&Occurrence> {
    let mut found: Vec<&Occurrence> = delta
        .changes
        .iter()
        .filter_map(|change| match change {
            Change::Upsert(occurrence) => Some(occurrence),
            Change::Remove { .. } => None,
        })
        .collect();
    found.sort_by_key(|occurrence| occurrence.start);
    found
}

fn removed(delta: &EventDelta) -> Vec<String> {
    let mut ids: Vec<String> = delta
        .changes
        .iter()
        .filter_map(|change| match change {
            Change::Remove { source_id } => Some(source_id.clone()),
            Change::Upsert(_) => None,
        })
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn graph_delta_round_then_incremental_reports_exactly_what_changed() {
    let (fake, cal) = graph_with_bob(&[]).await;
    let day = |d| at(2026, 3, d, 14, 0);
    for (id, d) in [
        ("keep", 2),
        ("move", 3),
        ("gone", 4),
        ("cancel", 5),
        ("decline", 6),
        ("free", 7),
        ("elsewhere", 8),
    ] {
        fake.put_event("bob", &cal, id, graph_event(id, day(d), day(d) + 3600))
            .await;
    }
    let mut tentative = graph_event("maybe", day(9), day(9) + 600);
    tentative["showAs"] = json!("tentative");
    fake.put_event("bob", &cal, "maybe", tentative).await;

    let full = read(&fake, &cal, DeltaFrom::Full, chrono_tz::UTC)
        .await
        .unwrap();
    assert!(full.full);
    assert_eq!(upserts(&full).len(), 8);
    assert!(removed(&full).is_empty());
    assert_eq!(upserts(&full)[0].summary.as_deref(), Some("keep"));
    assert!(full.next_token.contains("$deltatoken="));

    let quiet = read(
        &fake,
        &cal,
        DeltaFrom::Link(&full.next_token),
        chrono_tz::UTC,
    )
    .await
    .unwrap();
    assert!(!quiet.full);
    assert!(quiet.changes.is_empty(), "{:?}", quiet.changes);

    fake.put_event(
        "bob",
        &cal,
        "new",
        graph_event("new", day(10), day(10) + 1800),
    )
    .await;
    fake.put_event(
        "bob",
        &cal,
        "move",
        graph_event("move", day(11), day(11) + 3600),
    )
    .await;
    fake.delete_event("bob", &cal, "gone").await;
    fake.patch_event("bob", &cal, "cancel", json!({"isCancelled": true}))
        .await;
    fake.patch_event(
        "bob",
        &cal,
        "decline",
        json!({"responseStatus": {"response": "declined"}}),
    )
    .await;
    fake.patch_event("bob", &cal, "free", json!({"showAs": "free"}))
        .await;
    fake.patch_event(
        "bob",
        &cal,
        "elsewhere",
        json!({"showAs": "workingElsewhere"}),
    )
    .await;

    let delta = read(
        &fake,
        &cal,
        DeltaFrom::Link(&quiet.next_token),
        chrono_tz::UTC,
    )
    .await
    .unwrap();
    let changed: Vec<(&str, i64)> = upserts(&delta)
        .iter()
        .map(|occurrence| (occurrence.source_id.as_str(), occurrence.start))
        .collect();
    assert_eq!(changed, vec![("new", day(10)), ("move", day(11))]);
    assert_eq!(
        removed(&delta),
        vec!["cancel", "decline", "elsewhere", "free", "gone"]
    );
}

#[tokio::test]
async fn graph_weekly_recurrence_keeps_its_local_time_across_dst() {
    let (fake, cal) = graph_with_bob(&[]).await;
    // Thursdays 09:00 New York; daylight time starts on 2026-03-08.
    fake.put_event(
        "bob",
        &cal,
        "sync",
        json!({
            "subject": "Sync",
            "start": {"dateTime": "2026-03-05T09:00:00", "timeZone": "America/New_York"},
            "end": {"dateTime": "2026-03-05T10:00:00", "timeZone": "America/New_York"},
            "recurrence": {
                "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["thursday"]},
                "range": {"type": "numbered", "startDate": "2026-03-05", "numberOfOccurrences": 3},
            },
        }),
    )
    .await;
    let full = read(&fake, &cal, DeltaFrom::Full, chrono_tz::UTC)
        .await
        .unwrap();
    let starts: Vec<i64> = upserts(&full).iter().map(|o| o.start).collect();
    assert_eq!(
        starts,
        vec![
            at(2026, 3, 5, 14, 0),
            at(2026, 3, 12, 13, 0),
            at(2026, 3, 19, 13, 0)
        ]
    );
    // Deleting the series removes every occurrence.
    fake.delete_event("bob", &cal, "sync").await;
    let delta = read(
        &fake,
        &cal,
        DeltaFrom::Link(&full.next_token),
        chrono_tz::UTC,
    )
    .await
    .unwrap();
    assert_eq!(removed(&delta).len(), 3);
}

#[tokio::test]
async fn graph_all_day_events_span_midnights_in_the_staff_zone() {
    let (fake, cal) = graph_with_bob(&[]).await;
    let mut day = graph_event("Off", at(2026, 4, 6, 0, 0), at(2026, 4, 7, 0, 0));
    day["isAllDay"] = json!(true);
    fake.put_event("bob", &cal, "off", day).await;
    let full = read(&fake, &cal, DeltaFrom::Full, chrono_tz::Asia::Tokyo)
        .await
        .unwrap();
    let off = upserts(&full)[0];
    assert_eq!(
        (off.start, off.end),
        (at(2026, 4, 5, 15, 0), at(2026, 4, 6, 15, 0))
    );
}

#[tokio::test]
async fn graph_pages_expiry_throttling_and_foreign_links() {
    let (fake, cal) = graph_with_bob(&["--page-size", "2"]).await;
    for day in 1..=5 {
        let start = at(2026, 4, day, 12, 0);
        fake.put_event(
            "bob",
            &cal,
            &format!("e{day}"),
            graph_event("x", start, start + 600),
        )
        .await;
    }
    let full = read(&fake, &cal, DeltaFrom::Full, chrono_tz::UTC)
        .await
        .unwrap();
    assert_eq!(upserts(&full).len(), 5);
    assert_eq!(fake.requests("calendarView.delta").await, 3);

    // A stored link elsewhere is never followed with the token.
    let foreign = full.next_token.replace("localhost", "127.0.0.1");
    assert_eq!(
        read(&fake, &cal, DeltaFrom::Link(&foreign), chrono_tz::UTC).await,
        Err(ProviderError::Protocol)
    );

    let soon = (Utc::now() + chrono::Duration::seconds(60))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    fake.throttle(1, &soon).await;
    match read(
        &fake,
        &cal,
        DeltaFrom::Link(&full.next_token),
        chrono_tz::UTC,
    )
    .await
    {
        Err(ProviderError::Throttled {
            retry_after_secs: Some(secs),
        }) => assert!((40..=60).contains(&secs), "{secs}"),
        other => panic!("expected throttling, got {other:?}"),
    }

    fake.invalidate_sync().await;
    assert_eq!(
        read(
            &fake,
            &cal,
            DeltaFrom::Link(&full.next_token),
            chrono_tz::UTC
        )
        .await,
        Err(ProviderError::SyncStateExpired)
    );
    assert_eq!(
        read(
            &fake,
            "AAMkNoSuchCalendar=",
            DeltaFrom::Full,
            chrono_tz::UTC
        )
        .await,
        Err(ProviderError::NotFound)
    );
}

#[tokio::test]
async fn graph_schedule_reads_the_users_own_busy_time_in_chunks() {
    let (fake, cal) = graph_with_bob(&[]).await;
    let window = Window {
        start: at(2026, 3, 1, 0, 0),
        end: at(2026, 3, 1, 0, 0) + 150 * 86_400,
    };
    let boundary = window.start + microsoft::SCHEDULE_SPAN_SECS;
    fake.put_event(
        "bob",
        &cal,
        "straddle",
        graph_event("x", boundary - 1800, boundary + 1800),
    )
    .await;
    for (id, show_as, day) in [
        ("oof", "oof", 100),
        ("tentative", "tentative", 101),
        ("free", "free", 102),
        ("elsewhere", "workingElsewhere", 103),
    ] {
        let start = window.start + day * 86_400;
        let mut event = graph_event(id, start, start + 3600);
        event["showAs"] = json!(show_as);
        fake.put_event("bob", &cal, id, event).await;
    }
    let busy = microsoft::schedule(&fake.fetcher, &fake.api(), "bob-token", window)
        .await
        .unwrap();
    let spans: Vec<(i64, i64)> = busy.iter().map(|o| (o.start, o.end)).collect();
    let on = |day: i64| window.start + day * 86_400;
    assert_eq!(
        spans,
        vec![
            (boundary - 1800, boundary + 1800),
            (on(100), on(100) + 3600),
            (on(101), on(101) + 3600),
        ]
    );
    assert_eq!(
        busy[1].source_id,
        format!("fb/{}/{}", on(100), on(100) + 3600)
    );
    assert_eq!(fake.requests("getSchedule").await, 3);

    // Without a mail address the user principal name is asked for.
    fake.admin(Method::POST, &["users", "bob"], json!({"mail": null}))
        .await;
    let again = microsoft::schedule(&fake.fetcher, &fake.api(), "bob-token", window)
        .await
        .unwrap();
    assert_eq!(again, busy);
}

#[tokio::test]
async fn graph_permissions_are_enforced_like_the_real_api() {
    let (fake, cal) = graph_with_bob(&[]).await;
    // Calendars.ReadBasic reads calendars and events, but without User.Read
    // the user's own address cannot be looked up.
    fake.token(
        "basic",
        "bob",
        "https://graph.microsoft.com/Calendars.ReadBasic",
    )
    .await;
    fake.token("profile", "bob", "User.Read").await;
    let api = fake.api();
    assert!(microsoft::calendars(&fake.fetcher, &api, "basic")
        .await
        .is_ok());
    let events = microsoft::events(
        &fake.fetcher,
        &api,
        "basic",
        &cal,
        DeltaFrom::Full,
        MARCH_TO_JUNE,
        chrono_tz::UTC,
        false,
    )
    .await;
    assert!(events.is_ok(), "{events:?}");
    assert_eq!(
        microsoft::schedule(&fake.fetcher, &api, "basic", MARCH_TO_JUNE).await,
        Err(ProviderError::GrantRevoked)
    );
    assert_eq!(
        microsoft::calendars(&fake.fetcher, &api, "profile").await,
        Err(ProviderError::GrantRevoked)
    );
    assert_eq!(
        microsoft::calendars(&fake.fetcher, &api, "revoked").await,
        Err(ProviderError::GrantRevoked)
    );
}

#[tokio::test]
async fn graph_calendar_list_is_read_to_the_end_with_the_default_flag() {
    let (fake, default) = graph_with_bob(&["--page-size", "2"]).await;
    for name in ["Birthdays", "Team", "Travel"] {
        fake.calendar("bob", json!({"name": name, "isDefaultCalendar": false}))
            .await;
    }
    let calendars = microsoft::calendars(&fake.fetcher, &fake.api(), "bob-token")
        .await
        .unwrap();
    assert_eq!(calendars.len(), 4);
    let primary: Vec<&str> = calendars
        .iter()
        .filter(|c| c.primary)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(primary, vec![default.as_str()]);
    let mut names: Vec<&str> = calendars.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, vec!["Birthdays", "Calendar", "Team", "Travel"]);
}
