//! See the module list in [`super`].
//!
//! An ICS feed is a secret URL (`webcal://` links become `https://` in
//! [`Target::parse`]) polled with a conditional `GET`: an unchanged feed
//! answers `304` and costs neither parsing nor writes. Every request goes
//! through the [`Fetcher`], so redirects, addresses, timeouts and the body
//! cap are checked there; this module decides what each answer means. The
//! URL is never logged.

use http::header::{
    HeaderMap, HeaderValue, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER,
};
use http::StatusCode;

use super::ics::{self, IcsOptions};
use super::{Occurrence, ProviderError};
use crate::net::{Fetcher, Target};

/// What a feed answered, as the media types it is served with in the wild:
/// `text/calendar` first, but plain text and octet streams are common.
const ACCEPT_CALENDAR: HeaderValue =
    HeaderValue::from_static("text/calendar, text/plain;q=0.5, */*;q=0.1");

/// Longest validator kept: they are stored with the connection.
const MAX_VALIDATOR_LEN: usize = 512;

/// What the feed said about the version it sent, sent back on the next poll
/// so the server can answer `304 Not Modified`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeedValidators {
    /// The `ETag`, sent back as `If-None-Match`.
    pub etag: Option<String>,
    /// The `Last-Modified`, sent back as `If-Modified-Since`.
    pub last_modified: Option<String>,
}

/// The outcome of one poll.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeedResult {
    /// The feed is unchanged since the validators were taken: keep what is
    /// stored.
    NotModified,
    /// The feed was read.
    Fetched {
        /// Its busy stretches within the window.
        occurrences: Vec<Occurrence>,
        /// What to send on the next poll.
        validators: FeedValidators,
    },
}

/// Polls the feed at `url`, conditionally when `validators` are given.
///
/// A `200` whose body is not an iCalendar text (a login page, an error page
/// served with `200`) is [`ProviderError::Protocol`] whatever its content
/// type says; the content type itself is not trusted either way. `401` and
/// `403` mean the secret URL was revoked ([`ProviderError::GrantRevoked`]),
/// `404` and `410` that the feed is gone ([`ProviderError::NotFound`]).
pub async fn fetch_feed(
    fetcher: &Fetcher,
    url: &Target,
    options: &IcsOptions<'_>,
    validators: Option<&FeedValidators>,
) -> Result<FeedResult, ProviderError> {
    let mut request = crate::net::fetch::Request::get(url.clone(), ACCEPT_CALENDAR);
    if let Some(validators) = validators {
        conditional_headers(&mut request.headers, validators);
    }
    let response = fetcher.send(request).await?;
    match response.status {
        StatusCode::OK => {}
        StatusCode::NOT_MODIFIED if validators.is_some() => return Ok(FeedResult::NotModified),
        StatusCode::GONE => return Err(ProviderError::NotFound),
        status => return Err(http_failure(status, &response.headers)),
    }
    let text = String::from_utf8_lossy(&response.body);
    let occurrences = ics::busy_occurrences(&text, options).map_err(|_| ProviderError::Protocol)?;
    tracing::debug!(occurrences = occurrences.len(), "feed read");
    Ok(FeedResult::Fetched {
        occurrences,
        validators: FeedValidators {
            etag: validator(&response.headers, ETAG),
            last_modified: validator(&response.headers, LAST_MODIFIED),
        },
    })
}

/// `If-None-Match` and `If-Modified-Since` from stored validators; a value
/// that is not a valid header (stored by an older version, or corrupted) is
/// left out, which only costs a full read.
fn conditional_headers(headers: &mut HeaderMap, validators: &FeedValidators) {
    let pairs = [
        (IF_NONE_MATCH, validators.etag.as_deref()),
        (IF_MODIFIED_SINCE, validators.last_modified.as_deref()),
    ];
    for (name, value) in pairs {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(name, value);
        }
    }
}

/// A response header worth storing as a validator: visible ASCII, short.
fn validator(headers: &HeaderMap, name: http::header::HeaderName) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    (!value.is_empty() && value.len() <= MAX_VALIDATOR_LEN).then(|| value.to_owned())
}

/// The error class of a non-success status, shared by the feed and CalDAV
/// clients: `401`/`403` revoked, `404` gone, `429` (and `503` with
/// `Retry-After`) throttled, other `5xx` unavailable, anything else a
/// protocol breach.
pub(crate) fn http_failure(status: StatusCode, headers: &HeaderMap) -> ProviderError {
    let retry_after = headers
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    match status.as_u16() {
        401 | 403 => ProviderError::GrantRevoked,
        404 => ProviderError::NotFound,
        429 => ProviderError::Throttled {
            retry_after_secs: retry_after,
        },
        503 if headers.contains_key(RETRY_AFTER) => ProviderError::Throttled {
            retry_after_secs: retry_after,
        },
        500..=599 => ProviderError::Unavailable,
        _ => ProviderError::Protocol,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_the_classes_a_sync_acts_on() {
        let none = HeaderMap::new();
        let mut later = HeaderMap::new();
        later.insert(RETRY_AFTER, HeaderValue::from_static("120"));
        let mut dated = HeaderMap::new();
        dated.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2026 07:28:00 GMT"),
        );
        let cases = [
            (401, &none, ProviderError::GrantRevoked),
            (403, &none, ProviderError::GrantRevoked),
            (404, &none, ProviderError::NotFound),
            (
                429,
                &none,
                ProviderError::Throttled {
                    retry_after_secs: None,
                },
            ),
            (
                429,
                &later,
                ProviderError::Throttled {
                    retry_after_secs: Some(120),
                },
            ),
            (
                503,
                &dated,
                ProviderError::Throttled {
                    retry_after_secs: None,
                },
            ),
            (503, &none, ProviderError::Unavailable),
            (500, &none, ProviderError::Unavailable),
            (302, &none, ProviderError::Protocol),
            (418, &none, ProviderError::Protocol),
        ];
        for (status, headers, class) in cases {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT);
            assert_eq!(http_failure(status, headers), class, "{status}");
        }
    }

    #[test]
    fn unusable_validators_are_left_out_rather_than_failing() {
        let mut headers = HeaderMap::new();
        conditional_headers(
            &mut headers,
            &FeedValidators {
                etag: Some("\"abc\"\n".to_owned()),
                last_modified: Some("Tue, 03 Nov 2026 10:00:00 GMT".to_owned()),
            },
        );
        assert!(!headers.contains_key(IF_NONE_MATCH));
        assert_eq!(
            headers.get(IF_MODIFIED_SINCE).and_then(|v| v.to_str().ok()),
            Some("Tue, 03 Nov 2026 10:00:00 GMT")
        );
        let mut long = HeaderMap::new();
        long.insert(
            ETAG,
            HeaderValue::from_str(&"a".repeat(MAX_VALIDATOR_LEN + 1)).unwrap_or(ACCEPT_CALENDAR),
        );
        assert_eq!(validator(&long, ETAG), None);
    }
}
