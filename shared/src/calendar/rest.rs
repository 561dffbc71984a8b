//! The HTTP and time plumbing the two OAuth providers' clients
//! ([`super::google`], [`super::microsoft`]) share: bearer requests through
//! the outbound [`Fetcher`], JSON bodies, the mapping of statuses to
//! [`ProviderError`] classes, `Retry-After`, and the conversions between
//! Unix seconds and the providers' date formats. One place, so both
//! providers classify a 401 or a 429 the same way.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use http::header::{HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, Method, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

use super::ProviderError;
use crate::net::fetch::{Request, Response};
use crate::net::{FetchError, Fetcher, Target};

/// Most pages one listing follows before the answer is declared broken: a
/// server that hands out page tokens forever must not hold a sync.
pub(crate) const MAX_PAGES: usize = 200;

/// Most changes one listing collects (200 pages of 250 would be 50 000).
pub(crate) const MAX_CHANGES: usize = 100_000;

/// First and last second that format as a four-digit year, the range both
/// providers accept; windows are clamped into it.
const MIN_TS: i64 = -62_135_596_800; // 0001-01-01T00:00:00Z
const MAX_TS: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z

/// A request body and its content type.
pub(crate) struct Body {
    pub(crate) content_type: HeaderValue,
    pub(crate) bytes: Vec<u8>,
}

/// Sends `method url` with the bearer token and `extra` headers, and decodes
/// a 2xx answer as JSON; any other status becomes its [`ProviderError`].
pub(crate) async fn call_json<T: DeserializeOwned>(
    fetcher: &Fetcher,
    method: Method,
    url: &Url,
    access_token: &str,
    extra: &[(HeaderName, HeaderValue)],
    body: Option<Body>,
) -> Result<T, ProviderError> {
    let target =
        Target::parse(url.as_str()).map_err(|bad| ProviderError::Fetch(FetchError::from(bad)))?;
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    let mut bearer = HeaderValue::from_str(&format!("Bearer {access_token}"))
        .map_err(|_| ProviderError::GrantRevoked)?;
    bearer.set_sensitive(true);
    headers.insert(AUTHORIZATION, bearer);
    for (name, value) in extra {
        headers.append(name.clone(), value.clone());
    }
    let bytes = match body {
        Some(body) => {
            headers.insert(CONTENT_TYPE, body.content_type);
            body.bytes
        }
        None => Vec::new(),
    };
    let response = fetcher
        .send(Request {
            method,
            target,
            headers,
            body: bytes,
        })
        .await?;
    if !response.status.is_success() {
        return Err(error_for(&response));
    }
    serde_json::from_slice(&response.body).map_err(|_| ProviderError::Protocol)
}

/// The class of a non-2xx answer. A 401 means the grant is gone (callers
/// refresh tokens before they expire); a 403 is throttling only when the
/// body says so (Google's `rateLimitExceeded` and `userRateLimitExceeded`),
/// otherwise the grant no longer allows the call.
pub(crate) fn error_for(response: &Response) -> ProviderError {
    let retry_after_secs = retry_after(&response.headers, Utc::now().timestamp());
    match response.status {
        StatusCode::UNAUTHORIZED => ProviderError::GrantRevoked,
        StatusCode::FORBIDDEN if rate_limited(&response.body) => {
            ProviderError::Throttled { retry_after_secs }
        }
        StatusCode::FORBIDDEN => ProviderError::GrantRevoked,
        StatusCode::NOT_FOUND => ProviderError::NotFound,
        StatusCode::GONE => ProviderError::SyncStateExpired,
        StatusCode::TOO_MANY_REQUESTS => ProviderError::Throttled { retry_after_secs },
        StatusCode::SERVICE_UNAVAILABLE if retry_after_secs.is_some() => {
            ProviderError::Throttled { retry_after_secs }
        }
        status if status.is_server_error() => ProviderError::Unavailable,
        _ => ProviderError::Protocol,
    }
}

/// Whether a Google error body names a rate limit as its reason.
fn rate_limited(body: &[u8]) -> bool {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return false;
    };
    value
        .pointer("/error/errors")
        .and_then(|errors| errors.as_array())
        .is_some_and(|errors| {
            errors.iter().any(|error| {
                matches!(
                    error.get("reason").and_then(|reason| reason.as_str()),
                    Some("rateLimitExceeded" | "userRateLimitExceeded")
                )
            })
        })
}

