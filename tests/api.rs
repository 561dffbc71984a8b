//! End-to-end flows through the real handlers against moto: sign-up, email
//! verification, the public profile, bad input, KMS outage, log hygiene.

use bookwarden_shared::crypto::{FieldBinding, Purpose, SecretToken};
use bookwarden_shared::http::SECURITY_HEADERS;
use bookwarden_shared::store::{Attrs, Condition, Entity, GlobalKey, TenantKey, Write};
use bookwarden_tests::{
    dkim_verifies, signup_body, token_from_mail, Kms, LogCapture, TestApp, TestResponse,
};

const PROBLEMS: &str = "https://bookwarden.dev/problems/";

fn assert_security_headers(r: &TestResponse) {
    for (name, value) in SECURITY_HEADERS {
        assert_eq!(
            r.header(name),
            Some(*value),
            "{name} on a {} response",
            r.status
        );
    }
    assert!(r
        .header("content-type")
        .is_some_and(|c| c.contains("charset=utf-8")));
    assert!(r.header("x-request-id").is_some_and(|id| id.len() == 32));
    assert!(r.header("server").is_none());
}

async fn sign_up(app: &TestApp, body: &serde_json::Value) -> (TestResponse, String) {
    let r = app.post_json("/v1/tenants", body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let email = body["owner_email"].as_str().unwrap();
    let mail = app.mail_to(email).await;
    assert_eq!(mail.len(), 1, "exactly one verification email");
    let token = token_from_mail(&mail[0]);
    (r, token)
}

#[tokio::test]
async fn sign_up_verify_and_publish_a_tenant() {
    let app = TestApp::new().await;
    let body = signup_body("nord");
    let slug = body["slug"].as_str().unwrap();

    let created = app.post_json("/v1/tenants", &body).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_security_headers(&created);
    let json = created.json();
    assert_eq!(json["status"], "pending_verification");
    assert_eq!(json["slug"], slug);
    assert_eq!(
        json.as_object().unwrap().len(),
        3,
        "nothing beyond id, slug and status: {json}"
    );

    // The verification email was sent, DKIM-signed, and verifies independently.
    let mail = app.mail_to(body["owner_email"].as_str().unwrap()).await;
    assert_eq!(mail.len(), 1);
    assert!(mail[0]
        .starts_with("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=mail.bookwarden.test; s=bookwarden;"));
    let public_key = app.platform.mailer.dkim_public_key().await.unwrap();
    assert!(dkim_verifies(
        mail[0].as_bytes(),
        "bookwarden",
        "mail.bookwarden.test",
        &public_key
    ));
    let token = token_from_mail(&mail[0]);
    assert_eq!(token.len(), 43);
    assert!(
        bookwarden_tests::decoded(&mail[0]).contains("/email-preferences"),
        "MAIL-3 footer"
    );

    // Unverified tenants are invisible to the public.
    let hidden = app
        .request("GET", &format!("/v1/public/tenants/{slug}"), &[], b"")
        .await;
    assert_eq!(hidden.status, 404);
    assert_eq!(hidden.problem_type(), format!("{PROBLEMS}not-found"));

    let verified = app
        .post_json(
            "/v1/auth/verify-email",
            &serde_json::json!({ "token": token }),
        )
        .await;
    assert_eq!(verified.status, 200, "{}", verified.body);
    assert_eq!(verified.json()["tenant_id"], json["tenant_id"]);

    let profile = app
        .request("GET", &format!("/v1/public/tenants/{slug}"), &[], b"")
        .await;
    assert_eq!(profile.status, 200, "{}", profile.body);
    assert_security_headers(&profile);
    assert_eq!(
        profile.json(),
        serde_json::json!({ "name": body["name"], "slug": slug, "time_zone": "Europe/Berlin" })
    );

    // The token is single-use.
    let before = app.scan().await;
    let again = app
        .post_json(
            "/v1/auth/verify-email",
            &serde_json::json!({ "token": token }),
        )
        .await;
    assert_eq!(again.status, 400);
    assert_eq!(again.problem_type(), format!("{PROBLEMS}invalid-token"));
    assert_eq!(app.scan().await, before, "a refused token changes nothing");

    // Both steps are in the tenant's audit log (AUD-1).
    let tenant_id = json["tenant_id"].as_str().unwrap();
    let scope = app.scope_of(slug).await;
    assert_eq!(scope.tenant_id().as_str(), tenant_id);
    let audit = bookwarden_shared::audit::recent(&app.platform.store, &scope, 10)
        .await
        .unwrap();
    let actions: Vec<_> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["email.verified", "tenant.created"]);
    assert!(audit
        .iter()
        .all(|e| e.outcome == "success" && e.client_addr == "203.0.113.7"));
}

