//! Google Calendar API v3, in the two tiers a connection can use:
//!
//! - busy only: [`free_busy`] (`POST /freeBusy`) gives merged busy stretches
//!   and nothing else about the events;
//! - incremental: [`events`] (`GET /calendars/{id}/events`) with
//!   `singleEvents=true`, so recurring events arrive as their instances, and
//!   sync tokens so later reads carry only what changed.
//!
//! Decisions, against the API reference and the "Synchronize resources
//! efficiently" guide:
//!
//! - A full read sends `timeMin`/`timeMax` (the window). The reference forbids
//!   combining them with `syncToken`, but a windowed full listing still ends
//!   with a `nextSyncToken` (the guide's own example bounds its full sync with
//!   `timeMin`), so that token is kept. Incremental reads then report changes
//!   anywhere in the calendar: the ones outside the window become
//!   [`Change::Remove`], which is harmless for ids the caller never stored.
//! - An incremental read always includes deleted events (`status:
//!   cancelled`); `showDeleted` is not sent (it may not be false there).
//! - What blocks: everything except cancelled events, `transparency:
//!   transparent`, events the user (the attendee with `self: true`) declined,
//!   and the `workingLocation` and `birthday` event types. `outOfOffice` and
//!   `focusTime` block: both are time the staff member reserved.
//! - `freeBusy` refuses long ranges ("The requested time range is too long";
//!   the limit is not documented, about 90 days is observed), so the window is
//!   asked for in pieces of [`FREE_BUSY_SPAN_SECS`], and at most 50 calendars
//!   at a time (`calendarExpansionMax`'s maximum).
//! - Status classes are mapped in [`super::rest::error_for`]: 401 and a 403
//!   that is not a rate limit mean the grant is gone, 410 means the sync
//!   token expired.

use chrono_tz::Tz;
use http::header::HeaderValue;
use http::Method;
use serde::Deserialize;
use url::Url;

use super::rest::{self, Body, Verdict, MAX_CHANGES, MAX_PAGES};
use super::{CalendarInfo, Change, Occurrence, ProviderError, Window};
use crate::net::Fetcher;

/// The production API root; tests pass a fake's.
pub const GOOGLE_API_BASE: &str = "https://www.googleapis.com/calendar/v3";

/// Longest range one `freeBusy` query asks for: 60 days, well inside the
/// (undocumented, about 90 days) limit.
pub const FREE_BUSY_SPAN_SECS: i64 = 60 * 86_400;

/// Most calendars one `freeBusy` query names (`calendarExpansionMax`).
const FREE_BUSY_MAX_CALENDARS: usize = 50;

/// Page size asked for; Google's default is 250 for events and 100 for the
/// calendar list, its maximum 2500 and 250.
const PAGE_SIZE: &str = "250";

/// Where an [`events`] read starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncFrom<'a> {
    /// A complete listing of the window (first sync, or after
    /// [`ProviderError::SyncStateExpired`]).
    Full,
    /// The changes since the read that returned this token.
    Token(&'a str),
}

/// What one [`events`] read (or [`super::microsoft::events`]) found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventDelta {
    /// Whether this is a complete listing: the caller replaces everything it
    /// had for this calendar with `changes` (all of them upserts).
    pub full: bool,
    /// What changed (or, when `full`, everything that blocks in the window).
    pub changes: Vec<Change>,
    /// Where the next read starts: Google's `nextSyncToken`, Graph's delta
    /// link. Stored sealed; it lets whoever holds it read the calendar's
    /// changes with a valid access token.
    pub next_token: String,
}