/// `Retry-After` as seconds from `now`: either delay-seconds or an HTTP date
/// (RFC 9110 §10.2.3); a date in the past is zero.
pub(crate) fn retry_after(headers: &HeaderMap, now: i64) -> Option<u64> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds);
    }
    let date = DateTime::parse_from_rfc2822(value).ok()?;
    Some(u64::try_from(date.timestamp().saturating_sub(now)).unwrap_or(0))
}

/// `base` with `segments` appended, each percent-encoded as one segment
/// (Google calendar ids contain `@` and `#`, Graph ids `/`-free base64).
pub(crate) fn endpoint(base: &Url, segments: &[&str]) -> Result<Url, ProviderError> {
    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|_| ProviderError::Protocol)?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// Parses a link the provider handed back (a next page, a delta link) and
/// refuses it unless it points at the configured API's scheme, host and port:
/// the bearer token goes wherever the link says.
pub(crate) fn same_origin(api: &Url, link: &str) -> Result<Url, ProviderError> {
    let url = Url::parse(link).map_err(|_| ProviderError::Protocol)?;
    let same = url.scheme() == api.scheme()
        && url.host_str() == api.host_str()
        && url.port_or_known_default() == api.port_or_known_default();
    if same {
        Ok(url)
    } else {
        Err(ProviderError::Protocol)
    }
}

fn utc(secs: i64) -> DateTime<Utc> {
    // Clamped into the four-digit-year range, where from_timestamp succeeds.
    DateTime::from_timestamp(secs.clamp(MIN_TS, MAX_TS), 0).unwrap_or_default()
}

