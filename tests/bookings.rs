//! Booking core against moto: availability, bookings that cannot double-book
//! (BOOK-1), idempotency (BOOK-3), manage links and encrypted customer data
//! (BOOK-4), and bad input.

use bookwarden_tests::booking::{book, book_from, booking_body, future_day, shop, slots};
use bookwarden_tests::identity::As;
use bookwarden_tests::{token_from_mail, TestApp};
use chrono::{Duration, Utc};
use serde_json::{json, Value};

const PROBLEMS: &str = "https://bookwarden.dev/problems/";

#[tokio::test]
async fn availability_follows_hours_in_the_tenant_zone_and_bookings_remove_slots() {
    let app = TestApp::new().await;
    let s = shop(&app, "avail").await;
    let day = future_day();
    let open = slots(&app, &s, day).await;
    // 09:00 Berlin is 07:00 or 08:00 UTC depending on DST; the last 60-minute slot starts 16:00 local.
    assert_eq!(open.len(), 29, "{open:?}");
    let first = open[0].clone();
    let r = book(&app, &s, &first, "cora@example.org", "k-1").await;
    assert_eq!(r.status, 201, "{}", r.body);
    let after = slots(&app, &s, day).await;
    // 09:00 is gone, and so are 09:15–10:00 (overlap) and 08:xx cannot exist; 10:15 is free after the buffer.
    assert!(!after.contains(&first));
    assert_eq!(
        open.len() - after.len(),
        5,
        "09:00, 09:15, 09:30, 09:45, 10:00 are blocked"
    );

    // Busy blocks imported from calendars block time too.
    let scope = app.scope_of(&s.owner.slug).await;
    let staff: bookwarden_shared::tenancy::UserId = s.owner_id.parse().unwrap();
    let noon = chrono::DateTime::parse_from_rfc3339(&after[8])
        .unwrap()
        .timestamp();
    bookwarden_shared::booking::catalog::add_busy_block(
        &app.platform.store,
        &scope,
        &staff,
        bookwarden_shared::booking::availability::Interval {
            start: noon,
            end: noon + 3600,
        },
        "test",
    )
    .await
    .unwrap();
    let with_busy = slots(&app, &s, day).await;
    assert!(!with_busy.contains(&after[8]));
    assert!(with_busy.len() < after.len());

    // A range over 62 days is refused.
    let far = day + Duration::days(70);
    let r = app
        .request(
            "GET",
            &format!(
                "/v1/public/tenants/{}/availability?service={}&from={day}&to={far}",
                s.owner.slug, s.service_id
            ),
            &[],
            b"",
        )
        .await;
    assert_eq!(r.status, 422);
}

