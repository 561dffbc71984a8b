//! `make bench` (scale part): does the local stack stay fast and small as one
//! business fills up? Books 5,000 appointments (`BOOKWARDEN_SCALE_BOOKINGS`
//! overrides the count) through the real booking handler against the local
//! moto, and prints the median latency of the first and of the last 100
//! booking requests, their ratio, and moto's resident memory before and after.
//!
//! One staff member works around the clock and customers may book two years
//! ahead, so every request books a free slot: 18 back-to-back appointments
//! (60 minutes plus a 15-minute buffer) a day. Every booking is made by the
//! same customer from a fresh client address (the per-address limit is 20 per
//! 15 minutes): the customer's hourly mail limit holds back confirmations after
//! the first 10, so every request measured after those does the same work.

use std::time::{Duration, Instant};

use bookwarden_tests::booking::{book_from, shop};
use bookwarden_tests::identity::As;
use bookwarden_tests::TestApp;
use chrono::{Days, NaiveDate, TimeZone, Utc};
use serde_json::json;

const WINDOW: usize = 100;
const SLOTS_PER_DAY: i64 = 18;
const SLOT_MINUTES: i64 = 75;

fn main() {
    let count = std::env::var("BOOKWARDEN_SCALE_BOOKINGS")
        .ok()
        .map(|v| {
            v.parse::<usize>()
                .expect("BOOKWARDEN_SCALE_BOOKINGS: a number of bookings")
        })
        .unwrap_or(5_000);
    assert!(count >= 2, "BOOKWARDEN_SCALE_BOOKINGS: at least 2 bookings");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(count));
}

fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// The process id of the moto server this process started.
fn moto_pid() -> u32 {
    let me = std::process::id();
    std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            let parent = status
                .lines()
                .find_map(|l| l.strip_prefix("PPid:"))
                .and_then(|v| v.trim().parse::<u32>().ok());
            let command = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            parent == Some(me) && String::from_utf8_lossy(&command).contains("moto_serial.py")
        })
        .expect("moto's process, a child of this one")
}

/// Resident memory of a process in MiB (VmRSS).
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("moto's status");
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kib / 1024.0
}

/// CPU time a process has used, in milliseconds (/proc counts USER_HZ ticks,
/// 100 a second on Linux).
fn cpu_ms(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("moto's stat");
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .expect("stat fields")
        .1
        .split_whitespace()
        .collect();
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    ticks as f64 * 10.0
}

/// The start of the `n`th slot: 18 a day from local midnight, 75 minutes
/// apart, so the last one ends (with its buffer) before even a 23-hour day does.
fn slot_start(tz: chrono_tz::Tz, first_day: NaiveDate, n: usize) -> String {
    let n = i64::try_from(n).expect("slot number");
    let day = first_day
        .checked_add_days(Days::new(u64::try_from(n / SLOTS_PER_DAY).expect("day")))
        .expect("a date");
    let midnight = tz
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"))
        .earliest()
        .expect("local midnight exists");
    let start = midnight + chrono::Duration::minutes((n % SLOTS_PER_DAY) * SLOT_MINUTES);
    start
        .with_timezone(&Utc)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

async fn run(count: usize) {
    let app = TestApp::new().await;
    let moto = moto_pid();
    let s = shop(&app, "scale").await;
    let t = &s.owner.tenant_id;
    let all_day = json!([{ "from": 0, "to": 1440 }]);
    let r = app
        .call(
            As::Session(&s.session),
            "PUT",
            &format!("/v1/tenants/{t}/staff/{}/schedule", s.owner_id),
            Some(json!({ "weekly": [all_day, all_day, all_day, all_day, all_day, all_day, all_day], "exceptions": [] })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.set_settings(&s.session, json!({ "max_advance_days": 730 }))
        .await;
    let first_day = Utc::now().date_naive() + Days::new(2);
    let r = app
        .request(
            "GET",
            &format!(
                "/v1/public/tenants/{}/availability?service={}&from={first_day}&to={first_day}",
                s.owner.slug, s.service_id
            ),
            &[],
            b"",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let tz: chrono_tz::Tz = r.json()["time_zone"]
        .as_str()
        .expect("the business's time zone")
        .parse()
        .expect("a time zone");

    let window = WINDOW.min(count / 2);
    let rss_start = rss_mib(moto);
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(count);
    // moto's CPU time when the first window starts and ends, and when the last starts.
    let (mut cpu_at_start, mut cpu_after_first, mut cpu_before_last) = (0.0, 0.0, 0.0);
    for n in 0..count {
        if n == 0 {
            cpu_at_start = cpu_ms(moto);
        }
        if n == window {
            cpu_after_first = cpu_ms(moto);
        }
        if n == count - window {
            cpu_before_last = cpu_ms(moto);
        }
        let start = slot_start(tz, first_day, n);
        let ip = format!("198.18.{}.{}", n / 20 / 256, n / 20 % 256);
        let t0 = Instant::now();
        let r = book_from(
            &app,
            &ip,
            &s,
            &start,
            "scale.customer@example.org",
            &format!("scale-{n}"),
        )
        .await;
        latencies.push(t0.elapsed());
        assert_eq!(r.status, 201, "booking {n} at {start}: {}", r.body);
        if (n + 1) % 500 == 0 {
            println!(
                "  {} bookings: median of the last {WINDOW} {}, moto RSS {:.0} MiB",
                n + 1,
                ms(median(&latencies[latencies.len().saturating_sub(WINDOW)..])),
                rss_mib(moto)
            );
        }
    }
    let rss_end = rss_mib(moto);
    let cpu_first = (cpu_after_first - cpu_at_start) / window as f64;
    let cpu_last = (cpu_ms(moto) - cpu_before_last) / window as f64;

    let first = median(&latencies[..window]);
    let last = median(&latencies[count - window..]);
    println!(
        "local scale: {count} bookings in one business in {:.0} s (one staff member, 60-minute service + 15-minute buffer)",
        started.elapsed().as_secs_f64()
    );
    println!("  median booking request, first {window}: {}", ms(first));
    println!(
        "  median booking request, last {window}:  {} ({:.2}x the first)",
        ms(last),
        last.as_secs_f64() / first.as_secs_f64()
    );
    println!(
        "  moto CPU time per booking request, first {window}: {cpu_first:.1} ms, last {window}: {cpu_last:.1} ms ({:.2}x)",
        cpu_last / cpu_first
    );
    println!("  moto RSS: {rss_start:.0} MiB at the start, {rss_end:.0} MiB at the end");
}
