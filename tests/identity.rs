//! Identity and access flows against moto: sign-in, lockout, second factors,
//! passwords, sessions, API keys, CSRF, user management, notifications.

use bookwarden_tests::identity::{session_from, totp_now, As, ORIGIN};
use bookwarden_tests::{token_from_mail, LogCapture, TestApp};
use serde_json::json;

const PROBLEMS: &str = "https://bookwarden.dev/problems/";

#[tokio::test]
async fn every_login_failure_gets_the_same_answer() {
    let app = TestApp::new().await;
    let owner = app.owner("same").await;
    let attempts = [
        (
            "no-such-business",
            owner.email.as_str(),
            owner.password.as_str(),
        ),
        (
            owner.slug.as_str(),
            "nobody@example.com",
            owner.password.as_str(),
        ),
        (
            owner.slug.as_str(),
            owner.email.as_str(),
            "a wrong but long password",
        ),
        ("NOT A SLUG", "not an email", "x"),
    ];
    let mut bodies = Vec::new();
    for (slug, email, password) in attempts {
        let r = app.login_attempt(slug, email, password).await;
        assert_eq!(r.status, 401, "{}", r.body);
        assert_eq!(r.problem_type(), format!("{PROBLEMS}invalid-credentials"));
        assert!(r.header("set-cookie").is_none());
        let mut j = r.json();
        j.as_object_mut().unwrap().remove("instance");
        bodies.push(j);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
}

#[tokio::test]
async fn a_session_lives_in_a_host_only_cookie_and_logout_ends_it() {
    let app = TestApp::new().await;
    let owner = app.owner("cookie").await;
    let r = app
        .login_attempt(&owner.slug, &owner.email, &owner.password)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let j = r.json();
    assert_eq!(j["status"], "authenticated");
    assert_eq!(j["role"], "owner");
    assert_eq!(j["tenant_id"], owner.tenant_id.as_str());
    assert!(!r.body.contains("password"));
    let cookie = r.header("set-cookie").unwrap();
    assert!(cookie.starts_with("__Host-session="));
    for attr in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attr), "{attr} in {cookie}");
    }
    let session = session_from(&r);
    let me_path = format!("/v1/tenants/{}/me", owner.tenant_id);
    let me = app.call(As::Session(&session), "GET", &me_path, None).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["email"], owner.email.as_str());

    // The token is stored only as a hash.
    let token = session.cookie.trim_start_matches("__Host-session=");
    assert!(!format!("{:?}", app.scan().await).contains(token));

    let out = app
        .call(As::Session(&session), "POST", "/v1/auth/logout", None)
        .await;
    assert_eq!(out.status, 204, "{}", out.body);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    let after = app.call(As::Session(&session), "GET", &me_path, None).await;
    assert_eq!(after.status, 401);
    assert_eq!(after.problem_type(), format!("{PROBLEMS}unauthenticated"));
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_account_once_even_in_parallel() {
    let app = TestApp::new().await;
    let owner = app.owner("lock").await;
    let mails_before = app.mail_to(&owner.email).await.len();
    let wrong: Vec<_> = (0..8)
        .map(|_| app.login_attempt(&owner.slug, &owner.email, "a wrong but long password"))
        .collect();
    for r in futures_util::future::join_all(wrong).await {
        assert_eq!(r.status, 401);
    }
    // Locked: even the right password is refused, with the same answer.
    let r = app
        .login_attempt(&owner.slug, &owner.email, &owner.password)
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.problem_type(), format!("{PROBLEMS}invalid-credentials"));
    let mails = app.mail_to(&owner.email).await;
    assert_eq!(mails.len(), mails_before + 1, "exactly one lockout email");
    assert!(mails.last().unwrap().contains("locked"));

    // When the lock has passed, the right password works and resets the counter.
    unlock(&app, &owner.tenant_id).await;
    let session = app.login(&owner).await;
    let actions = app.audit_actions(&session).await;
    assert_eq!(
        actions.iter().filter(|a| *a == "login.lockout").count(),
        1,
        "{actions:?}"
    );
    assert!(actions.iter().any(|a| a == "login.locked"));
    assert!(actions.iter().filter(|a| *a == "login.failure").count() >= 5);
}

/// Moves every lock of the tenant's users into the past.
async fn unlock(app: &TestApp, tenant_id: &str) {
    app.set_user_number(tenant_id, "locked_until", 1).await;
}