/// The calendars the account can select (`calendarList.list`, every page).
pub async fn calendars(
    fetcher: &Fetcher,
    api: &Url,
    access_token: &str,
) -> Result<Vec<CalendarInfo>, ProviderError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Entry {
        id: String,
        #[serde(default)]
        summary: Option<String>,
        #[serde(default)]
        summary_override: Option<String>,
        #[serde(default)]
        primary: bool,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Page {
        #[serde(default)]
        items: Vec<Entry>,
        #[serde(default)]
        next_page_token: Option<String>,
    }

    let base = rest::endpoint(api, &["users", "me", "calendarList"])?;
    let mut found = Vec::new();
    let mut page_token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut url = base.clone();
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("maxResults", PAGE_SIZE);
            if let Some(token) = &page_token {
                query.append_pair("pageToken", token);
            }
        }
        let page: Page =
            rest::call_json(fetcher, Method::GET, &url, access_token, &[], None).await?;
        found.extend(page.items.into_iter().map(|entry| {
            CalendarInfo {
                name: entry
                    .summary_override
                    .or(entry.summary)
                    .unwrap_or_else(|| entry.id.clone()),
                id: entry.id,
                primary: entry.primary,
            }
        }));
        match page.next_page_token.filter(|token| !token.is_empty()) {
            Some(token) => page_token = Some(token),
            None => return Ok(found),
        }
    }
    Err(ProviderError::Protocol)
}

/// Busy stretches of `calendar_ids` over `window` (`freeBusy`), merged per
/// calendar. A calendar the API reports as not found fails the whole read
/// with [`ProviderError::NotFound`], so the connection shows which class of
/// problem it has rather than silently losing a calendar.
pub async fn free_busy(
    fetcher: &Fetcher,
    api: &Url,
    access_token: &str,
    calendar_ids: &[String],
    window: Window,
) -> Result<Vec<Occurrence>, ProviderError> {
    #[derive(Deserialize)]
    struct Period {
        start: String,
        end: String,
    }
    #[derive(Deserialize)]
    struct Failure {
        #[serde(default)]
        reason: String,
    }
    #[derive(Deserialize)]
    struct Calendar {
        #[serde(default)]
        busy: Vec<Period>,
        #[serde(default)]
        errors: Vec<Failure>,
    }
    #[derive(Deserialize)]
    struct Answer {
        #[serde(default)]
        calendars: std::collections::HashMap<String, Calendar>,
    }

    let url = rest::endpoint(api, &["freeBusy"])?;
    let mut occurrences = Vec::new();
    for ids in calendar_ids.chunks(FREE_BUSY_MAX_CALENDARS) {
        let mut busy: Vec<Vec<(i64, i64)>> = vec![Vec::new(); ids.len()];
        for (start, end) in rest::chunks(window.start, window.end, FREE_BUSY_SPAN_SECS) {
            let body = serde_json::json!({
                "timeMin": rest::rfc3339(start),
                "timeMax": rest::rfc3339(end),
                "timeZone": "UTC",
                "items": ids.iter().map(|id| serde_json::json!({ "id": id })).collect::<Vec<_>>(),
            });
            let body = Body {
                content_type: HeaderValue::from_static("application/json"),
                bytes: serde_json::to_vec(&body).map_err(|_| ProviderError::Protocol)?,
            };
            let answer: Answer =
                rest::call_json(fetcher, Method::POST, &url, access_token, &[], Some(body)).await?;
            for (id, periods) in ids.iter().zip(busy.iter_mut()) {
                let calendar = answer.calendars.get(id).ok_or(ProviderError::Protocol)?;
                if let Some(failure) = calendar.errors.first() {
                    return Err(match failure.reason.as_str() {
                        "notFound" => ProviderError::NotFound,
                        "internalError" | "backendError" => ProviderError::Unavailable,
                        _ => ProviderError::Protocol,
                    });
                }
                for period in &calendar.busy {
                    let start =
                        rest::parse_rfc3339(&period.start).ok_or(ProviderError::Protocol)?;
                    let end = rest::parse_rfc3339(&period.end).ok_or(ProviderError::Protocol)?;
                    if end > start {
                        periods.push((start, end));
                    }
                }
            }
        }
        for (id, periods) in ids.iter().zip(busy) {
            occurrences.extend(
                rest::merge(periods)
                    .into_iter()
                    .map(|(start, end)| Occurrence {
                        source_id: format!("fb/{id}/{start}/{end}"),
                        start,
                        end,
                        summary: None,
                    }),
            );
        }
    }
    Ok(occurrences)
}

