//! The Google Calendar client against the fake (`infra/test-peers/
//! google_calendar.py`): full and incremental event reads, what blocks,
//! recurrences across DST, all-day events, paging, expired sync tokens,
//! throttling, free/busy and scopes. Also the helpers the end-to-end tests
//! use to start the fakes and seed them.

use bookwarden_shared::calendar::google::{self, EventDelta, SyncFrom};
use bookwarden_shared::calendar::{Change, Occurrence, ProviderError, Window};
use bookwarden_shared::net::fetch::Request;
use bookwarden_shared::net::{Fetcher, Target};
use bookwarden_tests::peers::{self, Peer};
use chrono::{TimeZone, Utc};
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{HeaderMap, Method};
use serde_json::{json, Value};
use url::Url;

/// Read-only calendar scope: lists, events and free/busy.
pub(crate) const READONLY: &str = "https://www.googleapis.com/auth/calendar.readonly";
/// Free/busy only.
pub(crate) const FREEBUSY: &str = "https://www.googleapis.com/auth/calendar.freebusy";

/// A running provider fake (Google or Graph) and an admin client for it.
pub(crate) struct ProviderFake {
    /// The fake process.
    pub(crate) peer: Peer,
    /// A fetcher trusting the test root, for the client under test and for
    /// admin calls.
    pub(crate) fetcher: Fetcher,
    api_path: &'static str,
}

impl ProviderFake {
    /// Starts `script` with `args` (e.g. `--page-size 2`).
    pub(crate) fn start(script: &str, api_path: &'static str, args: &[&str]) -> Self {
        Self {
            peer: Peer::spawn(script, args),
            fetcher: peers::test_fetcher(),
            api_path,
        }
    }

    /// The Google fake, its API root at `/calendar/v3`.
    pub(crate) fn google(args: &[&str]) -> Self {
        Self::start("infra/test-peers/google_calendar.py", "/calendar/v3", args)
    }

    /// The API root to pass as `api`.
    pub(crate) fn api(&self) -> Url {
        Url::parse(&self.peer.url(self.api_path)).unwrap()
    }

    /// Sends an admin request; `segments` are escaped one by one (calendar
    /// ids contain `@` and `#`). Panics unless it succeeds.
    pub(crate) async fn admin(&self, method: Method, segments: &[&str], body: Value) -> Value {
        let mut url = Url::parse(&self.peer.url("/_admin")).unwrap();
        url.path_segments_mut().unwrap().extend(segments);
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let response = self
            .fetcher
            .send(Request {
                method,
                target: Target::parse(url.as_str()).unwrap(),
                headers,
                body: serde_json::to_vec(&body).unwrap(),
            })
            .await
            .unwrap();
        assert!(
            response.status.is_success(),
            "admin {segments:?}: {} {}",
            response.status,
            String::from_utf8_lossy(&response.body)
        );
        serde_json::from_slice(&response.body).unwrap()
    }

    /// Registers a bearer token for `sub` with space-separated `scope`.
    pub(crate) async fn token(&self, token: &str, sub: &str, scope: &str) {
        self.admin(
            Method::POST,
            &["tokens"],
            json!({"token": token, "sub": sub, "scope": scope}),
        )
        .await;
    }

    /// Creates a calendar for `sub` from the provider's own JSON.
    pub(crate) async fn calendar(&self, sub: &str, calendar: Value) -> String {
        let created = self
            .admin(Method::POST, &["users", sub, "calendars"], calendar)
            .await;
        created["id"].as_str().unwrap().to_owned()
    }

    /// Creates or replaces event `id` (the provider's own JSON).
    pub(crate) async fn put_event(&self, sub: &str, calendar: &str, id: &str, event: Value) {
        self.admin(
            Method::PUT,
            &["users", sub, "calendars", calendar, "events", id],
            event,
        )
        .await;
    }

    /// Merges `fields` into event `id`.
    pub(crate) async fn patch_event(&self, sub: &str, calendar: &str, id: &str, fields: Value) {
        self.admin(
            Method::PATCH,
            &["users", sub, "calendars", calendar, "events", id],
            fields,
        )
        .await;
    }

    /// Deletes event `id`.
    pub(crate) async fn delete_event(&self, sub: &str, calendar: &str, id: &str) {
        self.admin(
            Method::DELETE,
            &["users", sub, "calendars", calendar, "events", id],
            json!({}),
        )
        .await;
    }

    /// Invalidates every sync token / delta link: the next incremental read
    /// answers 410.
    pub(crate) async fn invalidate_sync(&self) {
        self.admin(Method::POST, &["invalidate-sync"], json!({}))
            .await;
    }

