//! See the module list in [`super`].
//!
//! CalDAV (RFC 4791) with HTTP Basic credentials (an app-specific password
//! for iCloud): discovery of the account's calendars (RFC 6764 bootstrap,
//! `current-user-principal`, `calendar-home-set`, the home's listing), and
//! busy time over a window, by free-busy REPORT where the server offers it
//! and by a time-range calendar-query otherwise.
//!
//! Principal, home and calendar URLs may be absolute on another host:
//! iCloud's `caldav.icloud.com` answers with a partition host
//! (`pNN-caldav.icloud.com`). They are followed, credentials included,
//! because the server the staff member named chose them; every request
//! still goes through the [`Fetcher`], which checks each host's addresses.
//! Nothing here logs a URL, a user name or event text.

mod multistatus;

use base64::Engine;
use http::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, Method, StatusCode};
use url::Url;

use super::feed::http_failure;
use super::ics::{self, IcsOptions};
use super::{CalendarInfo, Occurrence, ProviderError, Window};
use crate::net::fetch::{Request, Response};
use crate::net::{Fetcher, Target};
use multistatus::DavResponse;

/// Most calendars listed from one home; the rest are not offered.
const MAX_CALENDARS: usize = 200;

/// Most occurrences one calendar-query may yield, all resources together.
const MAX_OCCURRENCES: usize = 50_000;

/// A CalDAV account: where it is and how to sign in.
#[derive(Clone, Copy)]
pub struct CalDavAccount<'a> {
    /// The server URL the staff member gave (e.g. `https://caldav.icloud.com/`).
    pub server: &'a Target,
    /// The sign-in name (often an email address).
    pub username: &'a str,
    /// The password; for iCloud an app-specific password.
    pub password: &'a str,
}

impl std::fmt::Debug for CalDavAccount<'_> {
    /// The host only: the user name is an address and the password a secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CalDavAccount")
            .field("host", &self.server.host())
            .finish_non_exhaustive()
    }
}

/// How busy time was read from a calendar; the caller remembers the one that
/// worked so the next sync does not probe again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusyMethod {
    /// RFC 4791 §7.10 `free-busy-query`: the server computes busy periods;
    /// no event data crosses the wire.
    FreeBusyReport,
    /// A `calendar-query` with a time-range filter: the events themselves,
    /// expanded here. Needed for subjects, and for servers without the
    /// free-busy REPORT.
    CalendarQuery,
}

/// The calendars of `account` that hold events.
///
/// Asks the server URL for `current-user-principal`, falling back to
/// `/.well-known/caldav` on the same host (RFC 6764) when it names none;
/// then the principal's `calendar-home-set`; then lists the home (Depth 1)
/// and keeps collections of type calendar that accept `VEVENT`. Each
/// [`CalendarInfo::id`] is the collection's absolute URL. The first
/// calendar listed is marked primary (CalDAV has no such notion), so a new
/// connection selects exactly one calendar by default.
///
/// Wrong credentials (`401`) and a refusal during discovery (`403`) are
/// [`ProviderError::GrantRevoked`].
pub async fn discover(
    fetcher: &Fetcher,
    account: &CalDavAccount<'_>,
) -> Result<Vec<CalendarInfo>, ProviderError> {
    let principal = principal(fetcher, account).await?;
    let (found, base) = propfind(fetcher, account, &principal, "0", HOME_SET).await?;
    let home = found
        .iter()
        .flat_map(|response| response.calendar_homes.iter())
        .find_map(|href| resolve(&base, href))
        .ok_or(ProviderError::Protocol)?;
    let (listing, base) = propfind(fetcher, account, &home, "1", CALENDARS).await?;
    let mut calendars: Vec<CalendarInfo> = listing
        .into_iter()
        .filter(|response| response.is_calendar && holds_events(response))
        .filter_map(|response| {
            let url = resolve(&base, &response.href)?;
            let name = response
                .display_name
                .clone()
                .unwrap_or_else(|| last_segment(url.url()));
            Some(CalendarInfo {
                id: url.url().as_str().to_owned(),
                name,
                primary: false,
            })
        })
        .take(MAX_CALENDARS)
        .collect();
    if let Some(first) = calendars.first_mut() {
        first.primary = true;
    }
    tracing::debug!(calendars = calendars.len(), "caldav discovery done");
    Ok(calendars)
}

