//! Microsoft Graph v1.0 calendars (Microsoft 365 and Outlook), in the two
//! tiers a connection can use:
//!
//! - busy only: [`schedule`] (`POST /me/calendar/getSchedule` for the user's
//!   own address) gives busy stretches with their free/busy status;
//! - incremental: [`events`] (`GET /me/calendars/{id}/calendarView/delta`)
//!   gives the window's occurrences, then only what changed, through the
//!   `@odata.deltaLink` each round ends with.
//!
//! Decisions, against the Graph reference (event: delta, calendar:
//! getSchedule, delta query overview):
//!
//! - Every request asks `Prefer: outlook.timezone="UTC"`, so `dateTime`
//!   values are UTC wall times; an answer in another zone is refused as
//!   [`ProviderError::Protocol`] rather than guessed at.
//! - `Prefer: odata.maxpagesize=100`; `@odata.nextLink` is followed to the
//!   final `@odata.deltaLink`. Both links, and a stored delta link, must point
//!   at the configured API's scheme, host and port: the bearer token goes
//!   wherever they say.
//! - What blocks: everything except `isCancelled`, `showAs` `free` or
//!   `workingElsewhere` (Graph's own availability view counts working
//!   elsewhere as free), events the user declined, and series masters (the
//!   view lists their occurrences). In getSchedule, `busy`, `oof`,
//!   `tentative` and `unknown` block; `free` and `workingElsewhere` do not.
//! - `isAllDay` events: Graph gives their midnights in the requested zone
//!   (UTC); the date part is what the user meant, so they span local
//!   midnights in the staff member's zone.
//! - `@removed` entries become [`Change::Remove`]; Graph also reports events
//!   outside the window there, which is harmless.
//! - getSchedule refuses ranges over 62 days (`ErrorTimeIntervalTooBig`), so
//!   the window is asked for in pieces of [`SCHEDULE_SPAN_SECS`].

use chrono_tz::Tz;
use http::header::{HeaderName, HeaderValue};
use http::Method;
use serde::Deserialize;
use url::Url;

pub use super::google::EventDelta;
use super::rest::{self, Body, Verdict, MAX_CHANGES, MAX_PAGES};
use super::{CalendarInfo, Change, Occurrence, ProviderError, Window};
use crate::net::Fetcher;

/// The production API root; tests pass a fake's.
pub const GRAPH_API_BASE: &str = "https://graph.microsoft.com/v1.0";

/// Longest range one getSchedule call asks for: 60 days, inside Graph's
/// 62-day limit.
pub const SCHEDULE_SPAN_SECS: i64 = 60 * 86_400;

const PREFER: HeaderName = HeaderName::from_static("prefer");
const PREFER_UTC: HeaderValue = HeaderValue::from_static("outlook.timezone=\"UTC\"");
const PREFER_PAGE: HeaderValue = HeaderValue::from_static("odata.maxpagesize=100");

/// Where an [`events`] read starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeltaFrom<'a> {
    /// A new round over the window (first sync, or after
    /// [`ProviderError::SyncStateExpired`]).
    Full,
    /// The `@odata.deltaLink` the previous round ended with.
    Link(&'a str),
}

/// One page of a Graph collection.
#[derive(Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
    #[serde(default, rename = "@odata.nextLink")]
    next_link: Option<String>,
    #[serde(default, rename = "@odata.deltaLink")]
    delta_link: Option<String>,
}

/// A Graph `dateTimeTimeZone`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Moment {
    #[serde(default)]
    date_time: String,
    #[serde(default)]
    time_zone: Option<String>,
}

impl Moment {
    /// UTC seconds and the date part; only UTC answers are accepted (we asked
    /// for UTC).
    fn utc(&self) -> Option<(i64, chrono::NaiveDate)> {
        let zone = self.time_zone.as_deref().unwrap_or("UTC");
        if !(zone.eq_ignore_ascii_case("UTC") || zone.eq_ignore_ascii_case("Etc/UTC")) {
            return None;
        }
        rest::parse_graph_utc(&self.date_time)
    }
}

