//! PRIV-1: data exports. The archive is read back through its signed link
//! by an independent zip reader; its content is checked for every kind, for
//! opened personal fields and for the absence of every secret; the routes
//! refuse everyone but a signed-in owner; retries and parallel requests
//! start one export; and a job that runs out of budget many times over
//! writes the same archive as one that does not.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use bookwarden_shared::export::{self, Progress};
use bookwarden_shared::tenancy::{ItemId, TenantScope};
use bookwarden_tests::booking::{booking_body, future_day, shop, slots, Shop};
use bookwarden_tests::export::{download, finish, seed_bookings, Archive, SeedBooking};
use bookwarden_tests::identity::{session_from, As, Session};
use bookwarden_tests::{decoded, TestApp, TestResponse};
use serde_json::{json, Value};

const PROBLEMS: &str = "https://bookwarden.dev/problems/";
const ALL_FILES: [&str; 9] = [
    "tenant.jsonl",
    "users.jsonl",
    "services.jsonl",
    "schedules.jsonl",
    "booking_form.jsonl",
    "bookings.jsonl",
    "calendar_connections.jsonl",
    "audit.jsonl",
    "manifest.json",
];

fn exports_path(tenant_id: &str) -> String {
    format!("/v1/tenants/{tenant_id}/exports")
}

async fn ask(app: &TestApp, who: As<'_>, tenant_id: &str, body: Value) -> TestResponse {
    app.call(who, "POST", &exports_path(tenant_id), Some(body))
        .await
}

async fn status(app: &TestApp, who: As<'_>, tenant_id: &str, id: &str) -> TestResponse {
    app.call(
        who,
        "GET",
        &format!("{}/{id}", exports_path(tenant_id)),
        None,
    )
    .await
}

/// Asks for an export as the owner; its id.
async fn start(app: &TestApp, owner: &Session, body: Value) -> String {
    let r = ask(app, As::Session(owner), &owner.tenant_id, body).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let id = r.json()["export_id"].as_str().unwrap().to_owned();
    assert_eq!(
        r.header("location"),
        Some(format!("{}/{id}", exports_path(&owner.tenant_id)).as_str())
    );
    id
}

/// The ready status of an export and its archive.
async fn fetch(app: &TestApp, owner: &Session, id: &str) -> (Value, Archive) {
    let r = status(app, As::Session(owner), &owner.tenant_id, id).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let s = r.json();
    assert_eq!(s["status"], "ready", "{s}");
    let url = s["download_url"].as_str().expect("a download link");
    assert!(url.contains("X-Amz-Expires=900"), "{url}");
    (s.clone(), download(url).await)
}

/// Export items in the table.
async fn export_items(app: &TestApp) -> usize {
    app.scan()
        .await
        .iter()
        .filter(|i| matches!(i.get("SK"), Some(AttributeValue::S(sk)) if sk.starts_with("EXPORT#")))
        .count()
}

fn attr(item: &std::collections::HashMap<String, AttributeValue>, name: &str) -> Option<String> {
    match item.get(name) {
        Some(AttributeValue::S(s)) => Some(s.clone()),
        _ => None,
    }
}

async fn set_export_number(app: &TestApp, tenant_id: &str, id: &str, field: &str, value: i64) {
    app.clients
        .dynamodb
        .update_item()
        .table_name(&app.table)
        .key("PK", AttributeValue::S(format!("T#{tenant_id}")))
        .key("SK", AttributeValue::S(format!("EXPORT#{id}")))
        .update_expression("SET #f = :v")
        .expression_attribute_names("#f", field)
        .expression_attribute_values(":v", AttributeValue::N(value.to_string()))
        .send()
        .await
        .unwrap();
}