/// The busy time of calendar `calendar_id` (an id [`discover`] returned: an
/// absolute URL, or a path on the account's server) within
/// `options.window`, and the method that produced it.
///
/// With `prefer` [`BusyMethod::FreeBusyReport`] and no subjects wanted, a
/// free-busy REPORT is tried first; a server that refuses it (`400`, `403`,
/// `405`, `415`, `501`) or answers something other than a `VFREEBUSY` gets a
/// calendar-query instead, and [`BusyMethod::CalendarQuery`] is returned so
/// the caller stops trying. Subjects need the events, so `keep_summary`
/// always means a calendar-query.
pub async fn busy(
    fetcher: &Fetcher,
    account: &CalDavAccount<'_>,
    calendar_id: &str,
    prefer: BusyMethod,
    options: &IcsOptions<'_>,
) -> Result<(Vec<Occurrence>, BusyMethod), ProviderError> {
    let calendar = resolve(account.server, calendar_id).ok_or(ProviderError::NotFound)?;
    let Some(range) = TimeRange::of(options.window) else {
        return Ok((Vec::new(), prefer));
    };
    if prefer == BusyMethod::FreeBusyReport && !options.keep_summary {
        if let Some(occurrences) =
            free_busy_report(fetcher, account, &calendar, &range, options).await?
        {
            return Ok((occurrences, BusyMethod::FreeBusyReport));
        }
        tracing::debug!("caldav free-busy REPORT not supported; using calendar-query");
    }
    let occurrences = calendar_query(fetcher, account, &calendar, &range, options).await?;
    Ok((occurrences, BusyMethod::CalendarQuery))
}

const PRINCIPAL: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>"#;

const HOME_SET: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><c:calendar-home-set/></d:prop></d:propfind>"#;

const CALENDARS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:resourcetype/><d:displayname/><c:supported-calendar-component-set/></d:prop></d:propfind>"#;

/// The principal URL: from the server URL, else from `/.well-known/caldav`.
async fn principal(
    fetcher: &Fetcher,
    account: &CalDavAccount<'_>,
) -> Result<Target, ProviderError> {
    // Wrong credentials are wrong everywhere (`send` turns 401 into
    // GrantRevoked); any other failure here (404, 405, or 403 on a path the
    // account may not read) may be fixed by the well-known URL.
    let named = send(fetcher, account, "PROPFIND", account.server, "0", PRINCIPAL).await?;
    if named.status == StatusCode::MULTI_STATUS {
        if let Ok(found) = multistatus::parse(&named.body) {
            if let Some(principal) = principal_in(&found, &named.target) {
                return Ok(principal);
            }
        }
    }
    let well_known =
        resolve(account.server, "/.well-known/caldav").ok_or(ProviderError::Protocol)?;
    let (found, base) = propfind(fetcher, account, &well_known, "0", PRINCIPAL).await?;
    principal_in(&found, &base).ok_or(ProviderError::Protocol)
}

fn principal_in(found: &[DavResponse], base: &Target) -> Option<Target> {
    found
        .iter()
        .filter_map(|response| response.principal.as_deref())
        .find_map(|href| resolve(base, href))
}

/// A `PROPFIND` of `target` at `depth`: the parsed responses, and the URL
/// that answered (after redirects), against which their hrefs resolve.
async fn propfind(
    fetcher: &Fetcher,
    account: &CalDavAccount<'_>,
    target: &Target,
    depth: &'static str,
    body: &'static str,
) -> Result<(Vec<DavResponse>, Target), ProviderError> {
    let response = send(fetcher, account, "PROPFIND", target, depth, body).await?;
    if response.status != StatusCode::MULTI_STATUS {
        return Err(discovery_failure(&response));
    }
    let found = multistatus::parse(&response.body).map_err(|_| ProviderError::Protocol)?;
    Ok((found, response.target))
}

/// Discovery's reading of a failed status: `403` means the account may not
/// read its own principal or home, so the grant is unusable.
fn discovery_failure(response: &Response) -> ProviderError {
    match response.status {
        StatusCode::FORBIDDEN => ProviderError::GrantRevoked,
        status if status.is_success() => ProviderError::Protocol,
        status => http_failure(status, &response.headers),
    }
}