/// The calendars the account can select (`GET /me/calendars`, every page);
/// `isDefaultCalendar` marks the primary one.
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
        name: Option<String>,
        #[serde(default)]
        is_default_calendar: bool,
    }

    let mut url = rest::endpoint(api, &["me", "calendars"])?;
    let mut found = Vec::new();
    for _ in 0..MAX_PAGES {
        let page: Page<Entry> = rest::call_json(
            fetcher,
            Method::GET,
            &url,
            access_token,
            &[(PREFER, PREFER_PAGE)],
            None,
        )
        .await?;
        found.extend(page.value.into_iter().map(|entry| CalendarInfo {
            name: entry.name.unwrap_or_else(|| entry.id.clone()),
            id: entry.id,
            primary: entry.is_default_calendar,
        }));
        match page.next_link {
            Some(link) => url = rest::same_origin(api, &link)?,
            None => return Ok(found),
        }
    }
    Err(ProviderError::Protocol)
}

/// Busy stretches of the signed-in user over `window`, from getSchedule on
/// their own address (`GET /me`: `mail`, else `userPrincipalName`), merged.
pub async fn schedule(
    fetcher: &Fetcher,
    api: &Url,
    access_token: &str,
    window: Window,
) -> Result<Vec<Occurrence>, ProviderError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Me {
        #[serde(default)]
        mail: Option<String>,
        #[serde(default)]
        user_principal_name: Option<String>,
    }
    #[derive(Deserialize)]
    struct Item {
        #[serde(default)]
        status: String,
        start: Moment,
        end: Moment,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Information {
        #[serde(default)]
        schedule_items: Vec<Item>,
        #[serde(default)]
        error: Option<serde_json::Value>,
    }

    let me: Me = rest::call_json(
        fetcher,
        Method::GET,
        &rest::endpoint(api, &["me"])?,
        access_token,
        &[],
        None,
    )
    .await?;
    let address = me
        .mail
        .filter(|mail| !mail.is_empty())
        .or(me.user_principal_name)
        .filter(|address| !address.is_empty())
        .ok_or(ProviderError::Protocol)?;
    let url = rest::endpoint(api, &["me", "calendar", "getSchedule"])?;
    let mut busy = Vec::new();
    for (start, end) in rest::chunks(window.start, window.end, SCHEDULE_SPAN_SECS) {
        let body = serde_json::json!({
            "schedules": [address],
            "startTime": {"dateTime": rest::graph_date_time(start), "timeZone": "UTC"},
            "endTime": {"dateTime": rest::graph_date_time(end), "timeZone": "UTC"},
            "availabilityViewInterval": 60,
        });
        let body = Body {
            content_type: HeaderValue::from_static("application/json"),
            bytes: serde_json::to_vec(&body).map_err(|_| ProviderError::Protocol)?,
        };
        let page: Page<Information> = rest::call_json(
            fetcher,
            Method::POST,
            &url,
            access_token,
            &[(PREFER, PREFER_UTC)],
            Some(body),
        )
        .await?;
        let information = page
            .value
            .into_iter()
            .next()
            .ok_or(ProviderError::Protocol)?;
        if let Some(error) = information.error {
            let code = error
                .get("responseCode")
                .and_then(|code| code.as_str())
                .unwrap_or_default();
            return Err(if code.contains("NotFound") {
                ProviderError::NotFound
            } else {
                ProviderError::Protocol
            });
        }
        for item in information.schedule_items {
            let status = item.status.to_ascii_lowercase();
            if matches!(status.as_str(), "free" | "workingelsewhere") {
                continue;
            }
            let (start, _) = item.start.utc().ok_or(ProviderError::Protocol)?;
            let (end, _) = item.end.utc().ok_or(ProviderError::Protocol)?;
            if end > start {
                busy.push((start, end));
            }
        }
    }
    Ok(rest::merge(busy)
        .into_iter()
        .map(|(start, end)| Occurrence {
            source_id: format!("fb/{start}/{end}"),
            start,
            end,
            summary: None,
        })
        .collect())
}

