//! Bookings at the edges, as outside testing tried them: the booking horizon,
//! dates at the end of the calendar, hashes of personal data, moves to where a
//! booking already is, empty cursors, and a move racing a cancellation.

use base64::Engine;
use bookwarden_tests::booking::{book, future_day, shop, slots, Shop};
use bookwarden_tests::identity::As;
use bookwarden_tests::{signup_body, TestApp, TestResponse};
use chrono::{Duration, Utc};
use serde_json::json;

async fn availability(app: &TestApp, s: &Shop, from: &str, to: &str) -> TestResponse {
    app.request(
        "GET",
        &format!(
            "/v1/public/tenants/{}/availability?service={}&from={from}&to={to}",
            s.owner.slug, s.service_id
        ),
        &[],
        b"",
    )
    .await
}

fn message_of(r: &TestResponse) -> String {
    r.json()["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn bookings_stay_inside_the_businesss_horizon() {
    let app = TestApp::new().await;
    let s = shop(&app, "horizon").await;
    let today = Utc::now().date_naive();

    // Availability: never past the horizon, never sooner than the notice.
    let far = availability(
        &app,
        &s,
        &(today + Duration::days(95)).to_string(),
        &(today + Duration::days(96)).to_string(),
    )
    .await;
    assert_eq!(far.status, 422, "{}", far.body);
    assert!(message_of(&far).contains("90 days"), "{}", far.body);
    let soon = availability(
        &app,
        &s,
        &today.to_string(),
        &(today + Duration::days(1)).to_string(),
    )
    .await;
    assert_eq!(soon.status, 200, "{}", soon.body);
    let earliest = Utc::now() + Duration::minutes(60);
    for slot in soon.json()["slots"].as_array().unwrap() {
        let start = chrono::DateTime::parse_from_rfc3339(slot["start"].as_str().unwrap()).unwrap();
        assert!(start >= earliest, "{start} is inside the notice period");
    }

    // Booking: outside the window is refused, naming the limit.
    let body = |start: String| {
        json!({
            "service_id": s.service_id, "staff_id": "any", "start": start,
            "customer_name": "Cora", "customer_email": "cora@example.org",
        })
        .to_string()
    };
    let path = format!("/v1/public/tenants/{}/bookings", s.owner.slug);
    for (start, says) in [
        ("9999-12-31T09:00:00Z".to_owned(), "90 days"),
        (
            (today + Duration::days(120))
                .format("%Y-%m-%dT10:00:00Z")
                .to_string(),
            "90 days",
        ),
        (
            {
                let t = Utc::now() + Duration::minutes(20);
                let t = t - Duration::seconds(t.timestamp() % 300);
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            },
            "60 minutes",
        ),
    ] {
        let r = app
            .request(
                "POST",
                &path,
                &[
                    ("content-type", "application/json"),
                    ("idempotency-key", &start),
                ],
                body(start.clone()).as_bytes(),
            )
            .await;
        assert_eq!(r.status, 422, "{start}: {}", r.body);
        assert!(message_of(&r).contains(says), "{start}: {}", r.body);
    }

    // The business widens its horizon; 150 days ahead opens up.
    let settings = format!("/v1/tenants/{}/settings", s.owner.tenant_id);
    for bad in [
        json!({ "max_advance_days": 731 }),
        json!({ "min_notice_minutes": -1 }),
    ] {
        let r = app
            .call(As::Session(&s.session), "PATCH", &settings, Some(bad))
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
    }
    let r = app
        .call(
            As::Session(&s.session),
            "PATCH",
            &settings,
            Some(json!({ "max_advance_days": 200, "min_notice_minutes": 0 })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["max_advance_days"], 200);
    let day = today + Duration::days(150);
    let open = slots(&app, &s, day).await;
    assert!(!open.is_empty());
    assert_eq!(
        book(&app, &s, &open[0], "late@example.org", "far-ahead")
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn dates_at_the_end_of_the_calendar_are_refused_not_crashed_on() {
    let app = TestApp::new().await;
    let s = shop(&app, "calendar").await;
    for (from, to) in [
        ("9999-12-01", "9999-12-31"),
        ("+262142-12-01", "+262142-12-31"),
        ("262143-12-31", "262143-12-31"),
        ("-262143-01-01", "-262143-01-02"),
        ("0000-01-01", "0000-01-02"),
        ("2026-02-30", "2026-03-01"),
    ] {
        let r = availability(&app, &s, from, to).await;
        assert!(
            (400..500).contains(&r.status) || r.status == 200,
            "{from}..{to}: {} {}",
            r.status,
            r.body
        );
        if r.status == 200 {
            assert!(
                r.json()["slots"].as_array().unwrap().is_empty(),
                "{from}..{to}"
            );
        }
    }
}

/// Every way a value could sit in the table in the clear or behind a plain hash.
fn derivatives(value: &str, tenants: &[String]) -> Vec<String> {
    let mut forms = vec![value.to_owned(), value.to_lowercase()];
    for t in tenants {
        forms.push(format!("{t}:{}", value.to_lowercase()));
    }
    let mut out = vec![value.to_lowercase()];
    for form in forms {
        let hex = bookwarden_shared::crypto::sha256_hex(form.as_bytes());
        let digest: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        out.push(base64::engine::general_purpose::STANDARD.encode(&digest));
        out.push(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest));
        out.push(hex);
    }
    out
}

#[tokio::test]
async fn no_plain_hash_of_an_email_or_phone_is_stored_anywhere() {
    let app = TestApp::new().await;
    let s = shop(&app, "hashes").await;
    let open = slots(&app, &s, future_day()).await;
    let customer = "Hash.Me@Example.org";
    assert_eq!(
        book(&app, &s, &open[0], customer, "hash-1").await.status,
        201
    );
    // A second message to the same recipient goes through the send limits too.
    assert_eq!(
        book(&app, &s, &open[8], customer, "hash-2").await.status,
        201
    );
    let signup = signup_body("hashes2");
    assert_eq!(app.post_json("/v1/tenants", &signup).await.status, 201);

    let dump = format!("{:?}", app.scan().await).to_lowercase();
    let tenants: Vec<String> = vec![s.owner.tenant_id.clone()];
    let values = [
        customer,
        "+49 30 1234567",
        s.owner.email.as_str(),
        signup["owner_email"].as_str().unwrap(),
    ];
    for value in values {
        for form in derivatives(value, &tenants) {
            assert!(
                !dump.contains(&form.to_lowercase()),
                "a plain derivative of {value} is stored: {form}"
            );
        }
    }
}

#[tokio::test]
async fn moves_and_cancellations_state_what_they_expect() {
    let app = TestApp::new().await;
    let s = shop(&app, "moves").await;
    let open = slots(&app, &s, future_day()).await;
    let t = &s.owner.tenant_id;

    // Moving a booking to where it already is changes nothing and succeeds.
    let r = book(&app, &s, &open[0], "stay@example.org", "stay").await;
    let id = r.json()["booking_id"].as_str().unwrap().to_owned();
    let before = app.scan().await.len();
    let same = app
        .call(
            As::Session(&s.session),
            "POST",
            &format!("/v1/tenants/{t}/bookings/{id}/reschedule"),
            Some(json!({ "start": open[0] })),
        )
        .await;
    assert_eq!(same.status, 200, "{}", same.body);
    assert_eq!(same.json()["start"], r.json()["start"]);
    assert_eq!(app.scan().await.len(), before);

    // An empty cursor is bad input, not a server error.
    let audit = app
        .call(
            As::Session(&s.session),
            "GET",
            &format!("/v1/tenants/{t}/audit?cursor="),
            None,
        )
        .await;
    assert_eq!(audit.status, 422, "{}", audit.body);

    // A move racing a cancellation: whichever wins, the booking, its index
    // entry and its claims agree, and a cancelled booking holds no claim.
    let mut ids = Vec::new();
    for (i, start) in open.iter().skip(8).step_by(8).take(3).enumerate() {
        let r = book(
            &app,
            &s,
            start,
            &format!("race{i}@example.org"),
            &format!("race-{i}"),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
        ids.push(r.json()["booking_id"].as_str().unwrap().to_owned());
    }
    let later = slots(&app, &s, future_day() + Duration::days(1)).await;
    let races = ids.iter().zip(later.iter().step_by(8)).map(|(id, target)| {
        let app = &app;
        let session = s.session.clone();
        let base = format!("/v1/tenants/{t}/bookings/{id}");
        let target = target.clone();
        async move {
            let (cancel_path, move_path) = (format!("{base}/cancel"), format!("{base}/reschedule"));
            let cancel = app.call(As::Session(&session), "POST", &cancel_path, None);
            let moved = app.call(
                As::Session(&session),
                "POST",
                &move_path,
                Some(json!({ "start": target })),
            );
            let (c, m) = futures_util::future::join(cancel, moved).await;
            for r in [&c, &m] {
                assert!(r.status < 500, "{} {}", r.status, r.body);
            }
        }
    });
    futures_util::future::join_all(races).await;
    let items = app.scan().await;
    for id in &ids {
        let booking = items
            .iter()
            .find(|i| i["SK"].as_s().unwrap() == &format!("BOOKING#{id}"))
            .unwrap();
        let status = booking["status"].as_s().unwrap();
        let start = booking["start"].as_n().unwrap();
        let claims = items
            .iter()
            .filter(|i| i["PK"].as_s().unwrap().contains("#CLAIM#"))
            .filter(|i| i.get("booking_id").and_then(|b| b.as_s().ok()) == Some(id))
            .count();
        // The timeline index entry is the booking itself, at its start.
        assert!(
            booking["TL_SK"]
                .as_s()
                .unwrap()
                .starts_with(&format!("{:0>12}#B#{id}", start)),
            "{id}"
        );
        if status == "cancelled" {
            assert_eq!(claims, 0, "{id}: a cancelled booking holds no claim");
        } else {
            assert_eq!(claims, 15, "{id}: 75 minutes of 5-minute claims");
        }
    }
}