/// Books `email` as a customer through the public route, with answers.
async fn book(app: &TestApp, s: &Shop, start: &str, email: &str, key: &str, answers: Value) {
    let mut body = booking_body(s, start, email);
    body["answers"] = answers;
    let r = app
        .request(
            "POST",
            &format!("/v1/public/tenants/{}/bookings", s.owner.slug),
            &[
                ("content-type", "application/json"),
                ("idempotency-key", key),
            ],
            body.to_string().as_bytes(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

#[tokio::test]
async fn a_business_export_holds_every_kind_opened_and_no_secret() {
    let app = TestApp::new().await;
    let s = shop(&app, "exportall").await;
    let t = s.owner.tenant_id.clone();
    let (totp_secret, recovery_codes, owner) = app.enrol_totp(&s.session).await;
    let (key_secret, _) = app.api_key(&owner, &["read"]).await;
    let form = json!({ "questions": [
        { "id": "allergies", "label": "Allergies?", "kind": "short_text" }
    ]});
    let r = app
        .call(
            As::Session(&owner),
            "PUT",
            &format!("/v1/tenants/{t}/booking-form"),
            Some(form),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let open = slots(&app, &s, future_day()).await;
    book(
        &app,
        &s,
        &open[0],
        "ada@example.org",
        "e-1",
        json!({ "allergies": "peanuts" }),
    )
    .await;
    book(
        &app,
        &s,
        open.last().unwrap(),
        "bob@example.org",
        "e-2",
        json!({}),
    )
    .await;

    // Secrets the table holds, none of which may leave in an export.
    let items = app.scan().await;
    let mut secrets: Vec<String> = vec![totp_secret, key_secret];
    secrets.extend(recovery_codes);
    secrets.push(owner.cookie.split_once('=').unwrap().1.to_owned());
    for item in &items {
        for name in [
            "password_hash",
            "manage_token_hash",
            "request_hash",
            "email_hash",
        ] {
            secrets.extend(attr(item, name));
        }
    }
    assert!(secrets.len() >= 8, "{}", secrets.len());

    let id = start(&app, &owner, json!({})).await;
    let pending = status(&app, As::Session(&owner), &t, &id).await.json();
    assert_eq!(pending["status"], "pending");
    assert_eq!(pending["kind"], "tenant");
    assert!(pending["download_url"].is_null());

    // The scheduled job (as the Lambda runs it) writes the archive.
    let report = bookwarden_functions::jobs::exports(&app.platform)
        .await
        .unwrap();
    assert_eq!(report.finished, 1, "{report:?}");

    let (s_ready, archive) = fetch(&app, &owner, &id).await;
    assert_eq!(archive.names, ALL_FILES);
    assert_eq!(s_ready["size_bytes"].as_u64(), Some(archive.size));
    let counts = &s_ready["counts"];
    for (kind, n) in [
        ("tenant", 1),
        ("users", 1),
        ("services", 1),
        ("schedules", 1),
        ("booking_form", 1),
        ("bookings", 2),
        ("calendar_connections", 0),
    ] {
        assert_eq!(counts[kind], n, "{kind}: {counts}");
        assert_eq!(archive.lines(&format!("{kind}.jsonl")).len(), n, "{kind}");
    }
    let audit = archive.lines("audit.jsonl");
    assert_eq!(counts["audit"].as_u64(), Some(audit.len() as u64));
    assert!(audit.iter().any(|e| e["action"] == "export.created"));
    let manifest: Value = serde_json::from_str(&archive.files["manifest.json"]).unwrap();
    assert_eq!(manifest["schema_version"], 1);
    assert_eq!(manifest["kind"], "tenant");
    assert_eq!(manifest["export_id"], id.as_str());
    assert_eq!(manifest["files"].as_array().unwrap().len(), 8);
    assert_eq!(manifest["files"][5]["count"], 2);

    // Personal fields are opened, as the owner sees them in the API.
    let bookings = archive.lines("bookings.jsonl");
    let ada = bookings
        .iter()
        .find(|b| b["customer_email"] == "ada@example.org")
        .expect("ada's booking");
    assert_eq!(ada["customer_name"], "Cora Customer");
    assert_eq!(ada["customer_phone"], "+49 30 1234567");
    assert_eq!(ada["answers"]["allergies"], "peanuts");
    assert!(ada["created_at"].as_str().unwrap().ends_with('Z'), "{ada}");
    assert!(ada["start"].is_string() && ada["booking_id"].is_string());
    assert!(bookings
        .iter()
        .any(|b| b["customer_email"] == "bob@example.org"));
    let users = archive.lines("users.jsonl");
    assert_eq!(users[0]["email"], s.owner.email.as_str());
    assert_eq!(users[0]["mfa_enabled"], true);
    let tenant = &archive.lines("tenant.jsonl")[0];
    assert_eq!(tenant["slug"], s.owner.slug.as_str());
    assert!(tenant["settings"]["session_idle_minutes"].is_number());

    // No secret in any form, and no field that would hold one.
    let text = archive.text();
    for secret in &secrets {
        assert!(
            !text.contains(secret.as_str()),
            "a secret leaked: {secret:.12}…"
        );
    }
    for field in [
        "password_hash",
        "totp_secret",
        "recovery",
        "lookup_key",
        "manage_token",
        "refresh_token",
        "access_token",
    ] {
        assert!(!text.contains(field), "{field}");
    }

    // Audited without personal data; every owner told, without the link.
    let actions = app.audit_actions(&owner).await;
    assert!(actions.contains(&"export.ready".to_owned()), "{actions:?}");
    let log = app
        .call(
            As::Session(&owner),
            "GET",
            &format!("/v1/tenants/{t}/audit?limit=100"),
            None,
        )
        .await
        .json();
    for e in log["events"].as_array().unwrap() {
        if e["action"].as_str().unwrap().starts_with("export.") {
            assert_eq!(e["target"], format!("export:{id}:tenant"));
        }
    }
    let mail: Vec<String> = app
        .mail_to(&s.owner.email)
        .await
        .iter()
        .map(|m| decoded(m))
        .filter(|m| m.contains("data export"))
        .collect();
    assert_eq!(mail.len(), 1, "one notice");
    assert!(!mail[0].contains("X-Amz"), "no link in mail");
    assert!(!mail[0].contains(&app.platform.config.export_bucket));

    // Two days on, the archive is gone: no link any more.
    set_export_number(
        &app,
        &t,
        &id,
        "archive_expires_at",
        bookwarden_shared::clock::now_unix() - 1,
    )
    .await;
    let expired = status(&app, As::Session(&owner), &t, &id).await;
    assert_eq!(expired.status, 200);
    assert_eq!(expired.json()["status"], "expired");
    assert!(expired.json()["download_url"].is_null());
}

#[tokio::test]
async fn a_customer_export_holds_only_that_customers_bookings() {
    let app = TestApp::new().await;
    let s = shop(&app, "exportone").await;
    let t = s.owner.tenant_id.clone();
    let open = slots(&app, &s, future_day()).await;
    book(&app, &s, &open[0], "alice@example.org", "c-1", json!({})).await;
    book(
        &app,
        &s,
        &open[open.len() / 2],
        "Alice@Example.org",
        "c-2",
        json!({}),
    )
    .await;
    book(
        &app,
        &s,
        open.last().unwrap(),
        "bob@example.org",
        "c-3",
        json!({}),
    )
    .await;

    // Bad input: a clear 4xx, nothing started.
    for (bad, expected) in [
        (json!({ "customer_email": "not an address" }), 422),
        (json!({ "customer_email": "" }), 422),
        (
            json!({ "customer_email": format!("{}@example.org", "a".repeat(300)) }),
            422,
        ),
        (json!({ "customer_email": 42 }), 400),
        (
            json!({ "customer_email": "alice@example.org", "everything": true }),
            400,
        ),
        (json!([]), 400),
    ] {
        let r = ask(&app, As::Session(&s.session), &t, bad.clone()).await;
        assert_eq!(r.status, expected, "{bad}: {}", r.body);
        assert!(r.problem_type().starts_with(PROBLEMS));
    }
    let raw = app
        .request(
            "POST",
            &exports_path(&t),
            &[
                ("cookie", s.session.cookie.as_str()),
                ("origin", bookwarden_tests::identity::ORIGIN),
                ("content-type", "application/json"),
            ],
            b"{\"customer_email\":",
        )
        .await;
    assert_eq!(raw.status, 400, "{}", raw.body);
    assert_eq!(export_items(&app).await, 0);

    let id = start(
        &app,
        &s.session,
        json!({ "customer_email": "ALICE@example.org" }),
    )
    .await;
    let r = status(&app, As::Session(&s.session), &t, &id).await.json();
    assert_eq!(r["kind"], "customer");
    let scope = app.scope_of(&s.owner.slug).await;
    finish(&app, &scope, &id, Duration::from_secs(60)).await;
    let (ready, archive) = fetch(&app, &s.session, &id).await;
    assert_eq!(archive.names, ["bookings.jsonl", "manifest.json"]);
    assert_eq!(ready["counts"]["bookings"], 2);
    let bookings = archive.lines("bookings.jsonl");
    let emails: BTreeSet<&str> = bookings
        .iter()
        .map(|b| b["customer_email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        BTreeSet::from(["alice@example.org", "Alice@example.org"])
    );
    assert!(!archive.text().contains("bob@"));
    let manifest: Value = serde_json::from_str(&archive.files["manifest.json"]).unwrap();
    assert_eq!(manifest["kind"], "customer");
    assert!(!archive.files["manifest.json"].contains("alice"));

    // Someone the business never booked: an empty, complete export.
    let id = start(
        &app,
        &s.session,
        json!({ "customer_email": "nobody@example.org" }),
    )
    .await;
    finish(&app, &scope, &id, Duration::from_secs(60)).await;
    let (ready, archive) = fetch(&app, &s.session, &id).await;
    assert_eq!(ready["counts"]["bookings"], 0);
    assert_eq!(archive.files["bookings.jsonl"], "");
}

#[tokio::test]
async fn only_a_signed_in_owner_reaches_exports_and_unknown_ids_are_not_found() {
    let app = TestApp::new().await;
    let s = shop(&app, "exportacl").await;
    let t = s.owner.tenant_id.clone();
    let (_, admin) = app.member(&s.session, &s.owner, "admin").await;
    let (_, staff) = app.member(&s.session, &s.owner, "staff").await;
    let (key, _) = app
        .api_key(&s.session, &["read", "bookings:write", "admin"])
        .await;
    let other = app.owner("exportother").await;
    let other = app.login(&other).await;

    let id = start(&app, &s.session, json!({})).await;
    for (who, expected) in [
        (As::Session(&admin), 403),
        (As::Session(&staff), 403),
        (As::Key(&key), 403),
        (As::Anonymous, 401),
        (As::Session(&other), 404),
    ] {
        let label = format!("{who:?}").chars().take(12).collect::<String>();
        let r = ask(&app, who.clone(), &t, json!({})).await;
        assert_eq!(r.status, expected, "POST as {label}: {}", r.body);
        r.problem_type();
        let r = status(&app, who, &t, &id).await;
        assert_eq!(r.status, expected, "GET as {label}: {}", r.body);
        assert!(!r.body.contains("X-Amz"));
    }
    // Another tenant's id in one's own tenant: not found.
    let r = status(&app, As::Session(&other), &other.tenant_id, &id).await;
    assert_eq!(r.status, 404);
    // Stale, garbage and extreme ids: not found.
    let unknown = ItemId::generate().to_string();
    for bad in [
        unknown.as_str(),
        "nope",
        "%2E%2E%2Fetc",
        "0000000000000000000000000z",
        &"x".repeat(2000),
    ] {
        let r = status(&app, As::Session(&s.session), &t, bad).await;
        assert_eq!(r.status, 404, "{bad:.20}");
        assert_eq!(r.problem_type(), format!("{PROBLEMS}not-found"));
    }
    // A cookie-authenticated request from another origin changes nothing.
    let r = app
        .call(
            As::SessionWith(
                &s.session,
                &[
                    ("origin", "https://evil.example"),
                    ("content-type", "application/json"),
                ],
            ),
            "POST",
            &exports_path(&t),
            Some(json!({ "customer_email": "alice@example.org" })),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(export_items(&app).await, 1, "refused calls started nothing");

    // A restricted session (second factor not yet enrolled) may not export.
    app.set_settings(&s.session, json!({ "mfa_required_for_admins": true }))
        .await;
    let r = app
        .login_attempt(&s.owner.slug, &s.owner.email, &s.owner.password)
        .await;
    assert_eq!(r.json()["status"], "mfa_enrolment_required");
    let restricted = session_from(&r);
    let r = ask(&app, As::Session(&restricted), &t, json!({})).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.problem_type(), format!("{PROBLEMS}step-required"));
    let r = status(&app, As::Session(&restricted), &t, &id).await;
    assert_eq!(r.status, 403);
    assert_eq!(export_items(&app).await, 1);
}

#[tokio::test]
async fn retries_and_parallel_requests_start_one_export() {
    let app = TestApp::new().await;
    let s = shop(&app, "exportonce").await;
    let t = s.owner.tenant_id.clone();
    let asks = (0..6).map(|_| ask(&app, As::Session(&s.session), &t, json!({})));
    let answers = futures_util::future::join_all(asks).await;
    let ids: BTreeSet<String> = answers
        .iter()
        .map(|r| {
            assert_eq!(r.status, 202, "{}", r.body);
            r.json()["export_id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    // A retry later, while it is still running, gets the same one.
    let first = ids.into_iter().next().unwrap();
    assert_eq!(start(&app, &s.session, json!({})).await, first);
    // A customer's access request is another subject: it starts its own, once.
    let c1 = start(
        &app,
        &s.session,
        json!({ "customer_email": "c@example.org" }),
    )
    .await;
    let c2 = start(
        &app,
        &s.session,
        json!({ "customer_email": "C@EXAMPLE.org" }),
    )
    .await;
    assert_eq!(c1, c2);
    assert_ne!(c1, first);
    assert_eq!(export_items(&app).await, 2);
    let created = app
        .audit_actions(&s.session)
        .await
        .iter()
        .filter(|a| *a == "export.created")
        .count();
    assert_eq!(created, 2);

    // Once it is done, asking again starts a new one.
    let scope = app.scope_of(&s.owner.slug).await;
    finish(&app, &scope, &first, Duration::from_secs(60)).await;
    // A stale due entry or a second job run does not redo a finished export.
    assert_eq!(
        export::run(&app.platform, &scope, &first, Duration::from_secs(60))
            .await
            .unwrap(),
        Progress::Skipped
    );
    let again = start(&app, &s.session, json!({})).await;
    assert_ne!(again, first);
}

/// Seeds `n` bookings whose answers are `answer_bytes` of random text, so
/// that the archive is larger than one upload part.
async fn seed(app: &TestApp, s: &Shop, scope: &TenantScope, n: usize, answer_bytes: usize) {
    let first = bookwarden_shared::clock::now_unix() + 30 * 86_400;
    let bookings = (0..n).map(|i| {
        let noise: String = std::iter::repeat_with(|| ItemId::generate().to_string())
            .take(answer_bytes / 26 + 1)
            .collect();
        SeedBooking {
            name: format!("Customer {i}"),
            email: format!("customer{i}@example.org"),
            phone: (i % 2 == 0).then(|| format!("+49 30 {i:07}")),
            answers: BTreeMap::from([("notes".to_owned(), noise)]),
        }
    });
    seed_bookings(app, scope, &s.service_id, &s.owner_id, first, bookings).await;
}

#[tokio::test]
async fn an_export_interrupted_many_times_is_the_same_as_one_written_at_once() {
    let app = TestApp::new().await;
    let s = shop(&app, "exportresume").await;
    let t = s.owner.tenant_id.clone();
    let scope = app.scope_of(&s.owner.slug).await;
    seed(&app, &s, &scope, 2_000, 8_000).await;

    let once = start(&app, &s.session, json!({})).await;
    assert_eq!(
        finish(&app, &scope, &once, Duration::from_secs(600)).await,
        1
    );
    let (ready_once, whole) = fetch(&app, &s.session, &once).await;
    assert_eq!(ready_once["counts"]["bookings"], 2_000);
    assert!(
        whole.size > export::PART_BYTES as u64,
        "more than one upload part: {}",
        whole.size
    );

    let id = start(&app, &s.session, json!({})).await;
    // A run that crashed holds a claim until it runs out: no one else works
    // on the export meanwhile, and then the next run continues it.
    let now = bookwarden_shared::clock::now_unix();
    set_export_number(&app, &t, &id, "lease_until", now + 900).await;
    assert_eq!(
        export::run(&app.platform, &scope, &id, Duration::ZERO)
            .await
            .unwrap(),
        Progress::Skipped
    );
    set_export_number(&app, &t, &id, "lease_until", now - 1).await;
    // Every run has no budget at all: one page, then a checkpoint. Two runs
    // start together each time: only one may work on it.
    let mut runs = 0;
    loop {
        let (a, b) = tokio::join!(
            export::run(&app.platform, &scope, &id, Duration::ZERO),
            export::run(&app.platform, &scope, &id, Duration::ZERO),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(
            a == Progress::Skipped || b == Progress::Skipped,
            "two runs worked at once: {a:?} {b:?}"
        );
        runs += 1;
        if a == Progress::Finished || b == Progress::Finished {
            break;
        }
        assert!(runs < 200, "no progress");
        let mid = status(&app, As::Session(&s.session), &t, &id).await.json();
        assert_eq!(mid["status"], "running");
        assert!(mid["download_url"].is_null());
    }
    assert!(runs >= 10, "{runs} runs");
    let (ready, pieces) = fetch(&app, &s.session, &id).await;
    assert_eq!(pieces.names, ALL_FILES);
    for name in &ALL_FILES[..7] {
        assert!(pieces.files[*name] == whole.files[*name], "{name} differs");
    }
    // The audit trail grew by the first export's events, nothing else.
    let without_exports = |a: &Archive| -> Vec<Value> {
        a.lines("audit.jsonl")
            .into_iter()
            .filter(|e| !e["action"].as_str().unwrap().starts_with("export."))
            .collect()
    };
    assert_eq!(without_exports(&pieces), without_exports(&whole));
    let mut counts = ready["counts"].clone();
    counts["audit"] = ready_once["counts"]["audit"].clone();
    assert_eq!(counts, ready_once["counts"]);

    // Nothing held between runs is left beside the archives.
    let listed = app
        .clients
        .s3
        .list_objects_v2()
        .bucket(&app.platform.config.export_bucket)
        .prefix(format!("exports/{t}/"))
        .send()
        .await
        .unwrap();
    let keys: BTreeSet<String> = listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            export::archive_key(&scope, &once),
            export::archive_key(&scope, &id)
        ])
    );
}

#[tokio::test]
async fn an_export_that_cannot_finish_in_a_day_fails_and_frees_its_subject() {
    let app = TestApp::new().await;
    let s = shop(&app, "exportold").await;
    let t = s.owner.tenant_id.clone();
    let scope = app.scope_of(&s.owner.slug).await;
    let id = start(&app, &s.session, json!({})).await;
    assert_eq!(
        export::run(&app.platform, &scope, &id, Duration::ZERO)
            .await
            .unwrap(),
        Progress::Paused
    );
    let long_ago = bookwarden_shared::clock::now_unix() - export::GIVE_UP_SECS - 60;
    set_export_number(&app, &t, &id, "created_at", long_ago).await;
    assert_eq!(
        export::run(&app.platform, &scope, &id, Duration::ZERO)
            .await
            .unwrap(),
        Progress::Failed
    );
    let r = status(&app, As::Session(&s.session), &t, &id).await.json();
    assert_eq!(r["status"], "failed");
    assert!(r["download_url"].is_null());
    assert!(app
        .audit_actions(&s.session)
        .await
        .contains(&"export.failed".to_owned()));
    assert_ne!(start(&app, &s.session, json!({})).await, id);
}

#[tokio::test]
async fn a_booking_that_cannot_be_opened_is_exported_marked_and_the_rest_complete() {
    let app = TestApp::new().await;
    let s = shop(&app, "exportbroken").await;
    let open = slots(&app, &s, future_day()).await;
    book(&app, &s, &open[0], "kept@example.org", "b-1", json!({})).await;
    book(
        &app,
        &s,
        open.last().unwrap(),
        "lost@example.org",
        "b-2",
        json!({}),
    )
    .await;
    // One booking's sealed name no longer opens (as after its key is gone).
    let items = app.scan().await;
    let (lost_pk, lost_sk) = items
        .iter()
        .filter(|i| attr(i, "SK").is_some_and(|sk| sk.starts_with("BOOKING#")))
        .map(|i| (attr(i, "PK").unwrap(), attr(i, "SK").unwrap()))
        .nth(1)
        .unwrap();
    app.clients
        .dynamodb
        .update_item()
        .table_name(&app.table)
        .key("PK", AttributeValue::S(lost_pk))
        .key("SK", AttributeValue::S(lost_sk.clone()))
        .update_expression("SET customer_name = :garbage")
        .expression_attribute_values(
            ":garbage",
            AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(vec![7u8; 64])),
        )
        .send()
        .await
        .unwrap();
    let scope = app.scope_of(&s.owner.slug).await;
    let id = start(&app, &s.session, json!({})).await;
    finish(&app, &scope, &id, Duration::from_secs(60)).await;
    let (_, archive) = fetch(&app, &s.session, &id).await;
    let bookings = archive.lines("bookings.jsonl");
    assert_eq!(bookings.len(), 2);
    let lost = bookings
        .iter()
        .find(|b| format!("BOOKING#{}", b["booking_id"].as_str().unwrap()) == lost_sk)
        .unwrap();
    assert_eq!(lost["personal_data"], "unreadable");
    assert!(lost.get("customer_email").is_none());
    let kept = bookings.iter().find(|b| b != &lost).unwrap();
    assert_eq!(kept["customer_name"], "Cora Customer");
    assert!(kept["customer_email"]
        .as_str()
        .unwrap()
        .ends_with("@example.org"));
}