/// `2026-03-01T09:00:00Z`: RFC 3339 in UTC, clamped to years 1..=9999.
pub(crate) fn rfc3339(secs: i64) -> String {
    utc(secs).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `2026-03-01T09:00:00`: Graph's zone-less date-time, in UTC.
pub(crate) fn graph_date_time(secs: i64) -> String {
    utc(secs).format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// An RFC 3339 date-time with offset as Unix seconds.
pub(crate) fn parse_rfc3339(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|time| time.timestamp())
}

/// A Graph `dateTime` (`2026-03-01T09:00:00.0000000`, no offset) read in
/// UTC, with its date part.
pub(crate) fn parse_graph_utc(text: &str) -> Option<(i64, NaiveDate)> {
    let text = text.trim();
    let text = text.strip_suffix('Z').unwrap_or(text);
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    Some((naive.and_utc().timestamp(), naive.date()))
}

/// A `YYYY-MM-DD` date.
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// The first instant of `date` in `zone`: its midnight, or where a DST
/// change skips midnight, the first local time that exists that day.
pub(crate) fn local_midnight(date: NaiveDate, zone: Tz) -> Option<i64> {
    let midnight = date.and_hms_opt(0, 0, 0)?;
    (0..=3).find_map(|hours| {
        let local = midnight.checked_add_signed(chrono::Duration::hours(hours))?;
        zone.from_local_datetime(&local)
            .earliest()
            .map(|time| time.timestamp())
    })
}

/// Splits `[start, end)` into consecutive pieces of at most `span` seconds,
/// for APIs that refuse longer ranges.
pub(crate) fn chunks(start: i64, end: i64, span: i64) -> Vec<(i64, i64)> {
    let mut pieces = Vec::new();
    let mut from = start;
    while from < end && span > 0 {
        let to = from.saturating_add(span).min(end);
        pieces.push((from, to));
        from = to;
    }
    pieces
}

/// Sorts intervals and merges those that overlap or touch, so a busy stretch
/// split by chunking comes back whole.
pub(crate) fn merge(mut intervals: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    intervals.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(intervals.len());
    for (start, end) in intervals {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

/// Whether a provider's item blocks time.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// It does, over this occurrence.
    Busy(super::Occurrence),
    /// It does not (free, cancelled, declined, empty); its id, so an
    /// incremental read can remove what it blocked before.
    Free(String),
}

impl Verdict {
    /// A timed item: busy over `[start, end)`, free when that is empty.
    pub(super) fn timed(id: String, start: i64, end: i64, summary: Option<String>) -> Self {
        if end <= start {
            return Verdict::Free(id);
        }
        Verdict::Busy(super::Occurrence {
            source_id: id,
            start,
            end,
            summary,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static(" 120 "));
        assert_eq!(retry_after(&headers, 0), Some(120));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        let date = 1_445_412_480;
        assert_eq!(retry_after(&headers, date - 30), Some(30));
        assert_eq!(retry_after(&headers, date + 30), Some(0));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers, 0), None);
        assert_eq!(retry_after(&HeaderMap::new(), 0), None);
    }

    #[test]
    fn timestamps_at_the_edges_format_without_panicking() {
        assert_eq!(rfc3339(i64::MAX), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339(i64::MIN), "0001-01-01T00:00:00Z");
        assert_eq!(graph_date_time(0), "1970-01-01T00:00:00");
        assert_eq!(chunks(0, i64::MAX, i64::MAX).len(), 1);
        assert_eq!(chunks(0, 10, 4), vec![(0, 4), (4, 8), (8, 10)]);
        assert!(chunks(10, 0, 4).is_empty());
    }

    #[test]
    fn local_midnight_survives_a_midnight_dst_change() {
        // Santiago skipped 2022-09-11T00:00 local.
        let date = NaiveDate::from_ymd_opt(2022, 9, 11).unwrap();
        let first = local_midnight(date, chrono_tz::America::Santiago).unwrap();
        assert_eq!(rfc3339(first), "2022-09-11T04:00:00Z");
        let berlin = local_midnight(
            NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
            chrono_tz::Europe::Berlin,
        );
        assert_eq!(berlin.map(rfc3339).as_deref(), Some("2026-06-30T22:00:00Z"));
    }

    #[test]
    fn graph_times_and_links() {
        let (secs, date) = parse_graph_utc("2026-03-01T09:00:00.0000000").unwrap();
        assert_eq!(rfc3339(secs), "2026-03-01T09:00:00Z");
        assert_eq!(date, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
        assert!(parse_graph_utc("2026-13-01T09:00:00").is_none());
        let api = Url::parse("https://graph.example/v1.0").unwrap();
        assert!(same_origin(&api, "https://graph.example/v1.0/x?$deltatoken=1").is_ok());
        assert!(same_origin(&api, "https://graph.example:444/v1.0/x").is_err());
        assert!(same_origin(&api, "http://graph.example/v1.0/x").is_err());
        assert!(same_origin(&api, "https://evil.example/v1.0/x").is_err());
        let url = endpoint(&api, &["me", "calendars", "a/b#c@d"]).unwrap();
        assert_eq!(url.path(), "/v1.0/me/calendars/a%2Fb%23c@d");
    }

    fn answer(status: u16, retry: Option<&'static str>, body: &str) -> ProviderError {
        let mut headers = HeaderMap::new();
        if let Some(retry) = retry {
            headers.insert(RETRY_AFTER, HeaderValue::from_static(retry));
        }
        error_for(&Response {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: body.as_bytes().to_vec(),
            target: Target::parse("https://api.example/x").unwrap(),
        })
    }

    #[test]
    fn statuses_map_to_the_classes_a_sync_acts_on() {
        let limit = r#"{"error":{"code":403,"errors":[{"domain":"usageLimits","reason":"userRateLimitExceeded"}]}}"#;
        let denied = r#"{"error":{"code":403,"errors":[{"domain":"global","reason":"insufficientPermissions"}]}}"#;
        assert_eq!(
            answer(403, Some("5"), limit),
            ProviderError::Throttled {
                retry_after_secs: Some(5)
            }
        );
        assert_eq!(answer(403, None, denied), ProviderError::GrantRevoked);
        assert_eq!(answer(403, None, "not json"), ProviderError::GrantRevoked);
        assert_eq!(answer(401, None, ""), ProviderError::GrantRevoked);
        assert_eq!(answer(404, None, ""), ProviderError::NotFound);
        assert_eq!(answer(410, None, ""), ProviderError::SyncStateExpired);
        assert_eq!(
            answer(429, None, ""),
            ProviderError::Throttled {
                retry_after_secs: None
            }
        );
        assert_eq!(
            answer(503, Some("9"), ""),
            ProviderError::Throttled {
                retry_after_secs: Some(9)
            }
        );
        assert_eq!(answer(503, None, ""), ProviderError::Unavailable);
        assert_eq!(answer(500, None, ""), ProviderError::Unavailable);
        assert_eq!(answer(400, None, ""), ProviderError::Protocol);
    }

    #[test]
    fn merge_joins_touching_and_overlapping() {
        assert_eq!(
            merge(vec![(5, 8), (0, 2), (2, 3), (7, 10)]),
            vec![(0, 3), (5, 10)]
        );
    }
}
