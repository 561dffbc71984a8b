//! PRIV-3 and CRY-6: closing a business stops it at once and keeps its data
//! restorable for 60 days; the purge then destroys its root key and deletes
//! every item, so even a backup of the table taken before the purge, restored
//! afterwards, yields nothing readable.

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use bookwarden_shared::accounts::closure::RESTORE_WINDOW_SECS;
use bookwarden_shared::accounts::purge::{self, PurgeReport};
use bookwarden_shared::crypto::{CryptoError, Envelope, FieldBinding, Purpose};
use bookwarden_tests::booking::{book, future_day, shop, slots, Shop};
use bookwarden_tests::export::archive_exists;
use bookwarden_tests::identity::{session_from, As, Session};
use bookwarden_tests::{TestApp, TestResponse};
use serde_json::json;

fn now() -> i64 {
    bookwarden_shared::clock::now_unix()
}

async fn close(app: &TestApp, who: As<'_>, tenant: &str, password: &str) -> TestResponse {
    app.call(
        who,
        "DELETE",
        &format!("/v1/tenants/{tenant}"),
        Some(json!({ "password": password })),
    )
    .await
}

async fn restore(app: &TestApp, who: As<'_>, tenant: &str, password: &str) -> TestResponse {
    app.call(
        who,
        "POST",
        &format!("/v1/tenants/{tenant}/restoration"),
        Some(json!({ "password": password })),
    )
    .await
}

/// Each body is refused with a 4xx.
async fn refuses_each(
    app: &TestApp,
    who: As<'_>,
    method: &str,
    path: &str,
    bodies: &[serde_json::Value],
) {
    for body in bodies {
        let r = app
            .call(who.clone(), method, path, Some(body.clone()))
            .await;
        assert!(
            (400..500).contains(&r.status),
            "{body}: {} {}",
            r.status,
            r.body
        );
    }
}

async fn public_availability(app: &TestApp, s: &Shop) -> u16 {
    let day = future_day();
    app.request(
        "GET",
        &format!(
            "/v1/public/tenants/{}/availability?service={}&from={day}&to={day}",
            s.owner.slug, s.service_id
        ),
        &[],
        b"",
    )
    .await
    .status
}

/// Items of the table whose key or tenant attribute belongs to `tenant`.
async fn items_of(app: &TestApp, tenant: &str) -> Vec<String> {
    app.scan()
        .await
        .iter()
        .filter(|item| {
            item.get("PK")
                .and_then(|v| v.as_s().ok())
                .is_some_and(|pk| pk.starts_with(&format!("T#{tenant}")))
                || item.get("tenant_id").and_then(|v| v.as_s().ok()) == Some(&tenant.to_owned())
        })
        .map(|item| format!("{:?}/{:?}", item.get("PK"), item.get("SK")))
        .collect()
}

fn count_actions(
    items: &[std::collections::HashMap<String, AttributeValue>],
    action: &str,
) -> usize {
    items
        .iter()
        .filter(|i| i.get("action").and_then(|v| v.as_s().ok()) == Some(&action.to_owned()))
        .count()
}

/// A booking of `s` for `email`, with the key of its item.
async fn booked(app: &TestApp, s: &Shop, email: &str, idem: &str) -> String {
    let start = slots(app, s, future_day()).await[0].clone();
    let r = book(app, s, &start, email, idem).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["booking_id"]
        .as_str()
        .expect("a booking id")
        .to_owned()
}