/// The free-busy REPORT: `Ok(None)` when the server does not offer it.
async fn free_busy_report(
    fetcher: &Fetcher,
    account: &CalDavAccount<'_>,
    calendar: &Target,
    range: &TimeRange,
    options: &IcsOptions<'_>,
) -> Result<Option<Vec<Occurrence>>, ProviderError> {
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<c:free-busy-query xmlns:c="urn:ietf:params:xml:ns:caldav"><c:time-range start="{}" end="{}"/></c:free-busy-query>"#,
        range.start, range.end
    );
    let response = send(fetcher, account, "REPORT", calendar, "1", &body).await?;
    match response.status.as_u16() {
        200 => {}
        400 | 403 | 405 | 415 | 501 => return Ok(None),
        _ => return Err(http_failure(response.status, &response.headers)),
    }
    let text = String::from_utf8_lossy(&response.body);
    if !is_free_busy(&text) {
        return Ok(None);
    }
    ics::busy_occurrences(&text, options)
        .map(Some)
        .map_err(|_| ProviderError::Protocol)
}

/// Whether `text` is an iCalendar object with a `VFREEBUSY` component.
fn is_free_busy(text: &str) -> bool {
    let mut lines = text
        .trim_start_matches('\u{feff}')
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty());
    lines
        .next()
        .is_some_and(|first| first.eq_ignore_ascii_case("BEGIN:VCALENDAR"))
        && lines.any(|line| line.eq_ignore_ascii_case("BEGIN:VFREEBUSY"))
}

/// The calendar-query REPORT: every event resource overlapping the range,
/// each expanded by [`ics::busy_occurrences`].
async fn calendar_query(
    fetcher: &Fetcher,
    account: &CalDavAccount<'_>,
    calendar: &Target,
    range: &TimeRange,
    options: &IcsOptions<'_>,
) -> Result<Vec<Occurrence>, ProviderError> {
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"><c:time-range start="{}" end="{}"/></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>"#,
        range.start, range.end
    );
    let response = send(fetcher, account, "REPORT", calendar, "1", &body).await?;
    if response.status != StatusCode::MULTI_STATUS {
        return Err(if response.status.is_success() {
            ProviderError::Protocol
        } else {
            http_failure(response.status, &response.headers)
        });
    }
    let found = multistatus::parse(&response.body).map_err(|_| ProviderError::Protocol)?;
    let mut occurrences = Vec::new();
    for data in found.iter().filter_map(|r| r.calendar_data.as_deref()) {
        let mut more = ics::busy_occurrences(data, options).map_err(|_| ProviderError::Protocol)?;
        if occurrences.len().saturating_add(more.len()) > MAX_OCCURRENCES {
            return Err(ProviderError::Protocol);
        }
        occurrences.append(&mut more);
    }
    Ok(occurrences)
}

/// One authenticated WebDAV request with an XML body.
async fn send(
    fetcher: &Fetcher,
    account: &CalDavAccount<'_>,
    method: &'static str,
    target: &Target,
    depth: &'static str,
    body: &str,
) -> Result<Response, ProviderError> {
    let method = Method::from_bytes(method.as_bytes()).map_err(|_| ProviderError::Protocol)?;
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, basic(account)?);
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/xml; charset=utf-8"),
    );
    headers.insert("depth", HeaderValue::from_static(depth));
    let response = fetcher
        .send(Request {
            method,
            target: target.clone(),
            headers,
            body: body.as_bytes().to_vec(),
        })
        .await?;
    if response.status == StatusCode::UNAUTHORIZED {
        return Err(ProviderError::GrantRevoked);
    }
    Ok(response)
}

/// `Authorization: Basic …`, marked sensitive so it is never printed.
fn basic(account: &CalDavAccount<'_>) -> Result<HeaderValue, ProviderError> {
    let token = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", account.username, account.password));
    let mut value = HeaderValue::from_str(&format!("Basic {token}"))
        .map_err(|_| ProviderError::GrantRevoked)?;
    value.set_sensitive(true);
    Ok(value)
}

/// `href` (a path or an absolute URL) resolved against `base` and checked as
/// a [`Target`]; `None` when it is not an acceptable URL.
fn resolve(base: &Target, href: &str) -> Option<Target> {
    let joined = base.url().join(href.trim()).ok()?;
    Target::parse(joined.as_str()).ok()
}

