//! ICS feeds against a feed server (infra/test-peers/feed_server.py) that
//! misbehaves on request: conditional GET, refused redirects, slow and huge
//! answers, login pages, error statuses.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use bookwarden_shared::calendar::feed::{self, FeedResult, FeedValidators};
use bookwarden_shared::calendar::ics::IcsOptions;
use bookwarden_shared::calendar::{ProviderError, Window};
use bookwarden_shared::net::address::Refused;
use bookwarden_shared::net::fetch::Request;
use bookwarden_shared::net::target::BadTarget;
use bookwarden_shared::net::{FetchError, FetchPolicy, Fetcher, Target};
use bookwarden_tests::peers::{test_fetcher, test_tls_dir, Peer};
use http::header::HeaderValue;
use http::{HeaderMap, Method};

/// Starts the feed server.
pub(crate) fn start_feed_server() -> Peer {
    Peer::spawn("infra/test-peers/feed_server.py", &[])
}

/// Serves `body` at `/feeds/<name>` with `content_type` and the given
/// validators (`None` sends none); returns the feed's URL.
pub(crate) async fn serve_feed(
    peer: &Peer,
    name: &str,
    body: &str,
    content_type: &str,
    etag: Option<&str>,
    last_modified: Option<&str>,
) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("content_type", content_type);
    if let Some(etag) = etag {
        query.append_pair("etag", etag);
    }
    if let Some(last_modified) = last_modified {
        query.append_pair("last_modified", last_modified);
    }
    let admin = peer.url(&format!("/admin/feeds/{name}?{}", query.finish()));
    let response = test_fetcher()
        .send(Request {
            method: Method::PUT,
            target: Target::parse(&admin).unwrap(),
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        })
        .await
        .unwrap();
    assert_eq!(response.status.as_u16(), 204);
    peer.url(&format!("/feeds/{name}"))
}

/// How many full bodies feed `name` has sent.
pub(crate) async fn feed_hits(peer: &Peer, name: &str) -> usize {
    let target = Target::parse(&peer.url(&format!("/admin/hits/{name}"))).unwrap();
    let response = test_fetcher()
        .get(target, HeaderValue::from_static("text/plain"))
        .await
        .unwrap();
    String::from_utf8(response.body).unwrap().parse().unwrap()
}

/// The test fetcher's policy with other limits (loopback allowed, test
/// root trusted).
fn fetcher_with(adjust: impl FnOnce(&mut FetchPolicy)) -> Fetcher {
    use base64::Engine;
    let pem = std::fs::read_to_string(test_tls_dir().join("ca.pem")).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    let mut policy = FetchPolicy::default()
        .allowing_loopback()
        .trusting_only(der.into());
    adjust(&mut policy);
    Fetcher::new(policy).unwrap()
}

/// 2026-12-07 00:00 UTC to 2026-12-14 00:00 UTC.
const WEEK: Window = Window {
    start: 1_796_601_600,
    end: 1_797_206_400,
};

const FEED: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Feed//EN\r\n\
BEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261207T150000Z\r\nDTEND:20261207T160000Z\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:b\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261208T080000Z\r\nDTEND:20261208T093000Z\r\nSUMMARY:School run\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:free\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261209T080000Z\r\nDTEND:20261209T093000Z\r\nTRANSP:TRANSPARENT\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:outside\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20270107T080000Z\r\nDTEND:20270107T093000Z\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

fn feed_busy() -> BTreeSet<(i64, i64)> {
    let day = 86_400;
    BTreeSet::from([
        (WEEK.start + 15 * 3_600, WEEK.start + 16 * 3_600),
        (
            WEEK.start + day + 8 * 3_600,
            WEEK.start + day + 9 * 3_600 + 1_800,
        ),
    ])
}

fn options(keep_summary: bool) -> IcsOptions<'static> {
    IcsOptions {
        window: WEEK,
        staff_zone: chrono_tz::UTC,
        own_addresses: &[],
        keep_summary,
    }
}

fn busy_of(result: &FeedResult) -> BTreeSet<(i64, i64)> {
    match result {
        FeedResult::Fetched { occurrences, .. } => {
            occurrences.iter().map(|o| (o.start, o.end)).collect()
        }
        FeedResult::NotModified => panic!("expected a body"),
    }
}