#[tokio::test]
async fn closing_stops_everything_at_once_and_an_owner_restores_within_the_window() {
    let app = TestApp::new().await;
    let s = shop(&app, "closing").await;
    let t = s.owner.tenant_id.clone();
    let (staff, staff_session) = app.member(&s.session, &s.owner, "admin").await;
    let (key, _) = app.api_key(&s.session, &["read", "admin"]).await;
    booked(&app, &s, "cora.closing@example.com", "close-1").await;
    app.deliver_mail().await;

    // Who may not close it, and how: nothing changes.
    for (who, password, status) in [
        (As::Session(&s.session), "not the password at all", 401),
        (As::Key(&key), s.owner.password.as_str(), 403),
        (As::Session(&staff_session), staff.password.as_str(), 403),
        (As::Anonymous, s.owner.password.as_str(), 401),
    ] {
        let r = close(&app, who, &t, password).await;
        assert_eq!(r.status, status, "{}", r.body);
    }
    let r = app
        .call(
            As::Session(&s.session),
            "DELETE",
            &format!("/v1/tenants/{t}"),
            None,
        )
        .await;
    assert!(r.status == 400 || r.status == 415, "no body: {}", r.body);
    assert_eq!(
        public_availability(&app, &s).await,
        200,
        "refusals changed nothing"
    );

    let r = close(&app, As::Session(&s.session), &t, &s.owner.password).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let closure = r.json();
    assert_eq!(closure["status"], "closed");
    let purge_after =
        chrono::DateTime::parse_from_rfc3339(closure["purge_after"].as_str().unwrap())
            .unwrap()
            .timestamp();
    assert!(
        (purge_after - now() - RESTORE_WINDOW_SECS).abs() < 120,
        "{closure}"
    );
    assert!(r
        .header("set-cookie")
        .unwrap_or_default()
        .starts_with("__Host-session=;"));

    // Stopped at once: public routes, pages, every session and key.
    assert_eq!(public_availability(&app, &s).await, 404);
    let page = app
        .request("GET", &format!("/book/{}", s.owner.slug), &[], b"")
        .await;
    assert_eq!(page.status, 404);
    for who in [
        As::Session(&s.session),
        As::Session(&staff_session),
        As::Key(&key),
    ] {
        let r = app
            .call(who, "GET", &format!("/v1/tenants/{t}/services"), None)
            .await;
        assert_eq!(r.status, 401, "{}", r.body);
    }
    // Every owner is told (the only owner here), in the outbox's mail.
    let mail = app.mail_to(&s.owner.email).await;
    assert!(
        mail.iter().any(|m| m.contains("was closed")),
        "owners are told"
    );

    // An owner signs in to a session that can only look at itself, restore
    // (and not, say, change the catalog); staff get the same limits.
    let r = app
        .login_attempt(&s.owner.slug, &s.owner.email, &s.owner.password)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "business_closed");
    let limited = session_from(&r);
    let me = app
        .call(
            As::Session(&limited),
            "GET",
            &format!("/v1/tenants/{t}/me"),
            None,
        )
        .await;
    assert_eq!(me.status, 200, "{}", me.body);
    let refused = app
        .call(
            As::Session(&limited),
            "POST",
            &format!("/v1/tenants/{t}/services"),
            Some(json!({ "name": "Sneaky", "duration_minutes": 30, "staff_ids": [s.owner_id] })),
        )
        .await;
    assert_eq!(refused.status, 403);
    assert!(refused.problem_type().ends_with("/business-closed"));
    let r = app
        .login_attempt(&s.owner.slug, &staff.email, &staff.password)
        .await;
    assert_eq!(r.json()["status"], "business_closed");
    let staff_limited = session_from(&r);
    let r = restore(&app, As::Session(&staff_limited), &t, &staff.password).await;
    assert_eq!(r.status, 403, "only owners restore");
    let r = restore(&app, As::Session(&limited), &t, "wrong password entirely").await;
    assert_eq!(r.status, 401);

    // A retry of the closing answers the same closure and is audited once.
    let again = close(&app, As::Session(&limited), &t, &s.owner.password).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json()["purge_after"], closure["purge_after"]);
    let limited = app.login(&s.owner).await;
    assert_eq!(count_actions(&app.scan().await, "tenant.closed"), 1);

    let r = restore(&app, As::Session(&limited), &t, &s.owner.password).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(public_availability(&app, &s).await, 200);
    let r = app
        .login_attempt(&s.owner.slug, &s.owner.email, &s.owner.password)
        .await;
    assert_eq!(r.json()["status"], "authenticated", "{}", r.body);
    let full = session_from(&r);
    let r = app
        .call(
            As::Session(&full),
            "GET",
            &format!("/v1/tenants/{t}/services"),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    let mail = app.mail_to(&s.owner.email).await;
    assert!(mail.iter().any(|m| m.contains("was restored")));
    // Restoring twice: nothing to restore.
    let r = restore(&app, As::Session(&full), &t, &s.owner.password).await;
    assert_eq!(r.status, 404);
    // Nothing is due for purging any more.
    let report = purge::run_due(
        &app.platform,
        now() + 2 * RESTORE_WINDOW_SECS,
        Duration::from_secs(60),
    )
    .await
    .unwrap();
    assert_eq!(report, PurgeReport::default());
    assert!(!items_of(&app, &t).await.is_empty());
}

