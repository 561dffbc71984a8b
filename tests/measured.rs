//! Tests that measure the process itself: Argon2 verifications counted during
//! a burst of guesses (AUTH-2), answer timings that must not reveal whether
//! an account exists (AUTH-2, AUTH-4), and the table reads that authenticating
//! a request costs (SESS-2, AUTH-5). They live in their own binary and take
//! turns ([`alone`]), so no other test's sign-ins or load disturb the figures.

use bookwarden_shared::accounts::login::LOCK_AFTER_FAILURES;
use bookwarden_shared::crypto::verifications_so_far;
use bookwarden_tests::identity::{Account, As};
use bookwarden_tests::{reads, TestApp, TestResponse};
use futures_util::future::join_all;
use serde_json::json;
use std::time::Instant;
use tokio::sync::{Mutex, MutexGuard};

/// Runs the measuring tests one at a time (in whatever order the harness
/// picks): each holds this for its whole run.
async fn alone() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::const_new(());
    TURN.lock().await
}

const PROBLEMS: &str = "https://bookwarden.dev/problems/";

/// Fires `passwords` at the account all at once, spread over six client
/// addresses (so the per-address throttle is not what stops them).
async fn burst(app: &TestApp, owner: &Account, passwords: &[&str]) -> Vec<TestResponse> {
    let attempts = passwords.iter().enumerate().map(|(i, password)| {
        let ip = format!("198.51.100.{}", 10 + i % 6);
        let body = serde_json::json!({
            "tenant": owner.slug, "email": owner.email, "password": password,
        })
        .to_string();
        async move {
            app.request_from(
                &ip,
                "POST",
                "/v1/auth/login",
                &[("content-type", "application/json")],
                body.as_bytes(),
            )
            .await
        }
    });
    join_all(attempts).await
}

#[tokio::test]
async fn a_burst_of_guesses_gets_only_the_admitted_evaluations_and_one_lock() {
    let _turn = alone().await;
    let app = TestApp::new().await;
    let owner = app.owner("burst").await;
    let mails_before = app.mail_to(&owner.email).await.len();

    // 60 concurrent wrong guesses: only the admitted ones are checked.
    let before = verifications_so_far();
    let answers = burst(&app, &owner, &["a wrong but long password"; 60]).await;
    let evaluated = verifications_so_far() - before;
    for r in &answers {
        assert_eq!(r.status, 401, "{}", r.body);
        assert_eq!(r.problem_type(), format!("{PROBLEMS}invalid-credentials"));
    }
    println!("burst of 60 concurrent guesses: {evaluated} Argon2 verifications");
    assert!(
        evaluated <= LOCK_AFTER_FAILURES as u64,
        "{evaluated} Argon2 checks for a burst of 60 (at most {LOCK_AFTER_FAILURES} admitted)"
    );
    let mails = app.mail_to(&owner.email).await;
    assert_eq!(mails.len(), mails_before + 1, "exactly one lock notice");
    assert!(mails.last().unwrap().contains("locked"));

    // Locked: a burst that carries the right password among wrong ones signs
    // nobody in, and no guess is even checked.
    let mut mixed = vec!["a wrong but long password"; 30];
    for slot in mixed.iter_mut().step_by(3) {
        *slot = owner.password.as_str();
    }
    let before = verifications_so_far();
    for r in burst(&app, &owner, &mixed).await {
        assert_eq!(r.status, 401, "{}", r.body);
        assert!(r.header("set-cookie").is_none());
    }
    assert_eq!(
        verifications_so_far() - before,
        0,
        "a locked account's guesses are not checked"
    );

    // The lock is recorded once; when it has run out, the right password works.
    app.set_user_number(&owner.tenant_id, "locked_until", 1)
        .await;
    let session = app.login(&owner).await;
    let actions = app.audit_actions(&session).await;
    let count = |a: &str| actions.iter().filter(|x| *x == a).count();
    assert_eq!(count("login.lockout"), 1, "{actions:?}");
    assert_eq!(
        count("login.failure"),
        LOCK_AFTER_FAILURES as usize,
        "{actions:?}"
    );
}