#[tokio::test]
async fn a_webcal_link_is_read_over_https_with_subjects_only_when_asked() {
    let peer = start_feed_server();
    let url = serve_feed(&peer, "family", FEED, "text/calendar", None, None).await;
    let webcal = url.replacen("https://", "webcal://", 1);
    let target = Target::parse(&webcal).unwrap();
    let fetcher = test_fetcher();

    let result = feed::fetch_feed(&fetcher, &target, &options(false), None)
        .await
        .unwrap();
    assert_eq!(busy_of(&result), feed_busy());
    let FeedResult::Fetched {
        occurrences,
        validators,
    } = result
    else {
        unreachable!()
    };
    assert!(occurrences.iter().all(|o| o.summary.is_none()));
    assert_eq!(validators, FeedValidators::default());

    let result = feed::fetch_feed(&fetcher, &target, &options(true), None)
        .await
        .unwrap();
    let FeedResult::Fetched { occurrences, .. } = result else {
        unreachable!()
    };
    let subjects: BTreeSet<_> = occurrences
        .iter()
        .filter_map(|o| o.summary.clone())
        .collect();
    assert_eq!(
        subjects,
        BTreeSet::from(["Dentist".to_owned(), "School run".to_owned()])
    );
}

#[tokio::test]
async fn an_unchanged_feed_answers_not_modified_without_a_body() {
    let peer = start_feed_server();
    let fetcher = test_fetcher();
    let cases = [
        ("tagged", Some("\"v1\""), None),
        ("dated", None, Some("Tue, 01 Dec 2026 10:00:00 GMT")),
    ];
    for (name, etag, last_modified) in cases {
        let url = serve_feed(&peer, name, FEED, "text/calendar", etag, last_modified).await;
        let target = Target::parse(&url).unwrap();
        let first = feed::fetch_feed(&fetcher, &target, &options(false), None)
            .await
            .unwrap();
        let FeedResult::Fetched { validators, .. } = first else {
            panic!("{name}: first read has a body")
        };
        assert_eq!(validators.etag.as_deref(), etag, "{name}");
        assert_eq!(validators.last_modified.as_deref(), last_modified, "{name}");

        let again = feed::fetch_feed(&fetcher, &target, &options(false), Some(&validators))
            .await
            .unwrap();
        assert_eq!(again, FeedResult::NotModified, "{name}");
        assert_eq!(feed_hits(&peer, name).await, 1, "{name}");

        // Changed upstream: read in full, with the new validators.
        let changed = FEED.replace("Dentist", "Dentist (moved)");
        serve_feed(&peer, name, &changed, "text/calendar", Some("\"v2\""), None).await;
        let changed = feed::fetch_feed(&fetcher, &target, &options(false), Some(&validators))
            .await
            .unwrap();
        let FeedResult::Fetched { validators, .. } = changed else {
            panic!("{name}: a changed feed has a body")
        };
        assert_eq!(validators.etag.as_deref(), Some("\"v2\""), "{name}");
        assert_eq!(feed_hits(&peer, name).await, 2, "{name}");
    }
}

#[tokio::test]
async fn the_content_type_does_not_decide_but_the_body_does() {
    let peer = start_feed_server();
    let fetcher = test_fetcher();
    let octets = serve_feed(
        &peer,
        "octets",
        FEED,
        "application/octet-stream",
        None,
        None,
    )
    .await;
    let result = feed::fetch_feed(
        &fetcher,
        &Target::parse(&octets).unwrap(),
        &options(false),
        None,
    )
    .await
    .unwrap();
    assert_eq!(busy_of(&result), feed_busy());

    let not_calendars = [
        serve_feed(&peer, "text", "hello", "text/calendar", None, None).await,
        serve_feed(
            &peer,
            "json",
            "{\"events\":[]}",
            "application/json",
            None,
            None,
        )
        .await,
        peer.url("/html"),
    ];
    for url in not_calendars {
        let result = feed::fetch_feed(
            &fetcher,
            &Target::parse(&url).unwrap(),
            &options(false),
            None,
        )
        .await;
        assert_eq!(result, Err(ProviderError::Protocol), "{url}");
    }
}

#[tokio::test]
async fn error_statuses_map_to_what_the_staff_member_must_do() {
    let peer = start_feed_server();
    let fetcher = test_fetcher();
    let cases = [
        ("/status/401", ProviderError::GrantRevoked),
        ("/status/403", ProviderError::GrantRevoked),
        ("/status/404", ProviderError::NotFound),
        ("/status/410", ProviderError::NotFound),
        ("/feeds/never-served", ProviderError::NotFound),
        ("/status/500", ProviderError::Unavailable),
        (
            "/status/503",
            ProviderError::Throttled {
                retry_after_secs: Some(120),
            },
        ),
        (
            "/status/429",
            ProviderError::Throttled {
                retry_after_secs: Some(120),
            },
        ),
        ("/status/304", ProviderError::Protocol),
        ("/status/204", ProviderError::Protocol),
    ];
    for (path, error) in cases {
        let target = Target::parse(&peer.url(path)).unwrap();
        let result = feed::fetch_feed(&fetcher, &target, &options(false), None).await;
        assert_eq!(result, Err(error), "{path}");
    }
}