/// One calendar's events over `window`: a complete listing ([`SyncFrom::Full`],
/// only what blocks, as upserts) or the changes since a sync token (what
/// stopped blocking, or moved out of the window, as removals). All-day events
/// span local midnights in `zone`; summaries are kept only when
/// `keep_summary`.
// The signature is the one the sync is written against: every input is a
// distinct decision of the caller.
#[allow(clippy::too_many_arguments)]
pub async fn events(
    fetcher: &Fetcher,
    api: &Url,
    access_token: &str,
    calendar_id: &str,
    from: SyncFrom<'_>,
    window: Window,
    zone: Tz,
    keep_summary: bool,
) -> Result<EventDelta, ProviderError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Page {
        #[serde(default)]
        items: Vec<Item>,
        #[serde(default)]
        next_page_token: Option<String>,
        #[serde(default)]
        next_sync_token: Option<String>,
    }

    let base = rest::endpoint(api, &["calendars", calendar_id, "events"])?;
    let full = from == SyncFrom::Full;
    let mut changes = Vec::new();
    let mut page_token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut url = base.clone();
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("singleEvents", "true");
            query.append_pair("maxResults", PAGE_SIZE);
            match from {
                SyncFrom::Full => {
                    query.append_pair("timeMin", &rest::rfc3339(window.start));
                    query.append_pair("timeMax", &rest::rfc3339(window.end));
                }
                SyncFrom::Token(token) => {
                    query.append_pair("syncToken", token);
                }
            }
            if let Some(token) = &page_token {
                query.append_pair("pageToken", token);
            }
        }
        let page: Page =
            rest::call_json(fetcher, Method::GET, &url, access_token, &[], None).await?;
        for item in page.items {
            let change = match item.verdict(zone, keep_summary)? {
                Verdict::Busy(occurrence) if window.overlaps(occurrence.start, occurrence.end) => {
                    Some(Change::Upsert(occurrence))
                }
                Verdict::Busy(Occurrence { source_id, .. }) | Verdict::Free(source_id) => {
                    (!full).then_some(Change::Remove { source_id })
                }
            };
            changes.extend(change);
        }
        if changes.len() > MAX_CHANGES {
            return Err(ProviderError::Protocol);
        }
        match page.next_page_token.filter(|token| !token.is_empty()) {
            Some(token) => page_token = Some(token),
            None => {
                let next_token = page
                    .next_sync_token
                    .filter(|token| !token.is_empty())
                    .ok_or(ProviderError::Protocol)?;
                return Ok(EventDelta {
                    full,
                    changes,
                    next_token,
                });
            }
        }
    }
    Err(ProviderError::Protocol)
}

/// An event (or recurring instance) as `events.list` gives it; only the
/// fields that decide whether and when it blocks.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    #[serde(default)]
    id: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    transparency: Option<String>,
    #[serde(default)]
    event_type: Option<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    start: Option<Moment>,
    #[serde(default)]
    end: Option<Moment>,
    #[serde(default)]
    attendees: Vec<Attendee>,
}

/// `start` or `end`: a `date` for all-day events, a `dateTime` otherwise.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Moment {
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    date_time: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Attendee {
    #[serde(default, rename = "self")]
    is_self: bool,
    #[serde(default)]
    response_status: Option<String>,
}

impl Moment {
    fn seconds(&self, zone: Tz) -> Option<i64> {
        match (&self.date_time, &self.date) {
            (Some(date_time), _) => rest::parse_rfc3339(date_time),
            (None, Some(date)) => rest::local_midnight(rest::parse_date(date)?, zone),
            (None, None) => None,
        }
    }
}