#[tokio::test]
async fn parallel_closings_close_once_and_a_restore_after_the_window_is_refused() {
    let app = TestApp::new().await;
    let s = shop(&app, "closing-race").await;
    let t = s.owner.tenant_id.clone();
    let sessions: Vec<Session> = {
        let mut v = vec![s.session.clone()];
        for _ in 0..4 {
            v.push(app.login(&s.owner).await);
        }
        v
    };
    let answers = futures_util::future::join_all(
        sessions
            .iter()
            .map(|session| close(&app, As::Session(session), &t, &s.owner.password)),
    )
    .await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 401),
        "{statuses:?}"
    );
    assert!(statuses.contains(&200), "{statuses:?}");
    let purge_afters: std::collections::BTreeSet<String> = answers
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| r.json()["purge_after"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(purge_afters.len(), 1, "one closure: {purge_afters:?}");
    let items = app.scan().await;
    assert_eq!(count_actions(&items, "tenant.closed"), 1);

    // The window ends (moved into the past here): restoring is refused.
    app.clients
        .dynamodb
        .update_item()
        .table_name(&app.table)
        .key("PK", AttributeValue::S(format!("T#{t}")))
        .key("SK", AttributeValue::S("TENANT".into()))
        .update_expression("SET purge_after = :past")
        .expression_attribute_values(":past", AttributeValue::N((now() - 1).to_string()))
        .send()
        .await
        .unwrap();
    let limited = app.login(&s.owner).await;
    let r = restore(&app, As::Session(&limited), &t, &s.owner.password).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(public_availability(&app, &s).await, 404);
}

/// The sealed customer email of a booking, as the table (or a restored copy
/// of it) holds it.
async fn sealed_email(app: &TestApp, table: &str, tenant: &str, booking: &str) -> Option<Vec<u8>> {
    let out = app
        .clients
        .dynamodb
        .get_item()
        .table_name(table)
        .key("PK", AttributeValue::S(format!("T#{tenant}")))
        .key("SK", AttributeValue::S(format!("BOOKING#{booking}")))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    out.item?
        .get("customer_email")
        .and_then(|v| v.as_b().ok())
        .map(|b| b.as_ref().to_vec())
}