#[tokio::test]
async fn fifty_concurrent_requests_for_one_slot_make_exactly_one_booking() {
    let app = TestApp::new().await;
    let s = shop(&app, "race").await;
    let start = slots(&app, &s, future_day()).await[4].clone();
    let emails: Vec<String> = (0..50).map(|i| format!("racer{i}@example.org")).collect();
    let keys: Vec<String> = (0..50).map(|i| format!("race-key-{i}")).collect();
    let ips: Vec<String> = (0..50).map(|i| format!("198.51.100.{}", i + 1)).collect();
    let requests = (0..50).map(|i| book_from(&app, &ips[i], &s, &start, &emails[i], &keys[i]));
    let responses = futures_util::future::join_all(requests).await;
    let created = responses.iter().filter(|r| r.status == 201).count();
    let conflicts: Vec<_> = responses.iter().filter(|r| r.status == 409).collect();
    assert_eq!((created, conflicts.len()), (1, 49));
    assert!(conflicts
        .iter()
        .all(|r| r.problem_type() == format!("{PROBLEMS}slot-taken")));
    // No orphan claims: every claim belongs to the one booking, and there are exactly its units.
    let items = app.scan().await;
    let booking_id = responses.iter().find(|r| r.status == 201).unwrap().json()["booking_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let claims: Vec<_> = items
        .iter()
        .filter(|i| i["PK"].as_s().unwrap().contains("#CLAIM#"))
        .collect();
    assert_eq!(claims.len(), (60 + 15) / 5);
    assert!(claims
        .iter()
        .all(|c| c["booking_id"].as_s().unwrap() == &booking_id));
    assert_eq!(
        items
            .iter()
            .filter(|i| i["SK"].as_s().unwrap().starts_with("BOOKING#"))
            .count(),
        1
    );
}

#[tokio::test]
async fn overlapping_bookings_conflict_cancel_releases_and_reschedule_is_atomic() {
    let app = TestApp::new().await;
    let s = shop(&app, "overlap").await;
    let open = slots(&app, &s, future_day()).await;
    let a = book(&app, &s, &open[0], "a@example.org", "a").await;
    assert_eq!(a.status, 201);
    // 09:30 overlaps 09:00–10:00 (+15 min buffer).
    let overlapping = book(&app, &s, &open[2], "b@example.org", "b").await;
    assert_eq!(overlapping.status, 409, "{}", overlapping.body);
    let id = a.json()["booking_id"].as_str().unwrap().to_owned();
    let t = &s.owner.tenant_id;

    // Reschedule to 13:00: the old slot frees, the new one is held, in one step.
    let moved = app
        .call(
            As::Session(&s.session),
            "POST",
            &format!("/v1/tenants/{t}/bookings/{id}/reschedule"),
            Some(json!({ "start": open[16] })),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    let now_open = slots(&app, &s, future_day()).await;
    assert!(now_open.contains(&open[0]) && !now_open.contains(&open[16]));
    let claims = app
        .scan()
        .await
        .into_iter()
        .filter(|i| i["PK"].as_s().unwrap().contains("#CLAIM#"))
        .count();
    assert_eq!(claims, 15, "exactly the moved booking's units");
    // Moving onto a taken slot fails and changes nothing.
    let b = book(&app, &s, &open[0], "b@example.org", "b2").await;
    assert_eq!(b.status, 201);
    let before = app.scan().await;
    let clash = app
        .call(
            As::Session(&s.session),
            "POST",
            &format!("/v1/tenants/{t}/bookings/{id}/reschedule"),
            Some(json!({ "start": open[1] })),
        )
        .await;
    assert_eq!(clash.status, 409);
    assert_eq!(app.scan().await, before);

    // Cancel releases the claims.
    let cancelled = app
        .call(
            As::Session(&s.session),
            "POST",
            &format!("/v1/tenants/{t}/bookings/{id}/cancel"),
            None,
        )
        .await;
    assert_eq!(cancelled.status, 204, "{}", cancelled.body);
    assert!(slots(&app, &s, future_day()).await.contains(&open[16]));
    let detail = app
        .call(
            As::Session(&s.session),
            "GET",
            &format!("/v1/tenants/{t}/bookings/{id}"),
            None,
        )
        .await;
    assert_eq!(detail.json()["status"], "cancelled");
}

#[tokio::test]
async fn retries_with_the_same_idempotency_key_return_the_original_booking() {
    let app = TestApp::new().await;
    let s = shop(&app, "idem").await;
    let open = slots(&app, &s, future_day()).await;
    let first = book(&app, &s, &open[3], "idem@example.org", "same-key").await;
    assert_eq!(first.status, 201);
    let retry = book(&app, &s, &open[3], "idem@example.org", "same-key").await;
    assert_eq!(retry.status, 200);
    assert_eq!(retry.json(), first.json());
    let other = book(&app, &s, &open[8], "idem@example.org", "same-key").await;
    assert_eq!(other.status, 409);
    assert_eq!(
        other.problem_type(),
        format!("{PROBLEMS}idempotency-key-reused")
    );
    assert_eq!(
        app.scan()
            .await
            .iter()
            .filter(|i| i["SK"].as_s().unwrap().starts_with("BOOKING#"))
            .count(),
        1
    );
    assert_eq!(
        app.mail_to("idem@example.org").await.len(),
        1,
        "one confirmation"
    );
    let missing = app
        .request(
            "POST",
            &format!("/v1/public/tenants/{}/bookings", s.owner.slug),
            &[("content-type", "application/json")],
            booking_body(&s, &open[5], "x@example.org")
                .to_string()
                .as_bytes(),
        )
        .await;
    assert_eq!(missing.status, 422);
}

#[tokio::test]
async fn a_retry_racing_its_first_attempt_gets_the_original_or_in_progress_never_a_verdict() {
    let app = TestApp::new().await;
    let s = shop(&app, "race").await;
    let open = slots(&app, &s, future_day()).await;
    // The same request (key and body) twelve times at once, as a client that
    // timed out and retried would send it.
    let attempts = (0..12).map(|_| book(&app, &s, &open[2], "racer@example.org", "race-key"));
    let answers = futures_util::future::join_all(attempts).await;
    let mut booking_ids = std::collections::BTreeSet::new();
    for r in &answers {
        match r.status {
            200 | 201 => {
                booking_ids.insert(r.json()["booking_id"].as_str().unwrap().to_owned());
            }
            409 => {
                assert_eq!(
                    r.problem_type(),
                    format!("{PROBLEMS}idempotency-key-in-progress"),
                    "{}",
                    r.body
                );
                assert_eq!(r.header("retry-after"), Some("1"));
            }
            other => panic!("{other}: {}", r.body),
        }
    }
    assert_eq!(booking_ids.len(), 1, "{booking_ids:?}");
    assert_eq!(
        answers.iter().filter(|r| r.status == 201).count(),
        1,
        "one attempt made the booking"
    );
    // Once it finished, every retry gets the original answer.
    let later = book(&app, &s, &open[2], "racer@example.org", "race-key").await;
    assert_eq!(later.status, 200, "{}", later.body);
    assert_eq!(
        later.json()["booking_id"].as_str().unwrap(),
        booking_ids.iter().next().unwrap()
    );
    // A refused attempt leaves no answer under its key: the client may retry
    // it (the slot may have opened) or send another body with it.
    let taken = book(&app, &s, &open[2], "other@example.org", "second-key").await;
    assert_eq!(taken.status, 409);
    assert_eq!(taken.problem_type(), format!("{PROBLEMS}slot-taken"));
    let elsewhere = book(&app, &s, &open[12], "other@example.org", "second-key").await;
    assert_eq!(elsewhere.status, 201, "{}", elsewhere.body);
}

#[tokio::test]
async fn customers_manage_their_booking_through_the_emailed_link_only() {
    let app = TestApp::new().await;
    let s = shop(&app, "manage").await;
    let open = slots(&app, &s, future_day()).await;
    let r = book(&app, &s, &open[0], "cust@example.org", "m-1").await;
    assert_eq!(r.status, 201);
    assert!(
        !r.body.contains("token"),
        "the manage link travels by email only"
    );
    let mail = app.mail_to("cust@example.org").await;
    assert!(
        bookwarden_tests::decoded(&mail[0]).contains("/email-preferences"),
        "every message links to preferences"
    );
    let token = token_from_mail(&mail[0]);
    let ics = calendar_part(&mail[0]);
    assert!(
        ics.contains("BEGIN:VCALENDAR") && ics.contains("STATUS:CONFIRMED"),
        "{ics}"
    );
    let public_key = app.platform.mailer.dkim_public_key().await.unwrap();
    assert!(bookwarden_tests::dkim_verifies(
        mail[0].as_bytes(),
        "bookwarden",
        "mail.bookwarden.test",
        &public_key
    ));
    assert!(
        app.mail_to(&s.owner.email)
            .await
            .iter()
            .any(|m| m.contains("New appointment booked")),
        "the staff member is told"
    );
    let view = app
        .post_json("/v1/public/bookings/view", &json!({ "token": token }))
        .await;
    assert_eq!(view.status, 200, "{}", view.body);
    assert_eq!(view.json()["customer_email"], "cust@example.org");
    let wrong = app
        .post_json(
            "/v1/public/bookings/view",
            &json!({ "token": bookwarden_shared::crypto::SecretToken::generate().expose() }),
        )
        .await;
    assert_eq!(wrong.status, 404);
    let moved = app
        .post_json(
            "/v1/public/bookings/reschedule",
            &json!({ "token": token, "start": open[12] }),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    let cancelled = app
        .post_json("/v1/public/bookings/cancel", &json!({ "token": token }))
        .await;
    assert_eq!(cancelled.status, 204);
    assert_eq!(
        app.post_json("/v1/public/bookings/cancel", &json!({ "token": token }))
            .await
            .status,
        404
    );
    assert!(app
        .mail_to("cust@example.org")
        .await
        .iter()
        .any(|m| m.contains("was cancelled")));

    // Inside the cancellation window customers can no longer change it online.
    let t = &s.owner.tenant_id;
    let r = app
        .call(
            As::Session(&s.session),
            "PATCH",
            &format!("/v1/tenants/{t}/settings"),
            Some(json!({ "cancellation_window_hours": 168 })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = book(&app, &s, &open[20], "late@example.org", "m-2").await;
    let late_token = token_from_mail(&app.mail_to("late@example.org").await[0]);
    assert_eq!(r.status, 201);
    let refused = app
        .post_json(
            "/v1/public/bookings/cancel",
            &json!({ "token": late_token }),
        )
        .await;
    assert!(
        refused.status == 409 || refused.status == 204,
        "{}",
        refused.body
    );
}

#[tokio::test]
async fn customer_data_and_answers_are_encrypted_and_staff_see_only_their_bookings() {
    let app = TestApp::new().await;
    let s = shop(&app, "private").await;
    let t = s.owner.tenant_id.clone();
    let form = json!({ "questions": [
        { "id": "allergies", "label": "Allergies?", "kind": "short_text" },
        { "id": "length", "label": "Hair length", "kind": "choice", "required": true, "options": ["short", "long"] }
    ]});
    assert_eq!(
        app.call(
            As::Session(&s.session),
            "PUT",
            &format!("/v1/tenants/{t}/booking-form"),
            Some(form)
        )
        .await
        .status,
        200
    );
    let open = slots(&app, &s, future_day()).await;
    let mut body = booking_body(&s, &open[0], "secret.customer@example.org");
    body["answers"] = json!({ "allergies": "peanuts and penicillin", "length": "long" });
    let r = app
        .request(
            "POST",
            &format!("/v1/public/tenants/{}/bookings", s.owner.slug),
            &[
                ("content-type", "application/json"),
                ("idempotency-key", "enc-1"),
            ],
            body.to_string().as_bytes(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let dump = format!("{:?}", app.scan().await);
    for secret in ["secret.customer", "Cora Customer", "peanuts", "1234567"] {
        assert!(!dump.contains(secret), "{secret} stored in plaintext");
    }
    let id = r.json()["booking_id"].as_str().unwrap().to_owned();
    let detail = app
        .call(
            As::Session(&s.session),
            "GET",
            &format!("/v1/tenants/{t}/bookings/{id}"),
            None,
        )
        .await;
    assert_eq!(
        detail.json()["answers"]["allergies"],
        "peanuts and penicillin"
    );

    // A staff member who does not deliver it sees neither the booking nor its details.
    let (_, staff) = app.member(&s.session, &s.owner, "staff").await;
    let day = future_day();
    let from = format!("{day}T00:00:00Z");
    let to = format!("{}T00:00:00Z", day + Duration::days(1));
    let list = app
        .call(
            As::Session(&staff),
            "GET",
            &format!("/v1/tenants/{t}/bookings?from={from}&to={to}"),
            None,
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.json()["bookings"].as_array().unwrap().is_empty());
    assert_eq!(
        app.call(
            As::Session(&staff),
            "GET",
            &format!("/v1/tenants/{t}/bookings/{id}"),
            None
        )
        .await
        .status,
        404
    );
    let owner_list = app
        .call(
            As::Session(&s.session),
            "GET",
            &format!("/v1/tenants/{t}/bookings?from={from}&to={to}"),
            None,
        )
        .await;
    assert_eq!(owner_list.json()["bookings"].as_array().unwrap().len(), 1);
    assert!(
        !owner_list.body.contains("secret.customer"),
        "listings carry no personal data"
    );
}

#[tokio::test]
async fn bad_booking_input_gets_a_problem_and_changes_nothing() {
    let app = TestApp::new().await;
    let s = shop(&app, "badbook").await;
    let open = slots(&app, &s, future_day()).await;
    let before = app.scan().await;
    let past = "2020-01-06T09:00:00Z".to_owned();
    let off_grid = open[0].replace(":00:00Z", ":07:00Z");
    let night = format!("{}T01:00:00Z", future_day());
    let with = |field: &str, value: Value| {
        let mut b = booking_body(&s, &open[0], "bad@example.org");
        b[field] = value;
        b
    };
    let cases = vec![
        (
            "past start",
            booking_body(&s, &past, "bad@example.org"),
            422,
        ),
        (
            "misaligned start",
            booking_body(&s, &off_grid, "bad@example.org"),
            422,
        ),
        (
            "outside hours",
            booking_body(&s, &night, "bad@example.org"),
            409,
        ),
        (
            "unknown service",
            with("service_id", "0000000000000000000000000z".into()),
            422,
        ),
        (
            "unknown staff",
            with("staff_id", "0000000000000000000000000z".into()),
            422,
        ),
        ("bad email", with("customer_email", "nope".into()), 422),
        (
            "bad phone",
            with("customer_phone", "call me maybe".into()),
            422,
        ),
        (
            "unknown answer",
            with("answers", json!({ "shoe_size": "42" })),
            422,
        ),
        ("not a time", with("start", "tomorrow".into()), 422),
    ];
    for (what, body, status) in cases {
        let r = app
            .request(
                "POST",
                &format!("/v1/public/tenants/{}/bookings", s.owner.slug),
                &[
                    ("content-type", "application/json"),
                    ("idempotency-key", &what.replace(" ", "-")),
                ],
                body.to_string().as_bytes(),
            )
            .await;
        assert_eq!(r.status, status, "{what}: {}", r.body);
        r.problem_type();
        assert_eq!(app.scan().await, before, "{what} changed the table");
    }
    let t = &s.owner.tenant_id;
    let bad_services = [
        json!({ "name": "X", "duration_minutes": 3, "staff_ids": [s.owner_id] }),
        json!({ "name": "X", "duration_minutes": 481, "staff_ids": [s.owner_id] }),
        json!({ "name": "X", "duration_minutes": 60, "buffer_before_minutes": 7, "staff_ids": [s.owner_id] }),
        json!({ "name": "X", "duration_minutes": 480, "buffer_after_minutes": 30, "staff_ids": [s.owner_id] }),
        json!({ "name": "X", "duration_minutes": 60, "staff_ids": ["0000000000000000000000000z"] }),
    ];
    for body in bad_services {
        let r = app
            .call(
                As::Session(&s.session),
                "POST",
                &format!("/v1/tenants/{t}/services"),
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status, 422, "{body}: {}", r.body);
    }
    let overlapping = json!({ "weekly": [[{ "from": 540, "to": 720 }, { "from": 700, "to": 800 }], [], [], [], [], [], []], "exceptions": [] });
    let inverted = json!({ "weekly": [[{ "from": 720, "to": 540 }], [], [], [], [], [], []], "exceptions": [] });
    for schedule in [overlapping, inverted] {
        let r = app
            .call(
                As::Session(&s.session),
                "PUT",
                &format!("/v1/tenants/{t}/staff/{}/schedule", s.owner_id),
                Some(schedule),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
    }
    assert_eq!(app.scan().await, before);
}

#[tokio::test]
async fn a_failed_send_does_not_fail_the_booking_and_the_outbox_delivers_it_once() {
    use bookwarden_shared::email::outbox::{send_due, send_recent};
    let app = TestApp::new().await;
    let s = shop(&app, "outbox").await;
    let open = slots(&app, &s, future_day()).await;
    let broken = app.platform_without_ses();

    let r = book(&app, &s, &open[0], "queued@example.org", "o-1").await;
    assert_eq!(r.status, 201, "{}", r.body);
    let items = app.scan().await;
    let queued: Vec<_> = items
        .iter()
        .filter(|i| i.get("outbox_state").and_then(|v| v.as_s().ok()) == Some(&"open".to_owned()))
        .collect();
    assert_eq!(queued.len(), 1, "one entry for the booking's messages");
    assert!(
        !format!("{queued:?}").contains("queued@example.org"),
        "the queued message is sealed"
    );

    // SES is down when the sender runs: both messages wait, with backoff.
    let now = bookwarden_shared::clock::now_unix();
    let report = send_recent(&broken, now).await.unwrap();
    assert_eq!((report.sent, report.failed), (0, 2));
    assert!(app.sent_to("queued@example.org").await.is_empty());
    // Not yet due again.
    assert_eq!(send_due(&app.platform, now + 62).await.unwrap().sent, 0);
    // SES is back: the safety net delivers them, and later runs never again.
    let report = send_due(&app.platform, now + 3600).await.unwrap();
    assert_eq!(report.sent, 2);
    assert_eq!(send_due(&app.platform, now + 86_400).await.unwrap().sent, 0);
    let mail = app.sent_to("queued@example.org").await;
    assert_eq!(mail.len(), 1, "delivered exactly once");
    assert!(mail[0].starts_with("DKIM-Signature:"));
    let entry = app
        .scan()
        .await
        .into_iter()
        .find(|i| i.get("SK") == queued[0].get("SK"))
        .unwrap();
    assert_eq!(entry["outbox_state"].as_s().unwrap(), "sent");
    assert!(
        !entry.contains_key("mail"),
        "the message is not kept once sent"
    );
    assert!(!entry.contains_key("DUE_PK"), "and it leaves the due index");
}

#[tokio::test]
async fn a_sender_killed_between_commit_and_send_loses_nothing_and_sends_once() {
    use bookwarden_functions::jobs::{send_stream_batch, StreamEvent};
    let app = TestApp::new().await;
    let s = shop(&app, "killed").await;
    let open = slots(&app, &s, future_day()).await;
    // The request commits and its function dies: nothing ran the sender.
    let r = book(&app, &s, &open[0], "once@example.org", "k-1").await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(app.sent_to("once@example.org").await.is_empty());
    // The records the table's stream holds, through the template's filter,
    // as Lambda would deliver them to the sender.
    let template = std::fs::read_to_string(
        bookwarden_functions::local::moto::repo_root().join("template.yaml"),
    )
    .unwrap();
    let filter = template
        .lines()
        .find_map(|l| l.trim().strip_prefix("- Pattern: '"))
        .and_then(|l| l.strip_suffix('\''))
        .expect("the sender's filter pattern");
    let out = std::process::Command::new(bookwarden_functions::local::moto::python())
        .arg(bookwarden_functions::local::moto::repo_root().join("infra/local/stream_event.py"))
        .args([&bookwarden_tests::moto().endpoint, &app.table, filter])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let delivered: Value = serde_json::from_slice(&out.stdout).unwrap();
    let records = delivered["Records"].as_array().unwrap();
    let open_entries: Vec<_> = app
        .scan()
        .await
        .into_iter()
        .filter(|i| i.get("outbox_state").and_then(|v| v.as_s().ok()) == Some(&"open".to_owned()))
        .collect();
    assert_eq!(open_entries.len(), 1);
    let record = records
        .iter()
        .find(|r| {
            r["dynamodb"]["Keys"]["SK"]["S"] == open_entries[0]["SK"].as_s().unwrap().as_str()
        })
        .expect("the filter passes the booking's outbox entry")
        .clone();
    assert!(
        records.iter().all(|r| r["dynamodb"]["Keys"]["PK"]["S"]
            .as_str()
            .unwrap()
            .ends_with("#OUTBOX")),
        "and nothing but outbox entries"
    );
    let event = |_: &str| -> StreamEvent {
        serde_json::from_value(json!({ "Records": [record.clone()] })).unwrap()
    };
    // The stream delivers the record twice (a retry) while the safety net
    // runs at the same time: one of them sends, the others find it claimed.
    let later = bookwarden_shared::clock::now_unix() + 61;
    let (a, b, c) = tokio::join!(
        send_stream_batch(&app.platform, event("1")),
        send_stream_batch(&app.platform, event("1")),
        bookwarden_shared::email::outbox::send_due(&app.platform, later),
    );
    assert!(a.batch_item_failures.is_empty() && b.batch_item_failures.is_empty());
    c.unwrap();
    // And once more, long after: nothing is sent again.
    send_stream_batch(&app.platform, event("2")).await;
    bookwarden_shared::email::outbox::send_due(&app.platform, later + 86_400)
        .await
        .unwrap();
    assert_eq!(app.sent_to("once@example.org").await.len(), 1);
}

/// The iCalendar attachment of a raw message, decoded.
fn calendar_part(raw: &str) -> String {
    use base64::Engine;
    let at = raw
        .find("Content-Type: text/calendar")
        .expect("a calendar attachment");
    let part = &raw[at..];
    let (headers, rest) = part.split_once("\r\n\r\n").unwrap();
    let body: String = rest.split("\r\n--").next().unwrap().to_owned();
    if headers.contains("base64") {
        let compact: String = body.split_whitespace().collect();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .unwrap(),
        )
        .unwrap()
    } else {
        bookwarden_tests::decoded(&body)
    }
}

#[tokio::test]
async fn reminders_carry_one_click_unsubscribe_and_it_is_honoured() {
    let app = TestApp::new().await;
    let s = shop(&app, "unsub").await;
    let open = slots(&app, &s, future_day()).await;
    let r = book(&app, &s, &open[0], "remind@example.org", "u-1").await;
    assert_eq!(r.status, 201);
    let scope = app.scope_of(&s.owner.slug).await;
    let id = r.json()["booking_id"].as_str().unwrap().to_owned();
    let booking = bookwarden_shared::booking::bookings::load(&app.platform, &scope, &id)
        .await
        .unwrap()
        .unwrap();
    // The reminder job at the reminder's time (24 hours before, by default)
    // queues it once, however often it runs.
    let due = bookwarden_shared::booking::reminders::pending(&booking).expect("a reminder");
    assert_eq!(due, booking.record.number("start").unwrap() - 86_400);
    use bookwarden_shared::booking::reminders::send_due;
    assert_eq!(send_due(&app.platform, due - 1).await.unwrap().queued, 0);
    assert_eq!(send_due(&app.platform, due).await.unwrap().queued, 1);
    assert_eq!(send_due(&app.platform, due + 300).await.unwrap().queued, 0);
    let reminder = app
        .mail_to("remind@example.org")
        .await
        .into_iter()
        .find(|m| m.contains("Reminder"))
        .unwrap();
    assert!(reminder.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    let dkim = reminder.lines().next().unwrap().to_owned();
    assert!(
        dkim.contains("list-unsubscribe:list-unsubscribe-post"),
        "both headers are signed: {dkim}"
    );
    let public_key = app.platform.mailer.dkim_public_key().await.unwrap();
    assert!(bookwarden_tests::dkim_verifies(
        reminder.as_bytes(),
        "bookwarden",
        "mail.bookwarden.test",
        &public_key
    ));

    let header = bookwarden_tests::decoded(&reminder);
    let start = header.find("List-Unsubscribe: <").unwrap() + "List-Unsubscribe: <".len();
    let url = &header[start..start + header[start..].find('>').unwrap()];
    let path = &url[url.find("/v1/").unwrap()..];
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let tampered = path.replace("sig=", "sig=0");
    assert_eq!(
        app.request("POST", &tampered, &form, b"List-Unsubscribe=One-Click")
            .await
            .status,
        404
    );
    assert_eq!(
        app.request("POST", path, &[("content-type", "application/json")], b"{}")
            .await
            .status,
        415
    );
    assert_eq!(
        app.request("POST", path, &form, b"something=else")
            .await
            .status,
        400
    );
    assert_eq!(app.request("GET", path, &[], b"").await.status, 405);
    let done = app
        .request("POST", path, &form, b"List-Unsubscribe=One-Click")
        .await;
    assert_eq!(done.status, 204, "{}", done.body);

    // A second booking's reminder for the same person is not sent now.
    let before = app.mail_to("remind@example.org").await.len();
    let second = book(&app, &s, open.last().unwrap(), "remind@example.org", "u-2").await;
    assert_eq!(second.status, 201, "{}", second.body);
    let after_confirmation = app.mail_to("remind@example.org").await.len();
    assert_eq!(after_confirmation, before + 1);
    let second = bookwarden_shared::booking::bookings::load(
        &app.platform,
        &scope,
        second.json()["booking_id"].as_str().unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let due = bookwarden_shared::booking::reminders::pending(&second).unwrap();
    assert_eq!(send_due(&app.platform, due).await.unwrap().queued, 1);
    let report = app.deliver_mail().await;
    assert_eq!((report.sent, report.skipped), (0, 1), "{report:?}");
    let before = after_confirmation;
    assert_eq!(
        app.mail_to("remind@example.org").await.len(),
        before,
        "no reminder after unsubscribing"
    );
}

#[tokio::test]
async fn limits_windows_and_tenant_boundaries_hold_for_customers() {
    let app = TestApp::new().await;
    let s = shop(&app, "limits").await;
    let other = shop(&app, "neighbour").await;
    let open = slots(&app, &s, future_day()).await;

    // Another tenant's service cannot be booked through this tenant's page.
    let mut body = booking_body(&s, &open[0], "x@example.org");
    body["service_id"] = other.service_id.clone().into();
    let path = format!("/v1/public/tenants/{}/bookings", s.owner.slug);
    let headers = [
        ("content-type", "application/json"),
        ("idempotency-key", "cross"),
    ];
    let r = app
        .request("POST", &path, &headers, body.to_string().as_bytes())
        .await;
    assert_eq!(r.status, 422, "{}", r.body);

    // Oversized answers are refused.
    let form = json!({ "questions": [{ "id": "notes", "label": "Notes", "kind": "long_text" }] });
    let t = &s.owner.tenant_id;
    assert_eq!(
        app.call(
            As::Session(&s.session),
            "PUT",
            &format!("/v1/tenants/{t}/booking-form"),
            Some(form)
        )
        .await
        .status,
        200
    );
    let mut body = booking_body(&s, &open[0], "x@example.org");
    body["answers"] = json!({ "notes": "x".repeat(2001) });
    let headers = [
        ("content-type", "application/json"),
        ("idempotency-key", "long"),
    ];
    assert_eq!(
        app.request("POST", &path, &headers, body.to_string().as_bytes())
            .await
            .status,
        422
    );

    // One client address may create 20 bookings per 15 minutes.
    let mut starts = Vec::new();
    for k in 0..8 {
        let day_slots = slots(&app, &s, future_day() + Duration::days(k)).await;
        starts.extend(day_slots.into_iter().step_by(5).take(6));
    }
    for round in 0..2 {
        let window = bookwarden_tests::limit_window(900);
        let mut statuses = Vec::new();
        for (i, start) in starts.iter().skip(round * 21).take(21).enumerate() {
            let r = book_from(
                &app,
                &format!("192.0.2.{}", 77 + round),
                &s,
                start,
                &format!("c{round}-{i}@example.org"),
                &format!("lim-{round}-{i}"),
            )
            .await;
            statuses.push(r.status);
        }
        if bookwarden_tests::limit_window(900) != window {
            continue;
        }
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            20,
            "{statuses:?}"
        );
        assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
        break;
    }

    // One recipient gets at most 10 messages per hour from one tenant; the
    // rest wait for the next hour instead of being dropped.
    let scope = app.scope_of(&other.owner.slug).await;
    let other_open = slots(&app, &other, future_day()).await;
    let r = book(&app, &other, &other_open[0], "flooded@example.org", "f-1").await;
    let id = r.json()["booking_id"].as_str().unwrap().to_owned();
    let booking = bookwarden_shared::booking::bookings::load(&app.platform, &scope, &id)
        .await
        .unwrap()
        .unwrap();
    let ctx = bookwarden_shared::booking::context::TenantContext::load(&app.platform, &scope)
        .await
        .unwrap()
        .unwrap();
    for _ in 0..12 {
        let message =
            bookwarden_shared::booking::mail::reminder(&app.platform, &scope, &ctx, &booking)
                .await
                .unwrap();
        let entry = bookwarden_shared::email::outbox::entry(&app.platform, &scope, &[message])
            .await
            .unwrap();
        app.platform.store.transact(vec![entry]).await.unwrap();
    }
    let window = bookwarden_tests::limit_window(3600);
    let delivered = app.mail_to("flooded@example.org").await.len();
    if bookwarden_tests::limit_window(3600) == window {
        assert_eq!(delivered, 10, "1 confirmation + 9 reminders now");
        let next_hour = (window + 1) * 3600;
        let report = bookwarden_shared::email::outbox::send_due(&app.platform, next_hour + 1)
            .await
            .unwrap();
        assert!(report.sent >= 3, "the other 3 in the next hour: {report:?}");
        assert_eq!(app.sent_to("flooded@example.org").await.len(), 13);
    }
}

#[tokio::test]
async fn customers_cannot_change_a_booking_inside_the_cancellation_window() {
    let app = TestApp::new().await;
    let s = shop(&app, "window").await;
    let soon = Utc::now().date_naive() + Duration::days(2);
    let open = slots(&app, &s, soon).await;
    let r = book(&app, &s, &open[0], "soon@example.org", "w-1").await;
    assert_eq!(r.status, 201, "{}", r.body);
    let token = token_from_mail(&app.mail_to("soon@example.org").await[0]);
    let t = &s.owner.tenant_id;
    let settings = app
        .call(
            As::Session(&s.session),
            "PATCH",
            &format!("/v1/tenants/{t}/settings"),
            Some(json!({ "cancellation_window_hours": 168 })),
        )
        .await;
    assert_eq!(settings.status, 200);
    let refused = app
        .post_json("/v1/public/bookings/cancel", &json!({ "token": token }))
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(
        refused.problem_type(),
        format!("{PROBLEMS}too-late-to-change")
    );
    // The business can still cancel it.
    let id = r.json()["booking_id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.call(
            As::Session(&s.session),
            "POST",
            &format!("/v1/tenants/{t}/bookings/{id}/cancel"),
            None
        )
        .await
        .status,
        204
    );
}

/// An SES event fixture of the documented shape, for this tenant and address.
fn ses_fixture(name: &str, tenant: &str, email: &str) -> serde_json::Value {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(
        &text
            .replace("{{TENANT}}", tenant)
            .replace("{{EMAIL}}", email),
    )
    .unwrap()
}

#[tokio::test]
async fn permanent_bounces_and_complaints_suppress_the_recipient_for_that_tenant_only() {
    use bookwarden_functions::jobs::record_feedback;
    let app = TestApp::new().await;
    let s = shop(&app, "bounce").await;
    let other = shop(&app, "notbounced").await;
    let open = slots(&app, &s, future_day()).await;
    let t = s.owner.tenant_id.clone();

    // A transient bounce (a full mailbox) suppresses nobody.
    let transient = ses_fixture("ses-bounce-transient.sns.json", &t, "full@example.org");
    let report = record_feedback(&app.platform, &transient).await.unwrap();
    assert_eq!((report.suppressed, report.ignored), (0, 1));
    // A permanent bounce (SNS) and a complaint (EventBridge) do, idempotently.
    for _ in 0..2 {
        let bounce = ses_fixture("ses-bounce-permanent.sns.json", &t, "gone@example.org");
        assert_eq!(
            record_feedback(&app.platform, &bounce)
                .await
                .unwrap()
                .suppressed,
            1
        );
    }
    let complaint = ses_fixture("ses-complaint.eventbridge.json", &t, "spam@example.org");
    assert_eq!(
        record_feedback(&app.platform, &complaint)
            .await
            .unwrap()
            .suppressed,
        1
    );
    // An event whose tag names no tenant, or garbage, changes nothing.
    let untagged = ses_fixture("ses-bounce-permanent.sns.json", "nope", "x@example.org");
    assert_eq!(
        record_feedback(&app.platform, &untagged)
            .await
            .unwrap()
            .suppressed,
        0
    );
    assert_eq!(
        record_feedback(
            &app.platform,
            &json!({ "Records": [{ "Sns": { "Message": "{" } }] })
        )
        .await
        .unwrap()
        .suppressed,
        0
    );

    let items = app.scan().await;
    let suppressed: Vec<_> = items
        .iter()
        .filter(|i| i["SK"].as_s().unwrap().starts_with("SUPPRESS#"))
        .collect();
    assert_eq!(suppressed.len(), 2);
    assert!(
        !format!("{items:?}").contains("gone@example.org"),
        "only the keyed hash is stored"
    );

    // The sender skips them and says why; the staff note still goes out.
    for (i, who) in ["gone@example.org", "spam@example.org", "full@example.org"]
        .iter()
        .enumerate()
    {
        let start = [&open[0], &open[open.len() / 2], &open[open.len() - 1]][i];
        let r = book(&app, &s, start, who, &format!("b-{i}")).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let report = app.deliver_mail().await;
    assert_eq!((report.sent, report.skipped), (4, 2), "{report:?}");
    assert!(app.sent_to("gone@example.org").await.is_empty());
    assert!(app.sent_to("spam@example.org").await.is_empty());
    assert_eq!(app.sent_to("full@example.org").await.len(), 1);
    let skipped: Vec<String> = app
        .scan()
        .await
        .iter()
        .filter_map(|i| i.get("skipped")?.as_l().ok().cloned())
        .flatten()
        .filter_map(|v| v.as_s().ok().cloned())
        .collect();
    assert_eq!(
        skipped,
        vec!["0:suppressed".to_owned(), "0:suppressed".to_owned()]
    );

    // Another business still reaches the address.
    let other_open = slots(&app, &other, future_day()).await;
    let r = book(&app, &other, &other_open[0], "gone@example.org", "b-other").await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(app.mail_to("gone@example.org").await.len(), 1);
}

#[tokio::test]
async fn a_warm_booking_is_one_transaction_and_three_reads_with_no_kms_or_ses() {
    let app = TestApp::new().await;
    let s = shop(&app, "hotpath").await;
    let day = future_day();
    let open = slots(&app, &s, day).await;
    // Warm: the function has its tenant's keys cached after a first request.
    let r = book(&app, &s, &open[0], "warm@example.org", "h-0").await;
    assert_eq!(r.status, 201, "{}", r.body);
    app.deliver_mail().await;

    let (kms, ops) = (app.kms_calls.get(), app.ddb_calls.operations().len());
    let r = book(&app, &s, open.last().unwrap(), "hot@example.org", "h-1").await;
    assert_eq!(r.status, 201, "{}", r.body);
    let booking_ops = app.ddb_calls.operations()[ops..].to_vec();
    let writes = booking_ops
        .iter()
        .filter(|o| *o == "TransactWriteItems")
        .count();
    assert_eq!(writes, 1, "{booking_ops:?}");
    assert!(
        booking_ops.len() <= 4,
        "1 transaction + 3 reads: {booking_ops:?}"
    );
    assert_eq!(app.kms_calls.get(), kms, "no KMS call on a warm booking");
    assert!(
        app.sent_to("hot@example.org").await.is_empty(),
        "no SES call in the request: the sender sends it"
    );
    assert_eq!(app.mail_to("hot@example.org").await.len(), 1);

    // Availability for a month: at most 3 round trips.
    let ops = app.ddb_calls.operations().len();
    let to = day + Duration::days(30);
    let r = app
        .request(
            "GET",
            &format!(
                "/v1/public/tenants/{}/availability?service={}&from={day}&to={to}",
                s.owner.slug, s.service_id
            ),
            &[],
            b"",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let availability_ops = app.ddb_calls.operations()[ops..].to_vec();
    assert!(availability_ops.len() <= 3, "{availability_ops:?}");
}

#[tokio::test]
async fn mail_speaks_the_business_language_with_times_in_its_zone() {
    let app = TestApp::new().await;
    let s = shop(&app, "sprache").await;
    let t = &s.owner.tenant_id;
    let settings = |body: Value| {
        let app = &app;
        let s = &s;
        async move {
            app.call(
                As::Session(&s.session),
                "PATCH",
                &format!("/v1/tenants/{t}/settings"),
                Some(body),
            )
            .await
        }
    };
    let before = app.scan().await;
    for bad in [
        json!({ "language": "xx" }),
        json!({ "language": "DE" }),
        json!({ "reminder_offsets_minutes": [60, 120, 180, 240] }),
        json!({ "reminder_offsets_minutes": [4] }),
        json!({ "reminder_offsets_minutes": [60, 60] }),
        json!({ "reminder_offsets_minutes": [20000] }),
    ] {
        let r = settings(bad.clone()).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.body);
    }
    assert_eq!(
        app.scan().await.len(),
        before.len(),
        "refusals change nothing"
    );
    let r = settings(json!({ "language": "de", "reminder_offsets_minutes": [60, 1440] })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["language"], "de");
    assert_eq!(r.json()["reminder_offsets_minutes"], json!([1440, 60]));

    let open = slots(&app, &s, future_day()).await;
    let r = book(&app, &s, &open[0], "kundin@example.org", "de-1").await;
    assert_eq!(r.status, 201, "{}", r.body);
    let mail = app.mail_to("kundin@example.org").await;
    let text = bookwarden_tests::decoded(&mail[0]);
    assert!(text.contains("Hallo Cora Customer"), "{text}");
    assert!(text.contains("(Europe/Berlin, UTC+0"), "{text}");
    assert!(!text.contains("(UTC)"), "{text}");
    // Two reminders, the first a day before.
    let scope = app.scope_of(&s.owner.slug).await;
    let id = r.json()["booking_id"].as_str().unwrap().to_owned();
    let load = || bookwarden_shared::booking::bookings::load(&app.platform, &scope, &id);
    let booking = load().await.unwrap().unwrap();
    let start = booking.record.number("start").unwrap();
    let first = bookwarden_shared::booking::reminders::pending(&booking).unwrap();
    assert_eq!(first, start - 86_400);
    use bookwarden_shared::booking::reminders::send_due;
    assert_eq!(send_due(&app.platform, first).await.unwrap().queued, 1);
    let second = bookwarden_shared::booking::reminders::pending(&load().await.unwrap().unwrap());
    assert_eq!(second, Some(start - 3600));

    // Moved: reminders follow the new time only. Cancelled: none at all.
    let token = token_from_mail(&mail[0]);
    let new_start = open[open.len() - 1].clone();
    let r = app
        .post_json(
            "/v1/public/bookings/reschedule",
            &json!({ "token": token, "start": new_start }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let moved = load().await.unwrap().unwrap();
    let new_start = moved.record.number("start").unwrap();
    assert_eq!(
        bookwarden_shared::booking::reminders::pending(&moved),
        Some(new_start - 86_400),
        "the new time's reminders start over"
    );
    assert_eq!(
        send_due(&app.platform, start - 3600).await.unwrap().queued,
        0
    );
    let r = app
        .post_json("/v1/public/bookings/cancel", &json!({ "token": token }))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        bookwarden_shared::booking::reminders::pending(&load().await.unwrap().unwrap()),
        None
    );
    for at in [new_start - 86_400, new_start - 3600] {
        assert_eq!(send_due(&app.platform, at).await.unwrap().queued, 0);
    }
    let all = app.mail_to("kundin@example.org").await;
    assert_eq!(all.len(), 4, "confirmation, reminder, moved, cancelled");
}