/// A name for a calendar without `displayname`: its last path segment,
/// percent-decoded where that gives text.
fn last_segment(url: &Url) -> String {
    let segment = url
        .path_segments()
        .and_then(|mut segments| segments.rfind(|segment| !segment.is_empty()))
        .unwrap_or_default();
    url::form_urlencoded::parse(format!("x={segment}").as_bytes())
        .next()
        .map(|(_, decoded)| decoded.into_owned())
        .unwrap_or_else(|| segment.to_owned())
}

/// Whether a calendar accepts events (no component set means all do).
fn holds_events(response: &DavResponse) -> bool {
    response
        .components
        .as_ref()
        .is_none_or(|components| components.iter().any(|c| c == "VEVENT"))
}

/// A window as CalDAV `time-range` attributes (`YYYYMMDDTHHMMSSZ`), clamped
/// to years 1..=9999 that iCalendar can express.
#[derive(Debug, PartialEq, Eq)]
struct TimeRange {
    start: String,
    end: String,
}

impl TimeRange {
    /// `None` when the clamped window is empty.
    fn of(window: Window) -> Option<Self> {
        // 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
        const FIRST: i64 = -62_135_596_800;
        const LAST: i64 = 253_402_300_799;
        let start = window.start.clamp(FIRST, LAST);
        let end = window.end.clamp(FIRST, LAST);
        if start >= end {
            return None;
        }
        let format = |secs: i64| {
            chrono::DateTime::from_timestamp(secs, 0)
                .map(|time| time.format("%Y%m%dT%H%M%SZ").to_string())
        };
        Some(Self {
            start: format(start)?,
            end: format(end)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Target {
        Target::parse(url).expect("target")
    }

    #[test]
    fn hrefs_resolve_as_paths_or_absolute_urls_on_other_hosts() {
        let base = target("https://caldav.icloud.com/");
        let cases = [
            (
                "/123/principal/",
                Some("https://caldav.icloud.com/123/principal/"),
            ),
            (
                "https://p42-caldav.icloud.com:443/123/calendars/",
                Some("https://p42-caldav.icloud.com/123/calendars/"),
            ),
            ("  home/  ", Some("https://caldav.icloud.com/home/")),
            ("http://p42-caldav.icloud.com/", None),
            ("https://169.254.169.254/latest/", None),
            ("https://user:pw@caldav.icloud.com/", None),
        ];
        for (href, expected) in cases {
            let resolved = resolve(&base, href).map(|t| t.url().as_str().to_owned());
            assert_eq!(resolved.as_deref(), expected, "{href}");
        }
    }

    #[test]
    fn windows_become_time_ranges_even_at_the_edges() {
        let range = TimeRange::of(Window {
            start: 1_795_000_000,
            end: 1_795_003_600,
        });
        assert_eq!(
            range,
            Some(TimeRange {
                start: "20261118T110640Z".into(),
                end: "20261118T120640Z".into(),
            })
        );
        let all = TimeRange::of(Window {
            start: i64::MIN,
            end: i64::MAX,
        });
        assert_eq!(
            all,
            Some(TimeRange {
                start: "00010101T000000Z".into(),
                end: "99991231T235959Z".into(),
            })
        );
        for (start, end) in [(10, 10), (20, 10), (i64::MAX - 1, i64::MAX)] {
            assert_eq!(TimeRange::of(Window { start, end }), None);
        }
    }

    #[test]
    fn only_a_vcalendar_with_vfreebusy_counts_as_a_free_busy_answer() {
        assert!(is_free_busy(
            "\u{feff}BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VFREEBUSY\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n"
        ));
        for text in [
            "",
            "<d:multistatus xmlns:d=\"DAV:\"/>",
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "X:BEGIN:VCALENDAR\nBEGIN:VFREEBUSY",
        ] {
            assert!(!is_free_busy(text), "{text}");
        }
    }

    #[test]
    fn unnamed_calendars_take_their_last_segment() {
        let url = target("https://dav.example.com/alice%40example.com/work%20cal/");
        assert_eq!(last_segment(url.url()), "work cal");
        let root = target("https://dav.example.com/");
        assert_eq!(last_segment(root.url()), "");
    }

    #[test]
    fn the_account_debug_shows_the_host_only() {
        let server = target("https://dav.example.com/");
        let account = CalDavAccount {
            server: &server,
            username: "alice@example.com",
            password: "app-password",
        };
        let shown = format!("{account:?}");
        assert!(shown.contains("dav.example.com"), "{shown}");
        assert!(
            !shown.contains("alice") && !shown.contains("app-password"),
            "{shown}"
        );
    }
}