#[tokio::test]
async fn one_client_address_is_throttled_across_accounts() {
    let app = TestApp::new().await;
    let owner = app.owner("throttle").await;
    for round in 0..2 {
        let window = bookwarden_tests::limit_window(900);
        app.set_client(&format!("198.51.100.{}", 23 + round));
        for i in 0..50 {
            let r = app
                .login_attempt(
                    &owner.slug,
                    &format!("user{i}@example.com"),
                    "a wrong but long password",
                )
                .await;
            assert_eq!(r.status, 401, "attempt {i}");
        }
        let r = app
            .login_attempt(&owner.slug, &owner.email, &owner.password)
            .await;
        if bookwarden_tests::limit_window(900) != window {
            continue;
        }
        assert_eq!(r.status, 429);
        assert_eq!(r.problem_type(), format!("{PROBLEMS}too-many-requests"));
        break;
    }
    app.set_client("198.51.100.99");
    assert_eq!(
        app.login_attempt(&owner.slug, &owner.email, &owner.password)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn totp_enrolment_makes_login_two_steps_and_every_factor_works_once() {
    let app = TestApp::new().await;
    let owner = app.owner("totp").await;
    let session = app.login(&owner).await;
    let base = format!("/v1/tenants/{}/me/mfa", owner.tenant_id);
    let begun = app
        .call(As::Session(&session), "POST", &format!("{base}/totp"), None)
        .await;
    assert_eq!(begun.status, 201, "{}", begun.body);
    let secret = begun.json()["secret"].as_str().unwrap().to_owned();
    assert!(begun.json()["otpauth_uri"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/Bookwarden:"));
    let wrong = app
        .call(
            As::Session(&session),
            "POST",
            &format!("{base}/totp/confirm"),
            Some(json!({ "code": "000000" })),
        )
        .await;
    assert_eq!(wrong.status, 401);
    let confirmed = app
        .call(
            As::Session(&session),
            "POST",
            &format!("{base}/totp/confirm"),
            Some(json!({ "code": totp_now(&secret) })),
        )
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    let codes: Vec<String> = confirmed.json()["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    // The session was rotated: the old cookie is gone, the new one works.
    let rotated = session_from(&confirmed_with_ids(&confirmed, &session));
    assert_eq!(
        app.call(
            As::Session(&session),
            "GET",
            &format!("/v1/tenants/{}/me", owner.tenant_id),
            None
        )
        .await
        .status,
        401
    );
    assert_eq!(
        app.call(
            As::Session(&rotated),
            "GET",
            &format!("/v1/tenants/{}/me", owner.tenant_id),
            None
        )
        .await
        .status,
        200
    );
    // The seed is stored sealed.
    assert!(!format!("{:?}", app.scan().await).contains(&secret));

    // Password alone no longer signs in; the pending token is not a session.
    let step1 = app
        .login_attempt(&owner.slug, &owner.email, &owner.password)
        .await;
    assert_eq!(step1.json()["status"], "mfa_required");
    assert!(step1.header("set-cookie").is_none());
    let mfa_token = step1.json()["mfa_token"].as_str().unwrap().to_owned();
    let fake = bookwarden_tests::identity::Session {
        cookie: format!("__Host-session={mfa_token}"),
        tenant_id: owner.tenant_id.clone(),
        user_id: String::new(),
    };
    assert_eq!(
        app.call(
            As::Session(&fake),
            "GET",
            &format!("/v1/tenants/{}/me", owner.tenant_id),
            None
        )
        .await
        .status,
        401
    );

    let bad = app
        .post_json(
            "/v1/auth/login/mfa",
            &json!({ "mfa_token": mfa_token, "method": "totp", "code": "123456" }),
        )
        .await;
    assert_eq!(bad.status, 401);
    assert_eq!(bad.problem_type(), format!("{PROBLEMS}invalid-code"));
    let good = app
        .post_json(
            "/v1/auth/login/mfa",
            &json!({ "mfa_token": mfa_token, "method": "totp", "code": totp_at(&secret, 30) }),
        )
        .await;
    assert_eq!(good.status, 200, "{}", good.body);
    assert_eq!(good.json()["status"], "authenticated");
    // The pending login is used up.
    let again = app
        .post_json(
            "/v1/auth/login/mfa",
            &json!({ "mfa_token": mfa_token, "method": "recovery_code", "code": codes[0] }),
        )
        .await;
    assert_eq!(again.status, 401);

    // A recovery code works once.
    for expected in [200, 401] {
        let step1 = app
            .login_attempt(&owner.slug, &owner.email, &owner.password)
            .await;
        let token = step1.json()["mfa_token"].as_str().unwrap().to_owned();
        let r = app
            .post_json(
                "/v1/auth/login/mfa",
                &json!({ "mfa_token": token, "method": "recovery_code", "code": codes[1] }),
            )
            .await;
        assert_eq!(r.status, expected, "{}", r.body);
    }

    // An emailed code works.
    let step1 = app
        .login_attempt(&owner.slug, &owner.email, &owner.password)
        .await;
    let token = step1.json()["mfa_token"].as_str().unwrap().to_owned();
    let sent = app
        .post_json("/v1/auth/login/mfa/email", &json!({ "mfa_token": token }))
        .await;
    assert_eq!(sent.status, 202, "{}", sent.body);
    let mail = app.mail_to(&owner.email).await;
    let code = email_code(
        mail.iter()
            .rev()
            .find(|m| m.contains("sign-in code"))
            .unwrap(),
    );
    let r = app
        .post_json(
            "/v1/auth/login/mfa",
            &json!({ "mfa_token": token, "method": "email", "code": code }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // Five wrong codes end the pending login.
    let step1 = app
        .login_attempt(&owner.slug, &owner.email, &owner.password)
        .await;
    let token = step1.json()["mfa_token"].as_str().unwrap().to_owned();
    for _ in 0..5 {
        app.post_json(
            "/v1/auth/login/mfa",
            &json!({ "mfa_token": token, "method": "totp", "code": "000000" }),
        )
        .await;
    }
    let r = app
        .post_json(
            "/v1/auth/login/mfa",
            &json!({ "mfa_token": token, "method": "totp", "code": totp_at(&secret, 0) }),
        )
        .await;
    assert_eq!(
        r.status, 401,
        "a sixth attempt is refused even with a right code"
    );
}

fn confirmed_with_ids(
    r: &bookwarden_tests::TestResponse,
    s: &bookwarden_tests::identity::Session,
) -> bookwarden_tests::TestResponse {
    let mut body = r.json();
    body["tenant_id"] = s.tenant_id.clone().into();
    body["user_id"] = s.user_id.clone().into();
    bookwarden_tests::TestResponse {
        status: r.status,
        headers: r.headers.clone(),
        body: body.to_string(),
    }
}

fn totp_at(secret: &str, offset: u64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret).unwrap();
    let totp = totp_rs::Builder::new().with_secret(secret).build().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    totp.generate(now + offset).to_string()
}

/// The six-digit code on its own line of a sign-in code mail.
fn email_code(raw: &str) -> String {
    bookwarden_tests::decoded(raw)
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
        .expect("code in mail")
        .to_owned()
}

#[tokio::test]
async fn a_tenant_can_require_mfa_for_owners_and_admins() {
    let app = TestApp::new().await;
    let owner = app.owner("require").await;
    let session = app.login(&owner).await;
    let settings = format!("/v1/tenants/{}/settings", owner.tenant_id);
    let r = app
        .call(
            As::Session(&session),
            "PATCH",
            &settings,
            Some(json!({ "mfa_required_for_admins": true })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["mfa_required_for_admins"], true);

    let r = app
        .login_attempt(&owner.slug, &owner.email, &owner.password)
        .await;
    assert_eq!(r.json()["status"], "mfa_enrolment_required");
    let restricted = session_from(&r);
    let users = format!("/v1/tenants/{}/users", owner.tenant_id);
    let refused = app
        .call(As::Session(&restricted), "GET", &users, None)
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.problem_type(), format!("{PROBLEMS}step-required"));
    let (_, _, full) = app.enrol_totp(&restricted).await;
    assert_eq!(
        app.call(As::Session(&full), "GET", &users, None)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn password_changes_follow_the_policy_rotate_the_session_and_end_the_others() {
    let app = TestApp::new().await;
    let owner = app.owner("pwchange").await;
    let session = app.login(&owner).await;
    let other = app.login(&owner).await;
    let path = format!("/v1/tenants/{}/me/password", owner.tenant_id);
    let tries = [
        (
            json!({ "current_password": "not my password at all", "new_password": "saffron kettle moonlight 42" }),
            401,
            "reauthentication-required",
        ),
        (
            json!({ "current_password": owner.password, "new_password": "too short" }),
            422,
            "weak-password",
        ),
        (
            json!({ "current_password": owner.password, "new_password": "1qaz2wsx3edc4rfv" }),
            422,
            "weak-password",
        ),
        (
            json!({ "current_password": owner.password, "new_password": format!("{}!!", owner.email) }),
            422,
            "weak-password",
        ),
    ];
    for (body, status, kind) in tries {
        let r = app
            .call(As::Session(&session), "POST", &path, Some(body))
            .await;
        assert_eq!(r.status, status, "{}", r.body);
        assert_eq!(r.problem_type(), format!("{PROBLEMS}{kind}"));
    }
    let r = app
        .call(As::Session(&session), "POST", &path, Some(json!({ "current_password": owner.password, "new_password": "saffron kettle moonlight 42" })))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let me = format!("/v1/tenants/{}/me", owner.tenant_id);
    let rotated = bookwarden_tests::identity::Session {
        cookie: r
            .header("set-cookie")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned(),
        ..session.clone()
    };
    assert_eq!(
        app.call(As::Session(&rotated), "GET", &me, None)
            .await
            .status,
        200
    );
    assert_eq!(
        app.call(As::Session(&session), "GET", &me, None)
            .await
            .status,
        401
    );
    assert_eq!(
        app.call(As::Session(&other), "GET", &me, None).await.status,
        401
    );
    let mail = app.mail_to(&owner.email).await;
    assert!(
        mail.last().unwrap().contains("password was changed")
            || mail.iter().any(|m| m.contains("password was changed"))
    );

    // History: with reuse forbidden, the previous password is refused.
    let settings = format!("/v1/tenants/{}/settings", owner.tenant_id);
    let r = app
        .call(
            As::Session(&rotated),
            "PATCH",
            &settings,
            Some(json!({ "password_history": 3 })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .call(As::Session(&rotated), "POST", &path, Some(json!({ "current_password": "saffron kettle moonlight 42", "new_password": owner.password })))
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.json()["detail"]
        .as_str()
        .unwrap()
        .contains("used recently"));
}

#[tokio::test]
async fn password_reset_reveals_nothing_works_once_and_ends_every_session() {
    let app = TestApp::new().await;
    let owner = app.owner("reset").await;
    let session = app.login(&owner).await;
    let unknown = app
        .post_json(
            "/v1/auth/password-reset",
            &json!({ "tenant": owner.slug, "email": "nobody@example.com" }),
        )
        .await;
    let known = app
        .post_json(
            "/v1/auth/password-reset",
            &json!({ "tenant": owner.slug, "email": owner.email }),
        )
        .await;
    assert_eq!((unknown.status, known.status), (202, 202));
    assert_eq!(unknown.json(), known.json());
    assert!(app.mail_to("nobody@example.com").await.is_empty());
    let token = token_from_mail(app.mail_to(&owner.email).await.last().unwrap());

    let weak = app
        .post_json(
            "/v1/auth/password-reset/confirm",
            &json!({ "token": token, "password": "short" }),
        )
        .await;
    assert_eq!(weak.status, 422);
    let done = app
        .post_json(
            "/v1/auth/password-reset/confirm",
            &json!({ "token": token, "password": "marble orchard tuesday 77" }),
        )
        .await;
    assert_eq!(done.status, 204, "{}", done.body);
    let again = app
        .post_json(
            "/v1/auth/password-reset/confirm",
            &json!({ "token": token, "password": "another marble orchard 78" }),
        )
        .await;
    assert_eq!(again.status, 400);
    assert_eq!(
        app.call(
            As::Session(&session),
            "GET",
            &format!("/v1/tenants/{}/me", owner.tenant_id),
            None
        )
        .await
        .status,
        401
    );
    assert_eq!(
        app.login_attempt(&owner.slug, &owner.email, &owner.password)
            .await
            .status,
        401
    );
    assert_eq!(
        app.login_attempt(&owner.slug, &owner.email, "marble orchard tuesday 77")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn sessions_expire_when_idle_or_old_and_users_can_list_and_end_them() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let app = TestApp::new().await;
    let owner = app.owner("sessions").await;
    let a = app.login(&owner).await;
    let b = app.login(&owner).await;
    let list_path = format!("/v1/tenants/{}/me/sessions", owner.tenant_id);
    let listed = app.call(As::Session(&a), "GET", &list_path, None).await;
    let sessions = listed.json()["sessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let other_id = sessions.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ended = app
        .call(
            As::Session(&a),
            "DELETE",
            &format!("{list_path}/{other_id}"),
            None,
        )
        .await;
    assert_eq!(ended.status, 204, "{}", ended.body);
    assert_eq!(
        app.call(As::Session(&b), "GET", &list_path, None)
            .await
            .status,
        401
    );

    // Idle for longer than the idle timeout: refused. (Both items of each
    // session: the record that authenticates and the listing entry.)
    let session_items = |items: Vec<std::collections::HashMap<String, AttributeValue>>| {
        items
            .into_iter()
            .filter(|i| {
                let pk = i["PK"].as_s().unwrap();
                pk.contains("#SESS#") || pk.starts_with("SESS#")
            })
            .collect::<Vec<_>>()
    };
    let now = bookwarden_shared::clock::now_unix();
    for item in session_items(app.scan().await) {
        app.clients
            .dynamodb
            .update_item()
            .table_name(&app.table)
            .key("PK", item["PK"].clone())
            .key("SK", item["SK"].clone())
            .update_expression("SET last_seen_at = :t")
            .expression_attribute_values(":t", AttributeValue::N((now - 31 * 60).to_string()))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        app.call(As::Session(&a), "GET", &list_path, None)
            .await
            .status,
        401
    );

    // Past the absolute lifetime: refused even if recently used.
    let c = app.login(&owner).await;
    for item in session_items(app.scan().await) {
        app.clients
            .dynamodb
            .update_item()
            .table_name(&app.table)
            .key("PK", item["PK"].clone())
            .key("SK", item["SK"].clone())
            .update_expression("SET expires_at = :t")
            .expression_attribute_values(":t", AttributeValue::N((now - 1).to_string()))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        app.call(As::Session(&c), "GET", &list_path, None)
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn api_keys_are_scoped_shown_once_and_revoked_at_once() {
    let app = TestApp::new().await;
    let owner = app.owner("keys").await;
    let session = app.login(&owner).await;
    let (secret, id) = app.api_key(&session, &["read"]).await;
    assert!(secret.starts_with("bw_live_"));
    assert!(
        !format!("{:?}", app.scan().await).contains(&secret),
        "the secret is stored hashed"
    );
    let keys_path = format!("/v1/tenants/{}/api-keys", owner.tenant_id);
    let listed = app
        .call(As::Session(&session), "GET", &keys_path, None)
        .await;
    assert!(!listed.body.contains(&secret));
    assert_eq!(listed.json()["api_keys"][0]["prefix"], &secret[..12]);

    let users = format!("/v1/tenants/{}/users", owner.tenant_id);
    assert_eq!(
        app.call(As::Key(&secret), "GET", &users, None).await.status,
        200
    );
    let invite = app
        .call(
            As::Key(&secret),
            "POST",
            &users,
            Some(json!({ "email": "x@example.com", "name": "X", "role": "staff" })),
        )
        .await;
    assert_eq!(invite.status, 403, "a read key cannot write");
    assert_eq!(
        app.call(As::Key(&secret), "GET", &keys_path, None)
            .await
            .status,
        403,
        "keys cannot manage keys"
    );
    let listed = app
        .call(As::Session(&session), "GET", &keys_path, None)
        .await;
    assert!(listed.json()["api_keys"][0]["last_used_at"].is_string());

    let too_long = app
        .call(
            As::Session(&session),
            "POST",
            &keys_path,
            Some(json!({ "name": "x", "scopes": ["read"], "expires_in_days": 400 })),
        )
        .await;
    assert_eq!(too_long.status, 422);
    let revoked = app
        .call(
            As::Session(&session),
            "DELETE",
            &format!("{keys_path}/{id}"),
            None,
        )
        .await;
    assert_eq!(revoked.status, 204, "{}", revoked.body);
    assert_eq!(
        app.call(As::Key(&secret), "GET", &users, None).await.status,
        401
    );
    let actions = app.audit_actions(&session).await;
    assert!(
        actions.contains(&"api_key.created".to_owned())
            && actions.contains(&"api_key.revoked".to_owned())
    );
    assert!(app
        .mail_to(&owner.email)
        .await
        .iter()
        .any(|m| m.contains("API key")));
}

#[tokio::test]
async fn cookie_state_changes_must_come_from_the_application_origin() {
    let app = TestApp::new().await;
    let owner = app.owner("csrf").await;
    let session = app.login(&owner).await;
    let me = format!("/v1/tenants/{}/me", owner.tenant_id);
    let body = Some(json!({ "name": "Renamed" }));
    let refusals: [&[(&str, &str)]; 4] = [
        &[],
        &[("origin", "https://evil.example")],
        &[("origin", "null")],
        &[("sec-fetch-site", "cross-site")],
    ];
    for headers in refusals {
        let r = app
            .call(
                As::SessionWith(&session, headers),
                "PATCH",
                &me,
                body.clone(),
            )
            .await;
        assert_eq!(r.status, 403, "{headers:?}");
        assert_eq!(r.problem_type(), format!("{PROBLEMS}cross-site-request"));
    }
    let same_site: &[(&str, &str)] = &[("sec-fetch-site", "same-origin")];
    assert_eq!(
        app.call(
            As::SessionWith(&session, same_site),
            "PATCH",
            &me,
            body.clone()
        )
        .await
        .status,
        200
    );
    let own: &[(&str, &str)] = &[("origin", ORIGIN)];
    assert_eq!(
        app.call(As::SessionWith(&session, own), "PATCH", &me, body)
            .await
            .status,
        200
    );
    assert_eq!(
        app.call(As::SessionWith(&session, &[]), "GET", &me, None)
            .await
            .status,
        200,
        "reads need no origin"
    );
    assert_eq!(
        app.call(As::Session(&session), "GET", &me, None)
            .await
            .json()["name"],
        "Renamed"
    );
}

#[tokio::test]
async fn owners_and_admins_manage_users_within_the_rules() {
    let app = TestApp::new().await;
    let owner = app.owner("users").await;
    let owner_session = app.login(&owner).await;
    let (admin, admin_session) = app.member(&owner_session, &owner, "admin").await;
    let (staff, staff_session) = app.member(&admin_session, &owner, "staff").await;
    let users = format!("/v1/tenants/{}/users", owner.tenant_id);
    let (admin_key, _) = app.api_key(&admin_session, &["read"]).await;
    assert_eq!(
        app.call(As::Key(&admin_key), "GET", &users, None)
            .await
            .status,
        200
    );
    let listed = app
        .call(As::Session(&admin_session), "GET", &users, None)
        .await;
    assert_eq!(listed.json()["users"].as_array().unwrap().len(), 3);

    // Duplicate email, admin creating an owner, demoting the last owner.
    let dup = app
        .call(
            As::Session(&owner_session),
            "POST",
            &users,
            Some(json!({ "email": staff.email, "name": "Twin", "role": "staff" })),
        )
        .await;
    assert_eq!(dup.status, 409);
    assert_eq!(dup.problem_type(), format!("{PROBLEMS}email-taken"));
    let promote = app
        .call(
            As::Session(&admin_session),
            "PATCH",
            &format!("{users}/{}", staff.user_id),
            Some(json!({ "role": "owner" })),
        )
        .await;
    assert_eq!(promote.status, 403);
    let owner_id = app
        .call(
            As::Session(&owner_session),
            "GET",
            &format!("/v1/tenants/{}/me", owner.tenant_id),
            None,
        )
        .await
        .json()["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let demote = app
        .call(
            As::Session(&owner_session),
            "PATCH",
            &format!("{users}/{owner_id}"),
            Some(json!({ "role": "admin" })),
        )
        .await;
    assert_eq!(demote.status, 409);
    assert_eq!(demote.problem_type(), format!("{PROBLEMS}last-owner"));

    // A role change ends the target's sessions and tells them.
    let changed = app
        .call(
            As::Session(&owner_session),
            "PATCH",
            &format!("{users}/{}", staff.user_id),
            Some(json!({ "role": "admin" })),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.json()["role"], "admin");
    assert_eq!(
        app.call(As::Session(&staff_session), "GET", &users, None)
            .await
            .status,
        401
    );
    assert!(app
        .mail_to(&staff.email)
        .await
        .iter()
        .any(|m| m.contains("role")));

    // Deactivation ends sessions and sign-in.
    let deactivated = app
        .call(
            As::Session(&owner_session),
            "POST",
            &format!("{users}/{}/deactivate", admin.user_id),
            None,
        )
        .await;
    assert_eq!(deactivated.status, 200, "{}", deactivated.body);
    assert_eq!(
        app.call(As::Session(&admin_session), "GET", &users, None)
            .await
            .status,
        401
    );
    assert_eq!(
        app.login_attempt(&admin.slug, &admin.email, &admin.password)
            .await
            .status,
        401
    );
    let revoked = app.call(As::Key(&admin_key), "GET", &users, None).await;
    assert_eq!(revoked.status, 401, "their keys are revoked too");

    // Deletion needs re-authentication and erases the personal data.
    let target = format!("{users}/{}", staff.user_id);
    let no_reauth = app
        .call(
            As::Session(&owner_session),
            "DELETE",
            &target,
            Some(json!({})),
        )
        .await;
    assert_eq!(no_reauth.status, 401);
    assert_eq!(
        no_reauth.problem_type(),
        format!("{PROBLEMS}reauthentication-required")
    );
    let deleted = app
        .call(
            As::Session(&owner_session),
            "DELETE",
            &target,
            Some(json!({ "password": owner.password })),
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let remaining = app.scan().await;
    assert!(
        !remaining
            .iter()
            .any(|i| i["SK"].as_s().unwrap() == &format!("USER#{}", staff.user_id)),
        "the user item is gone"
    );
    assert!(!remaining
        .iter()
        .any(|i| i["SK"].as_s().unwrap().starts_with("EMAIL#")
            && i["user_id"].as_s().ok() == Some(&staff.user_id)));
    let listed = app
        .call(As::Session(&owner_session), "GET", &users, None)
        .await;
    assert_eq!(listed.json()["users"].as_array().unwrap().len(), 2);
    let actions = app.audit_actions(&owner_session).await;
    for a in [
        "user.invited",
        "user.role_changed",
        "user.deactivated",
        "user.deleted",
        "user.invitation_accepted",
    ] {
        assert!(actions.contains(&a.to_owned()), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn an_old_argon2_hash_is_replaced_at_login() {
    use argon2::password_hash::{PasswordHasher, SaltString};
    use aws_sdk_dynamodb::types::AttributeValue;
    let app = TestApp::new().await;
    let owner = app.owner("rehash").await;
    let weak = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(8192, 1, 1, None).unwrap(),
    )
    .hash_password(
        owner.password.as_bytes(),
        &SaltString::encode_b64(&[9u8; 16]).unwrap(),
    )
    .unwrap()
    .to_string();
    let user = app
        .scan()
        .await
        .into_iter()
        .find(|i| i["SK"].as_s().unwrap().starts_with("USER#"))
        .unwrap();
    app.clients
        .dynamodb
        .update_item()
        .table_name(&app.table)
        .key("PK", user["PK"].clone())
        .key("SK", user["SK"].clone())
        .update_expression("SET password_hash = :h")
        .expression_attribute_values(":h", AttributeValue::S(weak.clone()))
        .send()
        .await
        .unwrap();
    app.login(&owner).await;
    let user = app
        .scan()
        .await
        .into_iter()
        .find(|i| i["SK"].as_s().unwrap().starts_with("USER#"))
        .unwrap();
    let stored = user["password_hash"].as_s().unwrap();
    assert_ne!(stored, &weak);
    assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
}

#[tokio::test]
async fn an_expired_password_must_be_changed_before_anything_else() {
    let app = TestApp::new().await;
    let owner = app.owner("maxage").await;
    let session = app.login(&owner).await;
    let settings = format!("/v1/tenants/{}/settings", owner.tenant_id);
    assert_eq!(
        app.call(
            As::Session(&session),
            "PATCH",
            &settings,
            Some(json!({ "password_max_age_days": 90 }))
        )
        .await
        .status,
        200
    );
    app.set_user_number(
        &owner.tenant_id,
        "password_changed_at",
        bookwarden_shared::clock::now_unix() - 91 * 86_400,
    )
    .await;
    let r = app
        .login_attempt(&owner.slug, &owner.email, &owner.password)
        .await;
    assert_eq!(r.json()["status"], "password_change_required");
    let restricted = session_from(&r);
    assert_eq!(
        app.call(
            As::Session(&restricted),
            "GET",
            &format!("/v1/tenants/{}/users", owner.tenant_id),
            None
        )
        .await
        .status,
        403
    );
    let changed = app
        .call(As::Session(&restricted), "POST", &format!("/v1/tenants/{}/me/password", owner.tenant_id),
            Some(json!({ "current_password": owner.password, "new_password": "quartz meadow falcon 2031" })))
        .await;
    assert_eq!(changed.status, 204, "{}", changed.body);
    let fresh = app
        .login_attempt(&owner.slug, &owner.email, "quartz meadow falcon 2031")
        .await;
    assert_eq!(fresh.json()["status"], "authenticated");
}

#[tokio::test]
async fn identity_logs_carry_no_credentials_or_personal_data() {
    let app = TestApp::new().await;
    let owner = app.owner("idlogs").await;
    let logs = LogCapture::default();
    let guard = tracing::subscriber::set_default(bookwarden_shared::telemetry::subscriber(
        logs.clone(),
        bookwarden_shared::telemetry::DEFAULT_FILTER,
    ));
    let session = app.login(&owner).await;
    let refused = app
        .login_attempt(&owner.slug, &owner.email, "a wrong but long password")
        .await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    let (secret, _) = app.api_key(&session, &["read"]).await;
    app.call(
        As::Key(&secret),
        "GET",
        &format!("/v1/tenants/{}/users", owner.tenant_id),
        None,
    )
    .await;
    app.post_json(
        "/v1/auth/password-reset",
        &json!({ "tenant": owner.slug, "email": owner.email }),
    )
    .await;
    drop(guard);
    let text = logs.text();
    assert!(text.contains("signed in"), "{text}");
    let token = session.cookie.trim_start_matches("__Host-session=");
    for secret_value in [
        owner.email.as_str(),
        owner.password.as_str(),
        token,
        secret.as_str(),
        "a wrong but long password",
    ] {
        assert!(!text.contains(secret_value), "logs contain {secret_value}");
    }
}

#[tokio::test]
async fn an_authenticated_request_costs_one_read_to_authenticate_and_the_audit_log_pages() {
    let app = TestApp::new().await;
    let owner = app.owner("costs").await;
    let session = app.login(&owner).await;
    let health_like = format!("/v1/tenants/{}/me/sessions", owner.tenant_id);
    app.call(As::Session(&session), "GET", &health_like, None)
        .await;
    let before = app.ddb_calls.get();
    let r = app
        .call(As::Session(&session), "GET", &health_like, None)
        .await;
    assert_eq!(r.status, 200);
    // The session record, then the one Query the route needs.
    assert_eq!(app.ddb_calls.get() - before, 2);

    // Newest first, a page at a time, each event once.
    let all = app.audit_actions(&session).await;
    assert!(all.len() >= 3, "{all:?}");
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/tenants/{}/audit?limit=2&cursor={c}", owner.tenant_id),
            None => format!("/v1/tenants/{}/audit?limit=2", owner.tenant_id),
        };
        let page = app.call(As::Session(&session), "GET", &path, None).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let j = page.json();
        let events = j["events"].as_array().unwrap();
        assert!(events.len() <= 2);
        seen.extend(
            events
                .iter()
                .map(|e| e["action"].as_str().unwrap().to_owned()),
        );
        match j["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, all);
    let bad = app
        .call(
            As::Session(&session),
            "GET",
            &format!("/v1/tenants/{}/audit?limit=1000", owner.tenant_id),
            None,
        )
        .await;
    assert_eq!(bad.status, 422);
    let bad = app
        .call(
            As::Session(&session),
            "GET",
            &format!("/v1/tenants/{}/audit?cursor=%%%", owner.tenant_id),
            None,
        )
        .await;
    assert_eq!(bad.status, 422);
}

#[tokio::test]
async fn an_email_change_needs_the_password_and_the_new_inbox() {
    let app = TestApp::new().await;
    let owner = app.owner("newmail").await;
    let session = app.login(&owner).await;
    let path = format!("/v1/tenants/{}/me/email", owner.tenant_id);
    let new_email = owner.email.replace("@example.com", "@moved.example.org");
    let wrong = app
        .call(
            As::Session(&session),
            "POST",
            &path,
            Some(json!({ "new_email": new_email, "password": "not the password at all" })),
        )
        .await;
    assert_eq!(wrong.status, 401);
    let asked = app
        .call(
            As::Session(&session),
            "POST",
            &path,
            Some(json!({ "new_email": new_email, "password": owner.password })),
        )
        .await;
    assert_eq!(asked.status, 202, "{}", asked.body);
    assert!(app
        .mail_to(&owner.email)
        .await
        .iter()
        .any(|m| m.contains("change of your email")));
    // Nothing changes until the new inbox confirms.
    assert_eq!(
        app.login_attempt(&owner.slug, &owner.email, &owner.password)
            .await
            .status,
        200
    );
    let token = token_from_mail(app.mail_to(&new_email).await.last().unwrap());
    let done = app
        .post_json("/v1/auth/email-change/confirm", &json!({ "token": token }))
        .await;
    assert_eq!(done.status, 204, "{}", done.body);
    assert_eq!(
        app.post_json("/v1/auth/email-change/confirm", &json!({ "token": token }))
            .await
            .status,
        400
    );
    assert_eq!(
        app.login_attempt(&owner.slug, &owner.email, &owner.password)
            .await
            .status,
        401
    );
    assert_eq!(
        app.login_attempt(&owner.slug, &new_email, &owner.password)
            .await
            .status,
        200
    );
    let me = app
        .call(
            As::Session(&session),
            "GET",
            &format!("/v1/tenants/{}/me", owner.tenant_id),
            None,
        )
        .await;
    assert_eq!(me.json()["email"], new_email.as_str());
    assert!(app
        .mail_to(&owner.email)
        .await
        .iter()
        .any(|m| m.contains("email address was changed")));
    assert!(app
        .audit_actions(&session)
        .await
        .contains(&"email.changed".to_owned()));
}