/// One calendar's events over `window`: a new delta round
/// ([`DeltaFrom::Full`], only what blocks, as upserts) or the changes since a
/// stored delta link (what stopped blocking, was removed or moved out of the
/// window, as removals). `next_token` is the round's final delta link.
// The signature is the one the sync is written against: every input is a
// distinct decision of the caller.
#[allow(clippy::too_many_arguments)]
pub async fn events(
    fetcher: &Fetcher,
    api: &Url,
    access_token: &str,
    calendar_id: &str,
    from: DeltaFrom<'_>,
    window: Window,
    zone: Tz,
    keep_summary: bool,
) -> Result<EventDelta, ProviderError> {
    let full = from == DeltaFrom::Full;
    let mut url = match from {
        DeltaFrom::Full => {
            let mut url = rest::endpoint(
                api,
                &["me", "calendars", calendar_id, "calendarView", "delta"],
            )?;
            url.query_pairs_mut()
                .append_pair("startDateTime", &rest::rfc3339(window.start))
                .append_pair("endDateTime", &rest::rfc3339(window.end));
            url
        }
        DeltaFrom::Link(link) => rest::same_origin(api, link)?,
    };
    let mut changes = Vec::new();
    for _ in 0..MAX_PAGES {
        let page: Page<Item> = rest::call_json(
            fetcher,
            Method::GET,
            &url,
            access_token,
            &[(PREFER, PREFER_UTC), (PREFER, PREFER_PAGE)],
            None,
        )
        .await?;
        for item in page.value {
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
        match (page.next_link, page.delta_link) {
            (Some(next), _) => url = rest::same_origin(api, &next)?,
            (None, Some(delta)) => {
                // Checked now so that a link we would refuse next time is
                // refused before anything is stored.
                rest::same_origin(api, &delta)?;
                return Ok(EventDelta {
                    full,
                    changes,
                    next_token: delta,
                });
            }
            (None, None) => return Err(ProviderError::Protocol),
        }
    }
    Err(ProviderError::Protocol)
}

/// An event occurrence (or `@removed` entry) as calendarView delta gives it;
/// only the fields that decide whether and when it blocks.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    #[serde(default)]
    id: String,
    #[serde(default, rename = "@removed")]
    removed: Option<serde_json::Value>,
    #[serde(default)]
    is_cancelled: bool,
    #[serde(default)]
    is_all_day: bool,
    #[serde(default)]
    show_as: Option<String>,
    #[serde(default)]
    response_status: Option<Response>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    start: Option<Moment>,
    #[serde(default)]
    end: Option<Moment>,
}

#[derive(Debug, Default, Deserialize)]
struct Response {
    #[serde(default)]
    response: Option<String>,
}

