//! `make bench` (booking part): availability computation in-process, and
//! DynamoDB round trips per availability query and per booking against moto.

use std::time::{Duration, Instant};

use bookwarden_shared::booking::availability::{
    open_slots, span, working_intervals, Interval, LocalRange, Schedule, Timing,
};
use bookwarden_tests::identity::As;
use bookwarden_tests::TestApp;
use chrono::NaiveDate;

fn p50(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    availability_engine();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(round_trips());
}

/// One staff member, 31 days of 09:00–17:00 in Europe/Berlin, 500 busy blocks
/// and 200 bookings.
fn availability_engine() {
    let tz: chrono_tz::Tz = "Europe/Berlin".parse().expect("zone");
    let day = vec![LocalRange {
        from: 540,
        to: 1020,
    }];
    let schedule = Schedule {
        weekly: std::array::from_fn(|_| day.clone()),
        exceptions: vec![],
    };
    let from: NaiveDate = "2026-03-15".parse().expect("date");
    let to = from + chrono::Duration::days(30);
    let working = working_intervals(tz, &schedule, from, to);
    let start = working[0].start;
    let mut occupied = Vec::new();
    for i in 0..500 {
        let s = start + (i * 5_347) % (31 * 86_400);
        occupied.push(Interval {
            start: s,
            end: s + 1_200,
        });
    }
    for i in 0..200 {
        let s = start + (i * 13_331) % (31 * 86_400);
        occupied.push(span(s - s % 300, 1_800, 0, 0));
    }
    let timing = Timing {
        duration: 1_800,
        buffer_before: 0,
        buffer_after: 0,
    };
    let window = Interval {
        start,
        end: working.last().expect("hours").end,
    };
    let samples: Vec<Duration> = (0..200)
        .map(|_| {
            let t = Instant::now();
            let slots = open_slots(&working, &occupied, timing, window, 0);
            std::hint::black_box(slots);
            t.elapsed()
        })
        .collect();
    let slots = open_slots(&working, &occupied, timing, window, 0).len();
    println!("availability: 1 staff, 31 days, 500 busy blocks, 200 bookings, 30-minute service");
    println!(
        "  p50 {:.3} ms ({slots} open slots)",
        p50(samples).as_secs_f64() * 1000.0
    );
}

async fn round_trips() {
    let app = TestApp::new().await;
    let owner = app.owner("bench").await;
    let session = app.login(&owner).await;
    let t = &owner.tenant_id;
    let me = &session.user_id;
    let day = serde_json::json!([{ "from": 540, "to": 1020 }]);
    let schedule =
        serde_json::json!({ "weekly": [day, day, day, day, day, day, day], "exceptions": [] });
    app.call(
        As::Session(&session),
        "PUT",
        &format!("/v1/tenants/{t}/staff/{me}/schedule"),
        Some(schedule),
    )
    .await;
    let created = app
        .call(
            As::Session(&session),
            "POST",
            &format!("/v1/tenants/{t}/services"),
            Some(serde_json::json!({ "name": "Cut", "duration_minutes": 60, "buffer_after_minutes": 15, "staff_ids": [me] })),
        )
        .await;
    let service = created.json()["id"].as_str().expect("service").to_owned();
    let from = chrono::Utc::now().date_naive() + chrono::Duration::days(14);
    let to = from + chrono::Duration::days(30);
    let path = format!(
        "/v1/public/tenants/{}/availability?service={service}&from={from}&to={to}",
        owner.slug
    );

    // Warm the function (keys cached), as a function serving traffic is.
    let warm = app.request("GET", &path, &[], b"").await;
    let slots: Vec<String> = warm.json()["slots"]
        .as_array()
        .expect("slots")
        .iter()
        .filter_map(|x| x["start"].as_str().map(str::to_owned))
        .collect();
    let book = |start: &str, key: String| {
        let body = serde_json::json!({
            "service_id": service, "staff_id": "any", "start": start,
            "customer_name": "Bench Customer", "customer_email": "bench@example.org"
        });
        let path = format!("/v1/public/tenants/{}/bookings", owner.slug);
        let app = &app;
        async move {
            app.request(
                "POST",
                &path,
                &[
                    ("content-type", "application/json"),
                    ("idempotency-key", key.as_str()),
                ],
                body.to_string().as_bytes(),
            )
            .await
        }
    };
    assert_eq!(book(&slots[0], "warm".into()).await.status, 201);
    app.deliver_mail().await;

    let before = app.ddb_calls.operations().len();
    let t0 = Instant::now();
    let r = app.request("GET", &path, &[], b"").await;
    let availability_time = t0.elapsed();
    assert_eq!(r.status, 200);
    let availability_ops = app.ddb_calls.operations()[before..].to_vec();

    let before = app.ddb_calls.operations().len();
    let kms_before = app.kms_calls.get();
    let t0 = Instant::now();
    let r = book(&slots[slots.len() - 1], "bench-1".into()).await;
    let booking_time = t0.elapsed();
    assert_eq!(r.status, 201, "{}", r.body);
    let booking_ops = app.ddb_calls.operations()[before..].to_vec();
    let kms = app.kms_calls.get() - kms_before;
    let items = 4 + (60 + 15) / 5;
    println!(
        "availability query, 31 days (warm): {} DynamoDB round trips {availability_ops:?}, {:.1} ms against moto",
        availability_ops.len(),
        availability_time.as_secs_f64() * 1000.0
    );
    println!(
        "booking creation (60 min + 15 min buffer, warm): {} DynamoDB round trips {booking_ops:?}, \
         one transaction of {items} items (≈ {} WCU at 2 WCU per transactional write), {kms} KMS calls, \
         0 SES calls (mail is queued), {:.1} ms against moto",
        booking_ops.len(),
        items * 2,
        booking_time.as_secs_f64() * 1000.0
    );

    // Commit to SES: the local stack's sender polls every 250 ms, as `make dev` does.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let sender = app.platform.clone();
    let poller = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_millis(250));
        loop {
            every.tick().await;
            let now = bookwarden_shared::clock::now_unix();
            if let Ok(r) = bookwarden_shared::email::outbox::send_recent(&sender, now).await {
                if r.sent > 0 {
                    let _ = tx.send(Instant::now());
                }
            }
        }
    });
    let mut delays = Vec::new();
    for (i, start) in slots.iter().skip(1).step_by(3).take(15).enumerate() {
        let r = book(start, format!("latency-{i}")).await;
        if r.status != 201 {
            continue;
        }
        let committed = Instant::now();
        if let Some(sent) = rx.recv().await {
            delays.push(sent.saturating_duration_since(committed));
        }
    }
    poller.abort();
    println!(
        "confirmation from commit to SES (local sender polling every 250 ms): median {:.0} ms over {} bookings",
        p50(delays.clone()).as_secs_f64() * 1000.0,
        delays.len()
    );
}