async fn restore_backup(app: &TestApp, backup_arn: &str, name: &str) {
    app.clients
        .dynamodb
        .restore_table_from_backup()
        .backup_arn(backup_arn)
        .target_table_name(name)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn the_purge_destroys_the_key_so_a_backup_taken_before_it_stays_unreadable() {
    let app = TestApp::new().await;
    let s = shop(&app, "purged").await;
    let other = shop(&app, "survivor").await;
    let t = s.owner.tenant_id.clone();
    let booking = booked(&app, &s, "cora.purged@example.com", "purge-1").await;
    let kept = booked(&app, &other, "cora.kept@example.com", "purge-2").await;
    app.deliver_mail().await;
    let r = close(&app, As::Session(&s.session), &t, &s.owner.password).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // An owner exports the data during the restore window.
    let limited = app.login(&s.owner).await;
    let r = app
        .call(
            As::Session(&limited),
            "POST",
            &format!("/v1/tenants/{t}/exports"),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let export_id = r.json()["export_id"].as_str().unwrap().to_owned();
    bookwarden_functions::jobs::exports(&app.platform)
        .await
        .unwrap();
    let archive = format!("exports/{t}/{export_id}.zip");
    assert!(
        archive_exists(&app, &archive).await,
        "the export was written"
    );

    // The daily backup, taken during the restore window.
    let backup = app
        .clients
        .dynamodb
        .create_backup()
        .table_name(&app.table)
        .backup_name(format!("{}-daily", app.table))
        .send()
        .await
        .unwrap()
        .backup_details
        .unwrap()
        .backup_arn;
    let scope = app.scope_of(&s.owner.slug).await;
    let binding_key = format!("BOOKING#{booking}");
    let pk = format!("T#{t}");
    let at = FieldBinding {
        pk: &pk,
        sk: &binding_key,
        field: "customer_email",
    };
    // A function cold-starting elsewhere: no cached key.
    let cold = || {
        Envelope::new(
            app.clients.kms.clone(),
            app.platform.config.data_key_id.clone(),
            app.clients.dynamodb.clone(),
            app.platform.config.keystore_table.clone(),
        )
    };
    let before_purge = format!("{}-before", app.table);
    restore_backup(&app, &backup, &before_purge).await;
    let sealed = sealed_email(&app, &before_purge, &t, &booking)
        .await
        .expect("sealed email");
    assert_eq!(
        cold()
            .open(&scope, Purpose::PersonalData, at, &sealed)
            .await
            .unwrap(),
        b"cora.purged@example.com",
        "the backup is readable while the business is restorable"
    );

    // Not yet due: nothing happens.
    let early = purge::run_due(&app.platform, now(), Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(early, PurgeReport::default());

    let report = purge::run_due(
        &app.platform,
        now() + RESTORE_WINDOW_SECS + 1,
        Duration::from_secs(120),
    )
    .await
    .unwrap();
    assert_eq!(report.purged, 1, "{report:?}");
    assert!(!report.more);
    assert_eq!(
        items_of(&app, &t).await,
        Vec::<String>::new(),
        "every item is gone"
    );
    assert!(!app
        .platform
        .envelope
        .tenant_key_exists(scope.tenant_id())
        .await
        .unwrap());

    // The same backup restored after the purge: its sealed fields no longer open.
    let after_purge = format!("{}-after", app.table);
    restore_backup(&app, &backup, &after_purge).await;
    let sealed = sealed_email(&app, &after_purge, &t, &booking)
        .await
        .expect("still in the backup");
    for env in [cold(), cold()] {
        assert!(matches!(
            env.open(&scope, Purpose::PersonalData, at, &sealed).await,
            Err(CryptoError::Undecryptable)
        ));
    }
    assert!(
        matches!(
            app.platform
                .envelope
                .open(&scope, Purpose::PersonalData, at, &sealed)
                .await,
            Err(CryptoError::Undecryptable)
        ),
        "the warm function forgot the key too"
    );

    // The other business is untouched and the slug is free again.
    assert!(
        sealed_email(&app, &app.table, &other.owner.tenant_id, &kept)
            .await
            .is_some()
    );
    assert_eq!(public_availability(&app, &other).await, 200);
    let mut body = bookwarden_tests::signup_body("purged-again");
    body["slug"] = json!(s.owner.slug);
    let r = app.post_json("/v1/tenants", &body).await;
    assert_eq!(r.status, 201, "the slug is free: {}", r.body);
    // A second run finds nothing more.
    let again = purge::run_due(
        &app.platform,
        now() + RESTORE_WINDOW_SECS + 1,
        Duration::from_secs(60),
    )
    .await
    .unwrap();
    assert_eq!(again.purged, 0);
}

#[tokio::test]
async fn an_interrupted_purge_continues_where_it_stopped() {
    let app = TestApp::new().await;
    let s = shop(&app, "interrupted").await;
    let t = s.owner.tenant_id.clone();
    let day_slots = slots(&app, &s, future_day()).await;
    for (i, start) in day_slots.iter().step_by(8).take(4).enumerate() {
        let r = book(
            &app,
            &s,
            start,
            &format!("c{i}.interrupted@example.com"),
            &format!("int-{i}"),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    app.deliver_mail().await;
    let r = close(&app, As::Session(&s.session), &t, &s.owner.password).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let items_before = items_of(&app, &t).await.len();

    // No time at all per run: every run deletes one page and stops.
    let later = now() + RESTORE_WINDOW_SECS + 1;
    let mut runs = 0;
    let mut deleted = 0;
    loop {
        runs += 1;
        assert!(runs < 50, "the purge makes progress");
        let report = purge::run_due(&app.platform, later, Duration::ZERO)
            .await
            .unwrap();
        deleted += report.items;
        if !report.more {
            assert_eq!(report.purged, 1);
            break;
        }
    }
    assert!(runs > 2, "the purge was interrupted: {runs} runs");
    assert!(deleted >= items_before, "{deleted} of {items_before}");
    assert_eq!(items_of(&app, &t).await, Vec::<String>::new());
}

#[tokio::test]
async fn closing_and_restoring_refuse_bad_bodies_and_parallel_restores_restore_once() {
    let app = TestApp::new().await;
    let s = shop(&app, "closing-input").await;
    let t = s.owner.tenant_id.clone();
    let long = "p".repeat(10_000);
    let bodies = [
        json!({ "password": long }),
        json!([s.owner.password]),
        json!({ "password": 5 }),
        json!({ "password": s.owner.password, "purge_after": 0 }),
        json!("closed"),
    ];
    refuses_each(
        &app,
        As::Session(&s.session),
        "DELETE",
        &format!("/v1/tenants/{t}"),
        &bodies,
    )
    .await;
    assert_eq!(public_availability(&app, &s).await, 200, "still open");

    let r = close(&app, As::Session(&s.session), &t, &s.owner.password).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let limited = app.login(&s.owner).await;
    refuses_each(
        &app,
        As::Session(&limited),
        "POST",
        &format!("/v1/tenants/{t}/restoration"),
        &bodies,
    )
    .await;
    assert_eq!(public_availability(&app, &s).await, 404, "still closed");

    let sessions = [
        limited,
        app.login(&s.owner).await,
        app.login(&s.owner).await,
    ];
    let answers = futures_util::future::join_all(
        sessions
            .iter()
            .map(|session| restore(&app, As::Session(session), &t, &s.owner.password)),
    )
    .await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 204).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [204, 401, 404].contains(s)),
        "{statuses:?}"
    );
    assert_eq!(count_actions(&app.scan().await, "tenant.restored"), 1);
    assert_eq!(public_availability(&app, &s).await, 200);
}