#[tokio::test]
async fn login_timing_does_not_reveal_whether_an_account_exists() {
    let _turn = alone().await;
    let app = TestApp::new().await;
    let owner = app.owner("timing").await;
    // Warm the process (dummy hash, data keys) so the first sample is not an outlier.
    app.login_attempt(&owner.slug, "warm@example.com", "warm up password")
        .await;
    let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
    for i in 0..21 {
        let t = Instant::now();
        let r = app
            .login_attempt(
                &owner.slug,
                &format!("ghost{i}@example.com"),
                "a wrong but long password",
            )
            .await;
        unknown.push(t.elapsed().as_secs_f64());
        assert_eq!(r.status, 401);
        let t = Instant::now();
        let r = app
            .login_attempt(&owner.slug, &owner.email, "a wrong but long password")
            .await;
        wrong.push(t.elapsed().as_secs_f64());
        assert_eq!(r.status, 401);
    }
    let (u, w) = (median(unknown), median(wrong));
    let ratio = u.max(w) / u.min(w);
    println!("login medians: unknown email {u:.4}s, wrong password {w:.4}s (ratio {ratio:.2})");
    assert!(
        ratio < 1.6,
        "unknown-email median {u:.4}s vs wrong-password median {w:.4}s"
    );
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

// Item 6: reset requests take the same time whether or not the account exists.
#[tokio::test]
async fn password_reset_timing_does_not_reveal_whether_an_account_exists() {
    let _turn = alone().await;
    let app = TestApp::new().await;
    let owner = app.owner("resettime").await;
    let reset = |email: String| {
        let app = &app;
        let slug = owner.slug.clone();
        async move {
            let t = Instant::now();
            let r = app
                .post_json(
                    "/v1/auth/password-reset",
                    &json!({ "tenant": slug, "email": email }),
                )
                .await;
            assert_eq!(r.status, 202, "{}", r.body);
            t.elapsed().as_secs_f64()
        }
    };
    // Warm the process (keys, DKIM) so the first sample is not an outlier.
    reset(owner.email.clone()).await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..20 {
        known.push(reset(owner.email.clone()).await);
        unknown.push(reset(format!("ghost{i}@example.com")).await);
    }
    let (k, u) = (median(known), median(unknown));
    let ratio = k.max(u) / k.min(u);
    println!("password-reset medians: known {k:.4}s, unknown {u:.4}s (ratio {ratio:.2})");
    assert!(
        ratio < 1.25,
        "known-account median {k:.4}s vs unknown-account median {u:.4}s"
    );
}

/// The table reads one request makes, and its answer.
async fn reads_of(
    app: &TestApp,
    who: As<'_>,
    method: &str,
    path: &str,
) -> (TestResponse, usize, Vec<String>) {
    let (r, ops) = app
        .ddb_calls
        .during(app.call(who, method, path, None))
        .await;
    (r, reads(&ops), ops)
}

#[tokio::test]
async fn authenticating_a_session_or_an_api_key_reads_one_item() {
    let _turn = alone().await;
    let app = TestApp::new().await;
    let owner = app.owner("authread").await;
    let session = app.login(&owner).await;
    let (_, staff) = app.member(&session, &owner, "staff").await;
    let (key, _) = app.api_key(&session, &["read"]).await;
    let t = &owner.tenant_id;

    // Refused by the permission matrix right after authentication: whatever
    // these read, authentication read.
    let (r, by_session, ops) = reads_of(
        &app,
        As::Session(&staff),
        "GET",
        &format!("/v1/tenants/{t}/audit"),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    println!("authenticating a session: {by_session} DynamoDB reads ({ops:?})");
    assert_eq!(by_session, 1, "{ops:?}");
    let (r, by_key, ops) = reads_of(
        &app,
        As::Key(&key),
        "GET",
        &format!("/v1/tenants/{t}/api-keys"),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    println!("authenticating an API key: {by_key} DynamoDB reads ({ops:?})");
    assert_eq!(by_key, 1, "{ops:?}");

    // A whole request: authentication and the profile it shows.
    for who in [As::Session(&session), As::Key(&key)] {
        let (r, n, ops) = reads_of(&app, who, "GET", &format!("/v1/tenants/{t}/me")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(n, 2, "{ops:?}");
    }
}