    /// The next `count` API requests answer 429 with `retry_after`.
    pub(crate) async fn throttle(&self, count: u32, retry_after: &str) {
        self.admin(
            Method::POST,
            &["throttle"],
            json!({"count": count, "retry_after": retry_after}),
        )
        .await;
    }

    /// API requests served for `endpoint` so far.
    pub(crate) async fn requests(&self, endpoint: &str) -> u64 {
        let stats = self.admin(Method::GET, &["stats"], Value::Null).await;
        stats["requests"][endpoint].as_u64().unwrap_or(0)
    }
}

/// Unix seconds of a UTC date-time.
pub(crate) fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .timestamp()
}

/// A timed Google event in UTC.
pub(crate) fn google_event(summary: &str, start: i64, end: i64) -> Value {
    let fmt = |secs| {
        Utc.timestamp_opt(secs, 0)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    json!({"summary": summary, "start": {"dateTime": fmt(start)}, "end": {"dateTime": fmt(end)}})
}

/// A Google fake with user `alice`, token `alice-token` (read-only scope) and
/// her primary calendar `alice@example.com`.
pub(crate) async fn google_with_alice(args: &[&str]) -> (ProviderFake, String) {
    let fake = ProviderFake::google(args);
    fake.token("alice-token", "alice", READONLY).await;
    let calendar = fake
        .calendar(
            "alice",
            json!({"id": "alice@example.com", "summary": "Alice", "primary": true}),
        )
        .await;
    (fake, calendar)
}

const MARCH_TO_JUNE: Window = Window {
    start: 1_772_323_200, // 2026-03-01T00:00:00Z
    end: 1_780_272_000,   // 2026-06-01T00:00:00Z
};

async fn read(
    fake: &ProviderFake,
    calendar: &str,
    from: SyncFrom<'_>,
    zone: chrono_tz::Tz,
) -> Result<EventDelta, ProviderError> {
    google::events(
        &fake.fetcher,
        &fake.api(),
        "alice-token",
        calendar,
        from,
        MARCH_TO_JUNE,
        zone,
        false,
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
async fn google_full_then_incremental_reports_exactly_what_changed() {
    let (fake, cal) = google_with_alice(&[]).await;
    let day = |d| at(2026, 3, d, 9, 0);
    for (id, d) in [
        ("keep", 2),
        ("move", 3),
        ("gone", 4),
        ("cancel", 5),
        ("decline", 6),
        ("free", 7),
    ] {
        fake.put_event("alice", &cal, id, google_event(id, day(d), day(d) + 3600))
            .await;
    }
    // Before the window: not part of a full read.
    fake.put_event(
        "alice",
        &cal,
        "old",
        google_event("old", at(2025, 1, 1, 9, 0), at(2025, 1, 1, 10, 0)),
    )
    .await;

    let full = read(&fake, &cal, SyncFrom::Full, chrono_tz::UTC)
        .await
        .unwrap();
    assert!(full.full);
    assert_eq!(full.changes.len(), 6, "{:?}", full.changes);
    let first = upserts(&full)[0];
    assert_eq!(
        (
            first.source_id.as_str(),
            first.start,
            first.end,
            &first.summary
        ),
        ("keep", day(2), day(2) + 3600, &None)
    );

    let quiet = read(
        &fake,
        &cal,
        SyncFrom::Token(&full.next_token),
        chrono_tz::UTC,
    )
    .await
    .unwrap();
    assert!(!quiet.full);
    assert!(quiet.changes.is_empty(), "{:?}", quiet.changes);

    fake.put_event(
        "alice",
        &cal,
        "new",
        google_event("new", day(10), day(10) + 1800),
    )
    .await;
    fake.put_event(
        "alice",
        &cal,
        "move",
        google_event("move", day(11), day(11) + 3600),
    )
    .await;
    fake.delete_event("alice", &cal, "gone").await;
    fake.patch_event("alice", &cal, "cancel", json!({"status": "cancelled"}))
        .await;
    fake.patch_event(
        "alice",
        &cal,
        "decline",
        json!({"attendees": [
            {"email": "boss@example.com", "organizer": true, "responseStatus": "accepted"},
            {"email": "alice@example.com", "self": true, "responseStatus": "declined"},
        ]}),
    )
    .await;
    fake.patch_event(
        "alice",
        &cal,
        "free",
        json!({"transparency": "transparent"}),
    )
    .await;
    fake.patch_event(
        "alice",
        &cal,
        "old",
        json!({"summary": "still outside the window"}),
    )
    .await;

    let delta = read(
        &fake,
        &cal,
        SyncFrom::Token(&quiet.next_token),
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
        vec!["cancel", "decline", "free", "gone", "old"]
    );

    let after = read(
        &fake,
        &cal,
        SyncFrom::Token(&delta.next_token),
        chrono_tz::UTC,
    )
    .await
    .unwrap();
    assert!(after.changes.is_empty());
}

#[tokio::test]
async fn google_weekly_recurrence_keeps_its_local_time_across_dst() {
    let (fake, cal) = google_with_alice(&[]).await;
    // Fridays 09:00 Berlin; summer time starts on 2026-03-29.
    fake.put_event(
        "alice",
        &cal,
        "standup",
        json!({
            "summary": "Standup",
            "start": {"dateTime": "2026-03-13T09:00:00+01:00", "timeZone": "Europe/Berlin"},
            "end": {"dateTime": "2026-03-13T09:30:00+01:00", "timeZone": "Europe/Berlin"},
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"],
        }),
    )
    .await;
    let full = google::events(
        &fake.fetcher,
        &fake.api(),
        "alice-token",
        &cal,
        SyncFrom::Full,
        MARCH_TO_JUNE,
        chrono_tz::UTC,
        true,
    )
    .await
    .unwrap();
    let starts: Vec<(i64, i64)> = upserts(&full)
        .iter()
        .map(|occurrence| (occurrence.start, occurrence.end - occurrence.start))
        .collect();
    assert_eq!(
        starts,
        vec![
            (at(2026, 3, 13, 8, 0), 1800),
            (at(2026, 3, 20, 8, 0), 1800),
            (at(2026, 3, 27, 8, 0), 1800),
            (at(2026, 4, 3, 7, 0), 1800),
        ]
    );
    let mut ids: Vec<&str> = upserts(&full)
        .iter()
        .map(|occurrence| occurrence.source_id.as_str())
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 4, "each instance is its own block");
    assert!(upserts(&full)
        .iter()
        .all(|occurrence| occurrence.summary.as_deref() == Some("Standup")));
}

#[tokio::test]
async fn google_all_day_events_span_midnights_in_the_staff_zone() {
    let (fake, cal) = google_with_alice(&[]).await;
    fake.put_event(
        "alice",
        &cal,
        "holiday",
        json!({"summary": "Holiday", "start": {"date": "2026-04-06"}, "end": {"date": "2026-04-08"}}),
    )
    .await;
    let full = read(&fake, &cal, SyncFrom::Full, chrono_tz::America::New_York)
        .await
        .unwrap();
    let day = upserts(&full)[0];
    assert_eq!(
        (day.start, day.end),
        (at(2026, 4, 6, 4, 0), at(2026, 4, 8, 4, 0))
    );
}

#[tokio::test]
async fn google_pages_are_followed_to_the_sync_token() {
    let (fake, cal) = google_with_alice(&["--page-size", "2"]).await;
    for day in 1..=7 {
        let start = at(2026, 4, day, 12, 0);
        fake.put_event(
            "alice",
            &cal,
            &format!("e{day}"),
            google_event("x", start, start + 600),
        )
        .await;
    }
    let full = read(&fake, &cal, SyncFrom::Full, chrono_tz::UTC)
        .await
        .unwrap();
    assert_eq!(upserts(&full).len(), 7);
    assert_eq!(fake.requests("events.list").await, 4);
    let quiet = read(
        &fake,
        &cal,
        SyncFrom::Token(&full.next_token),
        chrono_tz::UTC,
    )
    .await
    .unwrap();
    assert!(quiet.changes.is_empty());
}

#[tokio::test]
async fn google_expired_sync_token_asks_for_a_full_sync() {
    let (fake, cal) = google_with_alice(&[]).await;
    let full = read(&fake, &cal, SyncFrom::Full, chrono_tz::UTC)
        .await
        .unwrap();
    fake.invalidate_sync().await;
    assert_eq!(
        read(
            &fake,
            &cal,
            SyncFrom::Token(&full.next_token),
            chrono_tz::UTC
        )
        .await,
        Err(ProviderError::SyncStateExpired)
    );
    assert_eq!(
        read(&fake, "nobody@example.com", SyncFrom::Full, chrono_tz::UTC).await,
        Err(ProviderError::NotFound)
    );
}

#[tokio::test]
async fn google_throttling_reports_the_retry_after() {
    let (fake, cal) = google_with_alice(&[]).await;
    fake.throttle(1, "7").await;
    assert_eq!(
        read(&fake, &cal, SyncFrom::Full, chrono_tz::UTC).await,
        Err(ProviderError::Throttled {
            retry_after_secs: Some(7)
        })
    );
    let soon = (Utc::now() + chrono::Duration::seconds(120))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    fake.throttle(1, &soon).await;
    match read(&fake, &cal, SyncFrom::Full, chrono_tz::UTC).await {
        Err(ProviderError::Throttled {
            retry_after_secs: Some(secs),
        }) => assert!((100..=120).contains(&secs), "{secs}"),
        other => panic!("expected throttling, got {other:?}"),
    }
    assert!(read(&fake, &cal, SyncFrom::Full, chrono_tz::UTC)
        .await
        .is_ok());
}

#[tokio::test]
async fn google_free_busy_chunks_long_windows_and_merges_what_they_split() {
    let fake = ProviderFake::google(&["--freebusy-max-days", "90"]);
    fake.token("fb-token", "alice", FREEBUSY).await;
    let cal = fake
        .calendar(
            "alice",
            json!({"id": "alice@example.com", "summary": "Alice"}),
        )
        .await;
    let window = Window {
        start: at(2026, 3, 1, 0, 0),
        end: at(2026, 3, 1, 0, 0) + 200 * 86_400,
    };
    // Straddles the first 60-day piece's end.
    let boundary = window.start + google::FREE_BUSY_SPAN_SECS;
    fake.put_event(
        "alice",
        &cal,
        "straddle",
        google_event("x", boundary - 3600, boundary + 3600),
    )
    .await;
    fake.put_event(
        "alice",
        &cal,
        "late",
        google_event(
            "x",
            window.start + 150 * 86_400,
            window.start + 150 * 86_400 + 1800,
        ),
    )
    .await;
    let mut free = google_event("x", window.start + 86_400, window.start + 90_000);
    free["transparency"] = json!("transparent");
    fake.put_event("alice", &cal, "free", free).await;

    let busy = google::free_busy(
        &fake.fetcher,
        &fake.api(),
        "fb-token",
        std::slice::from_ref(&cal),
        window,
    )
    .await
    .unwrap();
    let spans: Vec<(i64, i64)> = busy.iter().map(|o| (o.start, o.end)).collect();
    assert_eq!(
        spans,
        vec![
            (boundary - 3600, boundary + 3600),
            (
                window.start + 150 * 86_400,
                window.start + 150 * 86_400 + 1800
            )
        ]
    );
    assert!(busy.iter().all(|o| o.summary.is_none()));
    assert_eq!(
        busy[0].source_id,
        format!(
            "fb/alice@example.com/{}/{}",
            boundary - 3600,
            boundary + 3600
        )
    );
    assert_eq!(fake.requests("freeBusy.query").await, 4);

    assert_eq!(
        google::free_busy(
            &fake.fetcher,
            &fake.api(),
            "fb-token",
            &[cal, "gone@example.com".into()],
            window
        )
        .await,
        Err(ProviderError::NotFound)
    );
}

#[tokio::test]
async fn google_scopes_are_enforced_like_the_real_api() {
    let (fake, cal) = google_with_alice(&[]).await;
    fake.token("fb-token", "alice", FREEBUSY).await;
    let window = MARCH_TO_JUNE;
    // A free/busy grant cannot list events or calendars.
    let events = google::events(
        &fake.fetcher,
        &fake.api(),
        "fb-token",
        &cal,
        SyncFrom::Full,
        window,
        chrono_tz::UTC,
        false,
    )
    .await;
    assert_eq!(events, Err(ProviderError::GrantRevoked));
    assert_eq!(
        google::calendars(&fake.fetcher, &fake.api(), "fb-token").await,
        Err(ProviderError::GrantRevoked)
    );
    assert!(
        google::free_busy(&fake.fetcher, &fake.api(), "fb-token", &[cal], window)
            .await
            .is_ok()
    );
    assert_eq!(
        google::calendars(&fake.fetcher, &fake.api(), "unknown-token").await,
        Err(ProviderError::GrantRevoked)
    );
}

#[tokio::test]
async fn google_calendar_list_is_read_to_the_end_with_the_primary_flag() {
    let (fake, _) = google_with_alice(&["--page-size", "2"]).await;
    for (id, name) in [
        ("team#x@group.calendar.google.com", "Team"),
        ("c2", "Two"),
        ("c3", "Three"),
    ] {
        fake.calendar(
            "alice",
            json!({"id": id, "summary": name, "primary": false}),
        )
        .await;
    }
    let mut calendars = google::calendars(&fake.fetcher, &fake.api(), "alice-token")
        .await
        .unwrap();
    calendars.sort_by(|a, b| a.id.cmp(&b.id));
    let seen: Vec<(&str, &str, bool)> = calendars
        .iter()
        .map(|c| (c.id.as_str(), c.name.as_str(), c.primary))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("alice@example.com", "Alice", true),
            ("c2", "Two", false),
            ("c3", "Three", false),
            ("team#x@group.calendar.google.com", "Team", false),
        ]
    );
    // Ids with '#' and '@' reach the right calendar.
    let full = read(
        &fake,
        "team#x@group.calendar.google.com",
        SyncFrom::Full,
        chrono_tz::UTC,
    )
    .await;
    assert!(full.is_ok(), "{full:?}");
}