#[tokio::test]
async fn redirects_are_followed_within_limits_and_never_to_refused_targets() {
    let peer = start_feed_server();
    let fetcher = test_fetcher();
    serve_feed(&peer, "moved", FEED, "text/calendar", None, None).await;
    let target = Target::parse(&peer.url("/redirect/2/moved")).unwrap();
    let result = feed::fetch_feed(&fetcher, &target, &options(false), None)
        .await
        .unwrap();
    assert_eq!(busy_of(&result), feed_busy());

    let to = |location: &str| {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("location", location)
            .finish();
        peer.url(&format!("/redirect-to?{query}"))
    };
    let cases = [
        (
            peer.url("/redirect/3/moved"),
            ProviderError::Fetch(FetchError::TooManyRedirects),
        ),
        (
            to("http://localhost/feed.ics"),
            ProviderError::Fetch(FetchError::BadTarget(BadTarget::NotHttps)),
        ),
        (
            to("https://169.254.169.254/latest/meta-data/"),
            ProviderError::Fetch(FetchError::Refused(Refused::CloudMetadata)),
        ),
        (
            to("https://10.0.0.1/feed.ics"),
            ProviderError::Fetch(FetchError::Refused(Refused::Private)),
        ),
    ];
    for (url, error) in cases {
        let result = feed::fetch_feed(
            &fetcher,
            &Target::parse(&url).unwrap(),
            &options(false),
            None,
        )
        .await;
        assert_eq!(result.as_ref().err(), Some(&error), "{url}");
        assert_ne!(error.class(), "protocol");
    }
}

#[tokio::test]
async fn a_slow_feed_times_out_and_a_huge_one_is_refused() {
    let peer = start_feed_server();
    let hurried = fetcher_with(|policy| policy.total_timeout = Duration::from_millis(500));
    let started = Instant::now();
    let target = Target::parse(&peer.url("/slow?seconds=5")).unwrap();
    let result = feed::fetch_feed(&hurried, &target, &options(false), None).await;
    assert_eq!(result, Err(ProviderError::Fetch(FetchError::Timeout)));
    assert_eq!(ProviderError::Fetch(FetchError::Timeout).class(), "timeout");
    assert!(started.elapsed() < Duration::from_secs(3));

    let capped = fetcher_with(|policy| policy.max_body_bytes = 64 * 1024);
    for path in ["/big?bytes=200000", "/big?bytes=200000&chunked=1"] {
        let target = Target::parse(&peer.url(path)).unwrap();
        let result = feed::fetch_feed(&capped, &target, &options(false), None).await;
        assert_eq!(
            result,
            Err(ProviderError::Fetch(FetchError::TooLarge)),
            "{path}"
        );
    }
    // Under the cap the same body is read (and is not a usable calendar:
    // it never ends).
    let target = Target::parse(&peer.url("/big?bytes=30000")).unwrap();
    let result = feed::fetch_feed(&capped, &target, &options(false), None).await;
    assert!(
        !matches!(result, Err(ProviderError::Fetch(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_feed_with_a_recurring_series_blocks_each_instance() {
    let peer = start_feed_server();
    let body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Feed//EN\r\n\
BEGIN:VEVENT\r\nUID:gym\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261207T070000Z\r\nDTEND:20261207T080000Z\r\nRRULE:FREQ=DAILY;INTERVAL=2\r\nEXDATE:20261209T070000Z\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";
    let url = serve_feed(&peer, "gym", body, "text/calendar", None, None).await;
    let result = feed::fetch_feed(
        &test_fetcher(),
        &Target::parse(&url).unwrap(),
        &options(false),
        None,
    )
    .await
    .unwrap();
    let day = 86_400;
    let expected: BTreeSet<_> = [0, 4, 6]
        .into_iter()
        .map(|d| {
            (
                WEEK.start + d * day + 7 * 3_600,
                WEEK.start + d * day + 8 * 3_600,
            )
        })
        .collect();
    assert_eq!(busy_of(&result), expected);
}
