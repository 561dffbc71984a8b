//! `make bench` (export part, PRIV-1): a business with 20,000 bookings
//! (BOOKWARDEN_EXPORT_BOOKINGS=n) is exported against the local moto, twice:
//!
//! 1. in one run of the export job (the budget never runs out);
//! 2. in runs of a 2-second budget, each ending in a checkpoint that the
//!    next one continues, as the Lambda job does when an export outlasts
//!    its time budget.
//!
//! For each it prints the wall time, the number of runs, the archive's size
//! and the peak memory of this process during the export above what it
//! held before (VmHWM, reset first through /proc/self/clear_refs), which is
//! what the job adds to a function's footprint: the upload part being
//! filled, one page of bookings, the compressor. Bookings are written
//! straight into the table in the booking code's layout, sealed through the
//! real envelope (see tests/support/export.rs).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bookwarden_tests::booking::shop;
use bookwarden_tests::export::{download, finish, seed_bookings, SeedBooking};
use bookwarden_tests::identity::As;
use bookwarden_tests::TestApp;
use serde_json::json;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

/// A value of /proc/self/status in KiB.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Resets the peak resident size to the current one (Linux 4.0+).
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

async fn run() {
    let n: usize = std::env::var("BOOKWARDEN_EXPORT_BOOKINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let app = TestApp::new().await;
    let s = shop(&app, "exportbench").await;
    let scope = app.scope_of(&s.owner.slug).await;
    let first = bookwarden_shared::clock::now_unix() + 30 * 86_400;
    let seeding = Instant::now();
    let bookings = (0..n).map(|i| SeedBooking {
        name: format!("Customer Number {i}"),
        email: format!("customer.{i}@example.org"),
        phone: (i % 3 != 0).then(|| format!("+49 30 {:07}", i * 7)),
        answers: BTreeMap::from([
            (
                "notes".to_owned(),
                format!("Prefers the window seat; visit {i}"),
            ),
            ("length".to_owned(), "long".to_owned()),
        ]),
    });
    seed_bookings(&app, &scope, &s.service_id, &s.owner_id, first, bookings).await;
    println!(
        "export: {n} bookings seeded in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    for (label, budget) in [
        ("one run", Duration::from_secs(3600)),
        ("2 s budget per run", Duration::from_secs(2)),
    ] {
        let r = app
            .call(
                As::Session(&s.session),
                "POST",
                &format!("/v1/tenants/{}/exports", s.owner.tenant_id),
                Some(json!({})),
            )
            .await;
        assert_eq!(r.status, 202, "{}", r.body);
        let id = r.json()["export_id"].as_str().unwrap().to_owned();
        let before = status_kib("VmRSS:");
        let peak_reset = reset_peak();
        let started = Instant::now();
        let runs = finish(&app, &scope, &id, budget).await;
        let wall = started.elapsed();
        let peak = status_kib("VmHWM:");
        let status = app
            .call(
                As::Session(&s.session),
                "GET",
                &format!("/v1/tenants/{}/exports/{id}", s.owner.tenant_id),
                None,
            )
            .await
            .json();
        let archive = download(status["download_url"].as_str().unwrap()).await;
        assert_eq!(archive.lines("bookings.jsonl").len(), n);
        println!(
            "export ({label}): {n} bookings in {:.1} s over {runs} run(s) ({:.0} bookings/s), \
             archive {:.1} MiB (bookings.jsonl {:.1} MiB uncompressed), \
             peak memory +{:.1} MiB above {:.1} MiB{}",
            wall.as_secs_f64(),
            n as f64 / wall.as_secs_f64(),
            archive.size as f64 / 1_048_576.0,
            archive.files["bookings.jsonl"].len() as f64 / 1_048_576.0,
            peak.saturating_sub(before) as f64 / 1024.0,
            before as f64 / 1024.0,
            if peak_reset {
                ""
            } else {
                " (peak not resettable here: process peak)"
            },
        );
    }
}
