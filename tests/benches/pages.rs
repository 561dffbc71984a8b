//! `make bench` (pages part): what the booking page's first view weighs (the
//! HTML with the slot list of a full day, the stylesheet, the script and the
//! icon: everything a browser fetches; no fonts, no images, no third party),
//! and how long rendering it takes against moto.

use std::time::{Duration, Instant};

use bookwarden_tests::booking::{future_day, shop};
use bookwarden_tests::TestApp;

/// The budget for the first view, in bytes.
const BUDGET: usize = 50 * 1024;

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(first_view());
}

async fn first_view() {
    let app = TestApp::new().await;
    let s = shop(&app, "weight").await;
    let path = format!(
        "/book/{}?service={}&date={}&tz=Europe/Berlin",
        s.owner.slug,
        s.service_id,
        future_day()
    );
    let page = app.request("GET", &path, &[], b"").await;
    assert_eq!(page.status, 200);
    let assets: Vec<String> = page
        .body
        .split('"')
        .filter(|a| a.starts_with("/assets/"))
        .map(str::to_owned)
        .collect();
    let mut total = page.body.len();
    println!("booking page first view (uncompressed bytes, what API Gateway sends):");
    println!(
        "  {:<40} {:>7}",
        "HTML (a day of 28 open times)",
        page.body.len()
    );
    for asset in &assets {
        let r = app.request("GET", asset, &[], b"").await;
        total += r.body.len();
        println!("  {asset:<40} {:>7}", r.body.len());
    }
    println!(
        "  {:<40} {:>7}  ({:.1} KB of the {} KB budget, {} requests)",
        "total",
        total,
        total as f64 / 1024.0,
        BUDGET / 1024,
        assets.len() + 1
    );

    let mut samples: Vec<Duration> = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let r = app.request("GET", &path, &[], b"").await;
        samples.push(started.elapsed());
        assert_eq!(r.status, 200);
    }
    samples.sort();
    println!(
        "booking page render with a day of open times (20 runs, moto): median {:.1} ms, max {:.1} ms",
        samples[samples.len() / 2].as_secs_f64() * 1000.0,
        samples[samples.len() - 1].as_secs_f64() * 1000.0
    );
}
