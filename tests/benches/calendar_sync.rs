//! `make bench` (calendar part): the scheduled sync over 100 connections
//! against the feed server peer and the local moto. Ten businesses connect
//! ten ICS feeds each (30 events a feed, a third of them recurring weekly);
//! then three passes of `SyncCalendars` run over all of them:
//!
//! 1. the first full read of every feed;
//! 2. nothing changed upstream (the feeds answer 304);
//! 3. every feed sends its unchanged body again without validators, so each
//!    one is fetched, parsed, expanded and compared, and must write no block.
//!
//! For each pass it prints the wall time and the DynamoDB calls by
//! operation: a sync claims and records its connection with two
//! `TransactWriteItems`, so two per connection means no block was written.

use std::time::{Duration, Instant};

use bookwarden_shared::calendar::sync::run_due;
use bookwarden_shared::net::Target;
use bookwarden_tests::booking::shop;
use bookwarden_tests::identity::As;
use bookwarden_tests::peers::{test_fetcher, Peer};
use bookwarden_tests::TestApp;
use serde_json::json;

const BUSINESSES: usize = 10;
const FEEDS_EACH: usize = 10;
const EVENTS_PER_FEED: i64 = 30;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

fn feed(seed: usize, shift: i64) -> String {
    let base = chrono::Utc::now().timestamp() / 86_400 * 86_400 + 2 * 86_400 + shift;
    let mut body = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Bench//EN\r\n");
    for i in 0..EVENTS_PER_FEED {
        let start = base + i * 86_400 + 9 * 3600 + (seed as i64 % 8) * 1800;
        let stamp = |t: i64| {
            chrono::DateTime::from_timestamp(t, 0)
                .expect("time")
                .format("%Y%m%dT%H%M%SZ")
                .to_string()
        };
        let rule = if i % 3 == 0 {
            "RRULE:FREQ=WEEKLY;COUNT=8\r\n"
        } else {
            ""
        };
        body.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:{seed}-{i}@bench\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:{}\r\nDTEND:{}\r\n{rule}SUMMARY:Meeting {i}\r\nDESCRIPTION:Agenda\r\nEND:VEVENT\r\n",
            stamp(start),
            stamp(start + 3600)
        ));
    }
    body.push_str("END:VCALENDAR\r\n");
    body
}

async fn put_feed(peer: &Peer, name: &str, body: &str, etag: Option<&str>) -> String {
    let query = etag.map(|e| format!("?etag={e}")).unwrap_or_default();
    let response = test_fetcher()
        .send(bookwarden_shared::net::fetch::Request {
            method: http::Method::PUT,
            target: Target::parse(&peer.url(&format!("/admin/feeds/{name}{query}")))
                .expect("admin URL"),
            headers: http::HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        })
        .await
        .expect("store feed");
    assert_eq!(response.status.as_u16(), 204);
    peer.url(&format!("/feeds/{name}"))
}

fn counts(operations: &[String]) -> String {
    let mut by: std::collections::BTreeMap<&str, usize> = Default::default();
    for op in operations {
        *by.entry(op.as_str()).or_default() += 1;
    }
    by.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn run() {
    let app = TestApp::new().await;
    let feeds = Peer::spawn("infra/test-peers/feed_server.py", &[]);
    let mut bodies = Vec::new();
    let mut connecting = Duration::ZERO;
    for b in 0..BUSINESSES {
        let shop = shop(&app, &format!("bench-cal-{b}")).await;
        let t = &shop.owner.tenant_id;
        let r = app
            .call(
                As::Session(&shop.session),
                "PUT",
                &format!("/v1/tenants/{t}/plan"),
                Some(json!({ "plan": "paid" })),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        for f in 0..FEEDS_EACH {
            let name = format!("b{b}f{f}");
            let body = feed(b * FEEDS_EACH + f, 0);
            let url = put_feed(&feeds, &name, &body, Some("\"v1\"")).await;
            bodies.push((name, b * FEEDS_EACH + f, body));
            let started = Instant::now();
            let r = app
                .call(
                    As::Session(&shop.session),
                    "POST",
                    &format!("/v1/tenants/{t}/me/calendar-connections"),
                    Some(json!({ "provider": "ics", "url": url })),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
            connecting += started.elapsed();
        }
    }
    let connections = BUSINESSES * FEEDS_EACH;
    println!(
        "calendar sync: {connections} ICS connections, {EVENTS_PER_FEED} events a feed (a third weekly x8)"
    );
    println!(
        "  connecting (check, create, first full sync): {:.1} ms a connection",
        connecting.as_secs_f64() * 1000.0 / connections as f64
    );
    let now = chrono::Utc::now().timestamp();
    let budget = Duration::from_secs(240);
    for (pass, label) in [
        (1, "unchanged, feeds answer 304"),
        (2, "unchanged bodies sent again without validators"),
        (3, "every event moved"),
    ] {
        for (name, seed, body) in &bodies {
            match pass {
                2 => {
                    put_feed(&feeds, name, body, None).await;
                }
                3 => {
                    put_feed(&feeds, name, &feed(*seed, 1800), None).await;
                }
                _ => {}
            }
        }
        let at = now + 601 * pass;
        let started = Instant::now();
        let (report, ops) = app
            .ddb_calls
            .during(run_due(&app.platform, at, 200, budget))
            .await;
        let took = started.elapsed();
        println!(
            "  pass {pass} ({label}): {:.2} s for {} synced, {} failed; DynamoDB: {}",
            took.as_secs_f64(),
            report.synced,
            report.failed,
            counts(&ops)
        );
    }
}