impl Item {
    fn verdict(self, zone: Tz, keep_summary: bool) -> Result<Verdict, ProviderError> {
        if self.id.is_empty() {
            return Err(ProviderError::Protocol);
        }
        let declined = self
            .response_status
            .as_ref()
            .and_then(|status| status.response.as_deref())
            .is_some_and(|response| response.eq_ignore_ascii_case("declined"));
        let show_as = self.show_as.as_deref().unwrap_or("busy");
        let free = self.removed.is_some()
            || self.is_cancelled
            || declined
            || show_as.eq_ignore_ascii_case("free")
            || show_as.eq_ignore_ascii_case("workingElsewhere")
            || self.kind.as_deref() == Some("seriesMaster");
        if free {
            return Ok(Verdict::Free(self.id));
        }
        let start = self.start.as_ref().and_then(Moment::utc);
        let end = self.end.as_ref().and_then(Moment::utc);
        let (Some((start, start_date)), Some((end, end_date))) = (start, end) else {
            return Err(ProviderError::Protocol);
        };
        let (start, end) = if self.is_all_day {
            let start = rest::local_midnight(start_date, zone).ok_or(ProviderError::Protocol)?;
            let end = rest::local_midnight(end_date, zone).ok_or(ProviderError::Protocol)?;
            (start, end)
        } else {
            (start, end)
        };
        let summary = if keep_summary { self.subject } else { None };
        Ok(Verdict::timed(self.id, start, end, summary))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(json: serde_json::Value) -> Item {
        serde_json::from_value(json).unwrap()
    }

    fn meeting() -> serde_json::Value {
        serde_json::json!({
            "id": "AAMk=", "subject": "Review", "showAs": "busy", "type": "singleInstance",
            "responseStatus": {"response": "accepted"},
            "start": {"dateTime": "2026-03-02T09:00:00.0000000", "timeZone": "UTC"},
            "end": {"dateTime": "2026-03-02T10:00:00.0000000", "timeZone": "UTC"},
        })
    }

    #[test]
    fn what_blocks_and_what_does_not() {
        let zone = chrono_tz::Europe::Berlin;
        let Verdict::Busy(busy) = item(meeting()).verdict(zone, true).unwrap() else {
            panic!("a meeting blocks");
        };
        assert_eq!(rest::rfc3339(busy.start), "2026-03-02T09:00:00Z");
        assert_eq!(busy.summary.as_deref(), Some("Review"));
        for (field, value) in [
            ("isCancelled", serde_json::json!(true)),
            ("showAs", serde_json::json!("free")),
            ("showAs", serde_json::json!("workingElsewhere")),
            (
                "responseStatus",
                serde_json::json!({"response": "declined"}),
            ),
            ("type", serde_json::json!("seriesMaster")),
            ("@removed", serde_json::json!({"reason": "deleted"})),
        ] {
            let mut json = meeting();
            json[field] = value;
            assert_eq!(
                item(json).verdict(zone, false).unwrap(),
                Verdict::Free("AAMk=".into()),
                "{field}"
            );
        }
        for (field, value) in [("showAs", "tentative"), ("showAs", "oof")] {
            let mut json = meeting();
            json[field] = serde_json::json!(value);
            assert!(matches!(
                item(json).verdict(zone, false),
                Ok(Verdict::Busy(_))
            ));
        }
        let removed = item(serde_json::json!({"id": "x", "@removed": {"reason": "deleted"}}));
        assert_eq!(
            removed.verdict(zone, false).unwrap(),
            Verdict::Free("x".into())
        );
    }

    #[test]
    fn all_day_uses_the_dates_and_other_zones_are_refused() {
        let mut json = meeting();
        json["isAllDay"] = serde_json::json!(true);
        json["start"]["dateTime"] = serde_json::json!("2026-07-01T00:00:00.0000000");
        json["end"]["dateTime"] = serde_json::json!("2026-07-03T00:00:00.0000000");
        let Verdict::Busy(day) = item(json).verdict(chrono_tz::Asia::Tokyo, false).unwrap() else {
            panic!("all-day blocks");
        };
        assert_eq!(rest::rfc3339(day.start), "2026-06-30T15:00:00Z");
        assert_eq!(day.end - day.start, 2 * 86_400);
        let mut pacific = meeting();
        pacific["start"]["timeZone"] = serde_json::json!("Pacific Standard Time");
        assert_eq!(
            item(pacific).verdict(chrono_tz::UTC, false),
            Err(ProviderError::Protocol)
        );
        let mut garbage = meeting();
        garbage["end"]["dateTime"] = serde_json::json!("99999-01-01T00:00:00");
        assert_eq!(
            item(garbage).verdict(chrono_tz::UTC, false),
            Err(ProviderError::Protocol)
        );
    }
}