impl Item {
    fn verdict(self, zone: Tz, keep_summary: bool) -> Result<Verdict, ProviderError> {
        if self.id.is_empty() {
            return Err(ProviderError::Protocol);
        }
        let declined = self.attendees.iter().any(|attendee| {
            attendee.is_self && attendee.response_status.as_deref() == Some("declined")
        });
        let free = self.status.as_deref() == Some("cancelled")
            || self.transparency.as_deref() == Some("transparent")
            || matches!(
                self.event_type.as_deref(),
                Some("workingLocation" | "birthday")
            )
            || declined;
        if free {
            return Ok(Verdict::Free(self.id));
        }
        let start = self.start.as_ref().and_then(|moment| moment.seconds(zone));
        let end = self.end.as_ref().and_then(|moment| moment.seconds(zone));
        let (Some(start), Some(end)) = (start, end) else {
            return Err(ProviderError::Protocol);
        };
        let summary = if keep_summary { self.summary } else { None };
        Ok(Verdict::timed(self.id, start, end, summary))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(json: serde_json::Value) -> Item {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn what_blocks_and_what_does_not() {
        let zone = chrono_tz::Europe::Berlin;
        let timed = serde_json::json!({
            "id": "a", "summary": "Dentist",
            "start": {"dateTime": "2026-03-02T09:00:00+01:00"},
            "end": {"dateTime": "2026-03-02T10:00:00+01:00"},
        });
        let Verdict::Busy(busy) = item(timed.clone()).verdict(zone, true).unwrap() else {
            panic!("a plain event blocks");
        };
        assert_eq!(
            (busy.start, busy.end, busy.summary.as_deref()),
            (1_772_438_400, 1_772_442_000, Some("Dentist"))
        );
        let Verdict::Busy(quiet) = item(timed.clone()).verdict(zone, false).unwrap() else {
            panic!("still blocks");
        };
        assert_eq!(quiet.summary, None);

        for (field, value) in [
            ("status", serde_json::json!("cancelled")),
            ("transparency", serde_json::json!("transparent")),
            ("eventType", serde_json::json!("workingLocation")),
            (
                "attendees",
                serde_json::json!([{"self": true, "responseStatus": "declined"}]),
            ),
        ] {
            let mut json = timed.clone();
            json[field] = value;
            assert_eq!(
                item(json).verdict(zone, false).unwrap(),
                Verdict::Free("a".into()),
                "{field}"
            );
        }
        let mut ooo = timed.clone();
        ooo["eventType"] = serde_json::json!("outOfOffice");
        ooo["attendees"] = serde_json::json!([{"self": false, "responseStatus": "declined"}]);
        assert!(matches!(
            item(ooo).verdict(zone, false),
            Ok(Verdict::Busy(_))
        ));
        // A cancelled instance in an incremental read carries no times.
        let gone = item(serde_json::json!({"id": "b", "status": "cancelled"}));
        assert_eq!(
            gone.verdict(zone, false).unwrap(),
            Verdict::Free("b".into())
        );
    }

    #[test]
    fn all_day_is_local_midnights_and_broken_items_are_refused() {
        let day = item(serde_json::json!({
            "id": "d", "start": {"date": "2026-07-01"}, "end": {"date": "2026-07-02"},
        }));
        let Verdict::Busy(day) = day.verdict(chrono_tz::America::New_York, false).unwrap() else {
            panic!("all-day blocks");
        };
        assert_eq!(rest::rfc3339(day.start), "2026-07-01T04:00:00Z");
        assert_eq!(day.end - day.start, 86_400);
        for broken in [
            serde_json::json!({"start": {"date": "2026-07-01"}, "end": {"date": "2026-07-02"}}),
            serde_json::json!({"id": "x", "start": {"date": "2026-02-30"}, "end": {"date": "2026-03-02"}}),
            serde_json::json!({"id": "x", "start": {"dateTime": "+275760-09-13T00:00:00Z"}, "end": {}}),
        ] {
            assert_eq!(
                item(broken).verdict(chrono_tz::UTC, false),
                Err(ProviderError::Protocol)
            );
        }
        let empty = item(serde_json::json!({
            "id": "z", "start": {"dateTime": "2026-03-02T09:00:00Z"}, "end": {"dateTime": "2026-03-02T09:00:00Z"},
        }));
        assert_eq!(
            empty.verdict(chrono_tz::UTC, false).unwrap(),
            Verdict::Free("z".into())
        );
    }
}