/// Rate-limit counters (keyed by address or keyed hash) and the platform's
/// wrapped lookup key: not tenant data.
fn is_counter_or_platform_key(
    item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
) -> bool {
    let pk = item["PK"].as_s().unwrap();
    pk.starts_with("THR#") || pk.starts_with("PLATFORM#")
}

#[tokio::test]
async fn personal_data_and_secrets_are_never_stored_in_plaintext() {
    let app = TestApp::new().await;
    let body = signup_body("cipher");
    let (_, token) = sign_up(&app, &body).await;
    let items = app.scan().await;
    let data: Vec<_> = items
        .iter()
        .filter(|i| !is_counter_or_platform_key(i))
        .collect();
    assert_eq!(
        data.len(),
        7,
        "slug, profile, user, email index, token pointer, audit event, outbox entry"
    );
    let dump = format!("{items:?}").to_lowercase();
    for secret in [
        body["owner_email"].as_str().unwrap(),
        body["owner_name"].as_str().unwrap(),
        body["password"].as_str().unwrap(),
        &token,
    ] {
        assert!(
            !dump.contains(&secret.to_lowercase()),
            "{secret} is stored in plaintext"
        );
    }
    // Every item of tenant data names its tenant (ISO-1).
    let tenant = data[0]["tenant_id"].as_s().unwrap().clone();
    assert!(data
        .iter()
        .all(|i| i["tenant_id"].as_s().ok() == Some(&tenant)));
    // The stored email opens to the original through the envelope, bound to its item and field.
    let scope = app.scope_of(body["slug"].as_str().unwrap()).await;
    let user = items
        .iter()
        .find(|i| i["SK"].as_s().unwrap().starts_with("USER#"))
        .unwrap();
    let sealed = user["email"].as_b().unwrap().as_ref();
    let at = FieldBinding {
        pk: user["PK"].as_s().unwrap(),
        sk: user["SK"].as_s().unwrap(),
        field: "email",
    };
    let opened = app
        .platform
        .envelope
        .open(&scope, Purpose::PersonalData, at, sealed)
        .await
        .unwrap();
    assert_eq!(opened, body["owner_email"].as_str().unwrap().as_bytes());
    assert!(user["password_hash"]
        .as_s()
        .unwrap()
        .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
}

#[tokio::test]
async fn a_warm_function_makes_no_kms_call() {
    let app = TestApp::new().await;
    let body = signup_body("warm");
    let (_, token) = sign_up(&app, &body).await;
    // Cold process and tenant: the platform's lookup key (created once, for
    // the sign-up limit per recipient), the tenant's root key (its lookup
    // and personal-data keys are wrapped under it without KMS, CRY-6) and
    // one DKIM signature.
    assert_eq!(app.kms_calls.get(), 3);

    let verified = app
        .post_json(
            "/v1/auth/verify-email",
            &serde_json::json!({ "token": token }),
        )
        .await;
    assert_eq!(verified.status, 200);
    let profile = app
        .request(
            "GET",
            &format!("/v1/public/tenants/{}", body["slug"].as_str().unwrap()),
            &[],
            b"",
        )
        .await;
    assert_eq!(profile.status, 200);
    assert_eq!(
        app.kms_calls.get(),
        3,
        "verification and profile reads need no KMS"
    );

    // Sealing and opening more personal data of the same tenant reuses the cached data key.
    let scope = app.scope_of(body["slug"].as_str().unwrap()).await;
    let at = FieldBinding {
        pk: "T#x",
        sk: "USER#y",
        field: "phone",
    };
    let sealed = app
        .platform
        .envelope
        .seal(&scope, Purpose::PersonalData, at, b"+49 30 123")
        .await
        .unwrap();
    let opened = app
        .platform
        .envelope
        .open(&scope, Purpose::PersonalData, at, &sealed)
        .await
        .unwrap();
    assert_eq!(opened, b"+49 30 123");
    assert_eq!(app.kms_calls.get(), 3, "a warm request costs no KMS call");
}

#[tokio::test]
async fn kms_outage_fails_closed_and_writes_nothing() {
    let app = TestApp::with_kms(Kms::Down).await;
    let body = signup_body("outage");
    let r = app.post_json("/v1/tenants", &body).await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(r.problem_type(), format!("{PROBLEMS}service-unavailable"));
    assert_eq!(r.header("retry-after"), Some("5"));
    assert_security_headers(&r);
    let written: Vec<_> = app
        .scan()
        .await
        .into_iter()
        .filter(|i| !is_counter_or_platform_key(i))
        .collect();
    assert!(
        written.is_empty(),
        "nothing but rate-limit counters may be written without encryption: {written:?}"
    );
    assert!(app
        .mail_to(body["owner_email"].as_str().unwrap())
        .await
        .is_empty());
}

#[tokio::test]
async fn an_expired_token_is_refused_and_changes_nothing() {
    let app = TestApp::new().await;
    let body = signup_body("expired");
    sign_up(&app, &body).await;
    let scope = app.scope_of(body["slug"].as_str().unwrap()).await;
    let items = app.scan().await;
    let user = items
        .iter()
        .find(|i| i["SK"].as_s().unwrap().starts_with("USER#"))
        .unwrap();
    let user_id = user["user_id"].as_s().unwrap();

    let stale = SecretToken::generate();
    let now = bookwarden_shared::clock::now_unix();
    app.platform
        .store
        .transact(vec![Write::PutPointer(
            GlobalKey::EmailVerification(stale.hash()),
            scope.tenant_id().clone(),
            Attrs::new()
                .string("user_id", user_id.as_str())
                .expires_at(now - 1),
            Condition::NotExists,
        )])
        .await
        .unwrap();
    let before = app.scan().await;
    let r = app
        .post_json(
            "/v1/auth/verify-email",
            &serde_json::json!({ "token": stale.expose() }),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.problem_type(), format!("{PROBLEMS}invalid-token"));
    assert_eq!(app.scan().await, before);
    let user = app
        .platform
        .store
        .get(
            &scope,
            &TenantKey::new(&scope, Entity::User(&user_id.parse().unwrap())),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(!user.flag("email_verified"));
}

/// What is wrong, route, content type, body, expected status, expected problem type.
type BadInput = (
    &'static str,
    &'static str,
    &'static str,
    Vec<u8>,
    u16,
    &'static str,
);

#[tokio::test]
async fn bad_input_gets_a_problem_and_changes_nothing() {
    let app = TestApp::new().await;
    let taken = signup_body("taken");
    sign_up(&app, &taken).await;
    let before = app.scan().await;

    let valid = signup_body("valid");
    let with = |field: &str, value: serde_json::Value| {
        let mut b = valid.clone();
        b[field] = value;
        b.to_string().into_bytes()
    };
    let json = "application/json";
    let mut unknown = valid.clone();
    unknown["is_admin"] = true.into();
    let cases: Vec<BadInput> = vec![
        (
            "malformed JSON",
            "/v1/tenants",
            json,
            b"{\"name\": ".to_vec(),
            400,
            "malformed-body",
        ),
        (
            "not JSON at all",
            "/v1/tenants",
            json,
            b"name=x".to_vec(),
            400,
            "malformed-body",
        ),
        (
            "JSON array",
            "/v1/tenants",
            json,
            b"[]".to_vec(),
            400,
            "malformed-body",
        ),
        (
            "empty body",
            "/v1/tenants",
            json,
            Vec::new(),
            400,
            "malformed-body",
        ),
        (
            "wrong content type",
            "/v1/tenants",
            "text/plain",
            valid.to_string().into_bytes(),
            415,
            "unsupported-media-type",
        ),
        (
            "missing content type",
            "/v1/tenants",
            "",
            valid.to_string().into_bytes(),
            415,
            "unsupported-media-type",
        ),
        (
            "form content type",
            "/v1/tenants",
            "application/x-www-form-urlencoded",
            b"a=b".to_vec(),
            415,
            "unsupported-media-type",
        ),
        (
            "oversized body",
            "/v1/tenants",
            json,
            with("name", "x".repeat(20_000).into()),
            413,
            "payload-too-large",
        ),
        (
            "unknown field",
            "/v1/tenants",
            json,
            unknown.to_string().into_bytes(),
            400,
            "malformed-body",
        ),
        (
            "wrong type",
            "/v1/tenants",
            json,
            with("name", 42.into()),
            400,
            "malformed-body",
        ),
        (
            "missing field",
            "/v1/tenants",
            json,
            b"{\"name\":\"x\"}".to_vec(),
            400,
            "malformed-body",
        ),
        (
            "invalid UTF-8",
            "/v1/tenants",
            json,
            b"{\"name\":\"\xff\xfe\"}".to_vec(),
            400,
            "malformed-body",
        ),
        (
            "bad slug",
            "/v1/tenants",
            json,
            with("slug", "Not A Slug".into()),
            422,
            "validation",
        ),
        (
            "reserved slug",
            "/v1/tenants",
            json,
            with("slug", "admin".into()),
            422,
            "validation",
        ),
        (
            "bad email",
            "/v1/tenants",
            json,
            with("owner_email", "not-an-email".into()),
            422,
            "validation",
        ),
        (
            "header injection in email",
            "/v1/tenants",
            json,
            with("owner_email", "a@example.com\r\nBcc: b@example.com".into()),
            422,
            "validation",
        ),
        (
            "unknown time zone",
            "/v1/tenants",
            json,
            with("time_zone", "Mars/Olympus".into()),
            422,
            "validation",
        ),
        (
            "short password",
            "/v1/tenants",
            json,
            with("password", "short".into()),
            422,
            "validation",
        ),
        (
            "blank name",
            "/v1/tenants",
            json,
            with("name", "   ".into()),
            422,
            "validation",
        ),
        (
            "duplicate slug",
            "/v1/tenants",
            json,
            with("slug", taken["slug"].clone()),
            409,
            "slug-taken",
        ),
        (
            "token of wrong shape",
            "/v1/auth/verify-email",
            json,
            b"{\"token\":\"abc\"}".to_vec(),
            400,
            "invalid-token",
        ),
        (
            "unknown token",
            "/v1/auth/verify-email",
            json,
            format!("{{\"token\":\"{}\"}}", SecretToken::generate().expose()).into_bytes(),
            400,
            "invalid-token",
        ),
        (
            "extra field on verify",
            "/v1/auth/verify-email",
            json,
            b"{\"token\":\"x\",\"tenant_id\":\"y\"}".to_vec(),
            400,
            "malformed-body",
        ),
        (
            "verify without body",
            "/v1/auth/verify-email",
            json,
            Vec::new(),
            400,
            "malformed-body",
        ),
    ];
    for (what, path, content_type, body, status, kind) in cases {
        let headers: Vec<(&str, &str)> = if content_type.is_empty() {
            vec![]
        } else {
            vec![("content-type", content_type)]
        };
        let r = app.request("POST", path, &headers, &body).await;
        assert_eq!(r.status, status, "{what}: {}", r.body);
        assert_eq!(r.problem_type(), format!("{PROBLEMS}{kind}"), "{what}");
        assert_security_headers(&r);
        let problem = r.json();
        assert_eq!(problem["status"], status, "{what}");
        assert!(
            problem["instance"]
                .as_str()
                .unwrap()
                .starts_with("urn:request:"),
            "{what}"
        );
        assert_eq!(app.scan().await, before, "{what} changed the table");
    }

    // Validation lists every bad field; refusals never echo values back.
    let r = app
        .request(
            "POST",
            "/v1/tenants",
            &[("content-type", json)],
            &with("owner_email", "secret-value@@x".into()),
        )
        .await;
    assert_eq!(
        r.json()["errors"],
        serde_json::json!([{ "field": "owner_email", "message": "is not a valid email address" }])
    );
    assert!(!r.body.contains("secret-value"));
    assert_eq!(app.scan().await, before);
}

#[tokio::test]
async fn unknown_routes_and_methods_get_problems_with_every_header() {
    let app = TestApp::new().await;
    let cases = [
        ("GET", "/nowhere", 404, None),
        ("GET", "/v1/public/tenants/no-such-tenant", 404, None),
        ("GET", "/v1/public/tenants/NOT_A_SLUG", 404, None),
        ("DELETE", "/v1/tenants", 405, Some("POST")),
        ("GET", "/v1/auth/verify-email", 405, Some("POST")),
        ("POST", "/health", 405, Some("GET")),
        ("PUT", "/v1/public/tenants/abc", 405, Some("GET")),
    ];
    for (method, path, status, allow) in cases {
        let r = app.request(method, path, &[], b"").await;
        assert_eq!(r.status, status, "{method} {path}");
        assert_security_headers(&r);
        r.problem_type();
        assert_eq!(r.header("allow"), allow, "{method} {path}");
    }
    let health = app.request("GET", "/health", &[], b"").await;
    assert_eq!(health.status, 200);
    assert_security_headers(&health);
    assert!(app.scan().await.is_empty());
}

#[tokio::test]
async fn logs_are_json_with_request_and_tenant_ids_and_no_personal_data() {
    let app = TestApp::new().await;
    let body = signup_body("logs");
    let logs = LogCapture::default();
    let subscriber = bookwarden_shared::telemetry::subscriber(
        logs.clone(),
        bookwarden_shared::telemetry::DEFAULT_FILTER,
    );
    let guard = tracing::subscriber::set_default(subscriber);
    let (created, token) = sign_up(&app, &body).await;
    app.post_json(
        "/v1/auth/verify-email",
        &serde_json::json!({ "token": token }),
    )
    .await;
    app.request(
        "GET",
        &format!("/v1/public/tenants/{}", body["slug"].as_str().unwrap()),
        &[],
        b"",
    )
    .await;
    app.post_json(
        "/v1/tenants",
        &serde_json::json!({ "password": body["password"] }),
    )
    .await;
    drop(guard);

    let text = logs.text();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON log line"))
        .collect();
    assert!(lines.len() >= 4, "{text}");
    for line in &lines {
        assert!(
            line["span"]["request_id"]
                .as_str()
                .is_some_and(|id| id.len() == 32),
            "{line}"
        );
    }
    let tenant_id = created.json()["tenant_id"].as_str().unwrap().to_owned();
    assert!(
        lines.iter().any(|l| l["span"]["tenant_id"] == tenant_id),
        "tenant id is logged: {text}"
    );
    let user_part = body["owner_email"]
        .as_str()
        .unwrap()
        .split('@')
        .next()
        .unwrap();
    for secret in [
        user_part,
        body["owner_name"].as_str().unwrap(),
        body["password"].as_str().unwrap(),
        &token,
    ] {
        assert!(!text.contains(secret), "logs contain {secret}");
    }
    assert!(!text.contains("argon2id"));
}

#[tokio::test]
async fn concurrent_sign_ups_for_one_slug_create_exactly_one_tenant() {
    let app = TestApp::new().await;
    let first = signup_body("race");
    let attempts: Vec<_> = (0..5)
        .map(|_| {
            let mut b = signup_body("race");
            b["slug"] = first["slug"].clone();
            b
        })
        .collect();
    let responses = futures_join(&app, &attempts).await;
    let created = responses.iter().filter(|s| **s == 201).count();
    let conflicts = responses.iter().filter(|s| **s == 409).count();
    assert_eq!((created, conflicts), (1, 4), "{responses:?}");
    let slugs = app
        .scan()
        .await
        .into_iter()
        .filter(|i| i["PK"].as_s().unwrap().starts_with("SLUG#"))
        .count();
    assert_eq!(slugs, 1);
}

async fn futures_join(app: &TestApp, bodies: &[serde_json::Value]) -> Vec<u16> {
    let requests = bodies.iter().map(|b| app.post_json("/v1/tenants", b));
    futures_util::future::join_all(requests)
        .await
        .into_iter()
        .map(|r| r.status)
        .collect()
}
