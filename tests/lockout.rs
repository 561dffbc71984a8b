//! Brute force under real concurrency (AUTH-2). Alone in its binary because it
//! counts this process's Argon2 verifications: no other test may sign in
//! alongside it.

use bookwarden_shared::accounts::login::LOCK_AFTER_FAILURES;
use bookwarden_shared::crypto::verifications_so_far;
use bookwarden_tests::identity::Account;
use bookwarden_tests::{TestApp, TestResponse};
use futures_util::future::join_all;

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
    assert_eq!(verifications_so_far() - before, 0, "a locked account's guesses are not checked");

    // The lock is recorded once; when it has run out, the right password works.
    app.set_user_number(&owner.tenant_id, "locked_until", 1).await;
    let session = app.login(&owner).await;
    let actions = app.audit_actions(&session).await;
    let count = |a: &str| actions.iter().filter(|x| *x == a).count();
    assert_eq!(count("login.lockout"), 1, "{actions:?}");
    assert_eq!(count("login.failure"), LOCK_AFTER_FAILURES as usize, "{actions:?}");
}
