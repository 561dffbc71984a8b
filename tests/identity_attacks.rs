//! Identity under attack: each test drives, over HTTP, a way around a promise
//! of AUTH-1..5, SESS-1/2, ACC-1..3, AUD-1 or MAIL-4 that an independent review
//! found, and asserts the promise now holds.

use bookwarden_tests::identity::{rotated, session_from, totp_now, Account, As, Session};
use bookwarden_tests::{signup_body, token_from_mail, TestApp, TestResponse};
use futures_util::future::join_all;
use serde_json::{json, Value};

const PROBLEMS: &str = "https://bookwarden.dev/problems/";

fn problem(r: &TestResponse) -> String {
    r.problem_type().trim_start_matches(PROBLEMS).to_owned()
}

fn me(account: &Account, rest: &str) -> String {
    format!("/v1/tenants/{}/me{rest}", account.tenant_id)
}

async fn change_password(
    app: &TestApp,
    session: &Session,
    owner: &Account,
    new: &str,
) -> TestResponse {
    app.call(
        As::Session(session),
        "POST",
        &me(owner, "/password"),
        Some(json!({ "current_password": owner.password, "new_password": new })),
    )
    .await
}

// Item 1: a restricted session stays restricted through rotation.
#[tokio::test]
async fn rotation_keeps_a_restriction_until_every_requirement_is_met() {
    let app = TestApp::new().await;
    let owner = app.owner("restricted").await;
    let session = app.login(&owner).await;
    app.set_settings(&session, json!({ "mfa_required_for_admins": true }))
        .await;
    let users = format!("/v1/tenants/{}/users", owner.tenant_id);

    // Enrolment-only session: changing the password does not lift it.
    let r = app
        .login_attempt(&owner.slug, &owner.email, &owner.password)
        .await;
    assert_eq!(r.json()["status"], "mfa_enrolment_required");
    let restricted = session_from(&r);
    let changed = change_password(&app, &restricted, &owner, "quartz meadow falcon 2031").await;
    assert_eq!(changed.status, 204, "{}", changed.body);
    let after_change = rotated(&changed, &restricted);
    let refused = app
        .call(As::Session(&after_change), "GET", &users, None)
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(problem(&refused), "step-required");
    // Enrolling the second factor meets the last requirement.
    let (_, _, full) = app.enrol_totp(&after_change).await;
    assert_eq!(
        app.call(As::Session(&full), "GET", &users, None)
            .await
            .status,
        200
    );

    // Password-change-only session: enrolling a factor does not lift it.
    let app = TestApp::new().await;
    let owner = app.owner("expired").await;
    let session = app.login(&owner).await;
    app.set_settings(&session, json!({ "password_max_age_days": 90 }))
        .await;
    let long_ago = bookwarden_shared::clock::now_unix() - 91 * 86_400;
    app.set_user_number(&owner.tenant_id, "password_changed_at", long_ago)
        .await;
    let r = app
        .login_attempt(&owner.slug, &owner.email, &owner.password)
        .await;
    assert_eq!(r.json()["status"], "password_change_required");
    let restricted = session_from(&r);
    let (_, _, after_enrol) = app.enrol_totp(&restricted).await;
    let users = format!("/v1/tenants/{}/users", owner.tenant_id);
    let refused = app
        .call(As::Session(&after_enrol), "GET", &users, None)
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(problem(&refused), "step-required");
    let changed = change_password(&app, &after_enrol, &owner, "quartz meadow falcon 2031").await;
    assert_eq!(changed.status, 204, "{}", changed.body);
    let full = rotated(&changed, &after_enrol);
    assert_eq!(
        app.call(As::Session(&full), "GET", &users, None)
            .await
            .status,
        200
    );
}

// Item 3: keys never administer users; role values in bodies follow the rule.
#[tokio::test]
async fn role_values_in_bodies_follow_the_matrix_and_keys_never_manage_users() {
    let app = TestApp::new().await;
    let owner = app.owner("roles").await;
    let owner_session = app.login(&owner).await;
    let (_, admin) = app.member(&owner_session, &owner, "admin").await;
    let (_, staff) = app.member(&owner_session, &owner, "staff").await;
    let (admin_key, _) = app
        .api_key(&owner_session, &["read", "bookings:write", "admin"])
        .await;
    let (read_key, _) = app.api_key(&owner_session, &["read"]).await;
    let users = format!("/v1/tenants/{}/users", owner.tenant_id);

    // Per caller: each role value in a body, and whether the caller may invite
    // someone with it and promote an invited staff member to it.
    type RoleRules<'a> = [(&'a str, bool); 3];
    let cases: Vec<(&str, As, RoleRules)> = vec![
        (
            "owner",
            As::Session(&owner_session),
            [("owner", true), ("admin", true), ("staff", true)],
        ),
        (
            "admin",
            As::Session(&admin),
            [("owner", false), ("admin", true), ("staff", true)],
        ),
        (
            "staff",
            As::Session(&staff),
            [("owner", false), ("admin", false), ("staff", false)],
        ),
        (
            "admin key",
            As::Key(&admin_key),
            [("owner", false), ("admin", false), ("staff", false)],
        ),
        (
            "read key",
            As::Key(&read_key),
            [("owner", false), ("admin", false), ("staff", false)],
        ),
    ];
    let mut failures = Vec::new();
    for (n, (who, caller, roles)) in cases.iter().enumerate() {
        for (i, (role, allowed)) in roles.iter().enumerate() {
            let invited = app
                .call(
                    caller.clone(),
                    "POST",
                    &users,
                    Some(json!({
                        "email": format!("invitee.{n}.{i}@example.org"),
                        "name": "Invitee",
                        "role": role,
                    })),
                )
                .await;
            let want = if *allowed { 201 } else { 403 };
            if invited.status != want {
                failures.push(format!(
                    "{who} invites {role}: {} ({})",
                    invited.status, invited.body
                ));
            }
            // A staff member invited by the owner, then promoted by the caller.
            let target = app
                .call(
                    As::Session(&owner_session),
                    "POST",
                    &users,
                    Some(json!({
                        "email": format!("target.{n}.{i}@example.org"),
                        "name": "Target",
                        "role": "staff",
                    })),
                )
                .await;
            assert_eq!(target.status, 201, "{}", target.body);
            let target_id = target.json()["user_id"].as_str().unwrap().to_owned();
            let promoted = app
                .call(
                    caller.clone(),
                    "PATCH",
                    &format!("{users}/{target_id}"),
                    Some(json!({ "role": role })),
                )
                .await;
            let want = if *allowed { 200 } else { 403 };
            if promoted.status != want {
                failures.push(format!(
                    "{who} sets role {role}: {} ({})",
                    promoted.status, promoted.body
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// Item 4: an email-change link changes the address only to the one it was
// mailed to, and a newer request kills older links.
#[tokio::test]
async fn an_email_change_link_is_bound_to_its_address_and_the_newest_request() {
    let app = TestApp::new().await;
    let owner = app.owner("rebind").await;
    let session = app.login(&owner).await;
    let request = |new: &'static str| {
        let session = session.clone();
        let path = me(&owner, "/email");
        let password = owner.password.clone();
        let app = &app;
        async move {
            let r = app
                .call(
                    As::Session(&session),
                    "POST",
                    &path,
                    Some(json!({ "new_email": new, "password": password })),
                )
                .await;
            assert_eq!(r.status, 202, "{}", r.body);
        }
    };
    request("mine@example.org").await;
    let first = token_from_mail(app.mail_to("mine@example.org").await.last().unwrap());
    request("victim@example.org").await;
    let confirm = |token: String| {
        let app = &app;
        async move {
            app.post_json("/v1/auth/email-change/confirm", &json!({ "token": token }))
                .await
        }
    };
    let stale = confirm(first).await;
    assert_eq!(stale.status, 400, "{}", stale.body);
    assert_eq!(problem(&stale), "invalid-token");
    let profile = app
        .call(As::Session(&session), "GET", &me(&owner, ""), None)
        .await;
    assert_eq!(profile.json()["email"], owner.email.as_str(), "unchanged");

    let second = token_from_mail(app.mail_to("victim@example.org").await.last().unwrap());
    assert_eq!(confirm(second).await.status, 204);
    let profile = app
        .call(As::Session(&session), "GET", &me(&owner, ""), None)
        .await;
    assert_eq!(profile.json()["email"], "victim@example.org");
}

// Item 5: sign-up applies the one password pipeline (policy and NFKC).
#[tokio::test]
async fn sign_up_uses_the_password_pipeline_every_other_path_uses() {
    let app = TestApp::new().await;
    for weak in [
        "passwordpassword",
        "aaaaaaaaaaaaaaaaaaaa",
        "1234567890123456",
    ] {
        let mut body = signup_body("weak");
        body["password"] = weak.into();
        let r = app.post_json("/v1/tenants", &body).await;
        assert_eq!(r.status, 422, "{weak}: {}", r.body);
        let fields: Vec<_> = r.json()["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(fields, ["password"], "{weak}");
    }
    let mut body = signup_body("close");
    let email = body["owner_email"].as_str().unwrap().to_owned();
    body["password"] = format!("{email}!!").into();
    assert_eq!(app.post_json("/v1/tenants", &body).await.status, 422);

    // A password whose NFKC form differs from what was typed still signs in.
    let mut body = signup_body("nfkc");
    body["password"] = "\u{FF21}\u{FF22} violet harbour lantern nine".into();
    let created = app.post_json("/v1/tenants", &body).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let email = body["owner_email"].as_str().unwrap();
    let token = token_from_mail(app.mail_to(email).await.last().unwrap());
    let verified = app
        .post_json("/v1/auth/verify-email", &json!({ "token": token }))
        .await;
    assert_eq!(verified.status, 200, "{}", verified.body);
    let slug = body["slug"].as_str().unwrap();
    let typed = app
        .login_attempt(slug, email, "\u{FF21}\u{FF22} violet harbour lantern nine")
        .await;
    assert_eq!(typed.status, 200, "{}", typed.body);
    let normalised = app
        .login_attempt(slug, email, "AB violet harbour lantern nine")
        .await;
    assert_eq!(normalised.status, 200, "{}", normalised.body);
}

async fn sign_up(app: &TestApp, body: &Value) -> TestResponse {
    app.post_json("/v1/tenants", body).await
}

// Item 5: sign-up cannot be used to mail-bomb from our domain.
#[tokio::test]
async fn sign_up_is_limited_per_client_address_and_per_recipient() {
    let app = TestApp::new().await;
    // Per recipient, whoever asks: three verification mails a day.
    let victim = "victim.signup@example.org";
    let mut first_slug = Value::Null;
    for i in 0..3 {
        app.set_client(&format!("192.0.2.{}", 10 + i));
        let mut body = signup_body("bomb");
        body["owner_email"] = victim.into();
        assert_eq!(sign_up(&app, &body).await.status, 201);
        if i == 0 {
            first_slug = body["slug"].clone();
        }
    }
    app.set_client("192.0.2.99");
    let mut body = signup_body("bomb");
    body["owner_email"] = victim.into();
    let refused = sign_up(&app, &body).await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert_eq!(app.mail_to(victim).await.len(), 3);
    // The resend route counts against the same budget.
    let resent = app
        .post_json(
            "/v1/auth/verify-email/resend",
            &json!({ "tenant": first_slug, "email": victim }),
        )
        .await;
    assert_eq!(resent.status, 202);
    assert_eq!(app.mail_to(victim).await.len(), 3);

    // Per client address: ten sign-ups an hour.
    for round in 0..2 {
        let window = bookwarden_tests::limit_window(3600);
        app.set_client(&format!("192.0.2.{}", 200 + round));
        for _ in 0..10 {
            assert_eq!(sign_up(&app, &signup_body("flood")).await.status, 201);
        }
        let body = signup_body("flood");
        let refused = sign_up(&app, &body).await;
        if bookwarden_tests::limit_window(3600) != window {
            continue;
        }
        assert_eq!(refused.status, 429, "{}", refused.body);
        assert_eq!(problem(&refused), "too-many-requests");
        assert!(app
            .mail_to(body["owner_email"].as_str().unwrap())
            .await
            .is_empty());
        break;
    }
}

// Item 5: nothing works before verification; the slug is only held for 48 hours;
// a new link replaces the old one.
#[tokio::test]
async fn an_unverified_account_can_do_nothing_and_its_slug_is_released() {
    let app = TestApp::new().await;
    let body = signup_body("pending");
    let created = sign_up(&app, &body).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let (slug, email, password) = (
        body["slug"].as_str().unwrap(),
        body["owner_email"].as_str().unwrap(),
        body["password"].as_str().unwrap(),
    );
    // Right password: told to verify; wrong password: the usual answer.
    let r = app.login_attempt(slug, email, password).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(problem(&r), "email-unverified");
    assert!(r.header("set-cookie").is_none());
    let r = app
        .login_attempt(slug, email, "a wrong but long password")
        .await;
    assert_eq!(problem(&r), "invalid-credentials");
    // No mail to an address nobody has proven to own: no reset link, no lock notice.
    let mails = app.mail_to(email).await.len();
    let reset = app
        .post_json(
            "/v1/auth/password-reset",
            &json!({ "tenant": slug, "email": email }),
        )
        .await;
    assert_eq!(reset.status, 202);
    for _ in 0..6 {
        app.login_attempt(slug, email, "a wrong but long password")
            .await;
    }
    assert_eq!(
        app.mail_to(email).await.len(),
        mails,
        "no mail before verification"
    );

    // A new link replaces the old one.
    let old = token_from_mail(app.mail_to(email).await.last().unwrap());
    let resent = app
        .post_json(
            "/v1/auth/verify-email/resend",
            &json!({ "tenant": slug, "email": email }),
        )
        .await;
    assert_eq!(resent.status, 202, "{}", resent.body);
    let new = token_from_mail(app.mail_to(email).await.last().unwrap());
    assert_ne!(old, new);
    let stale = app
        .post_json("/v1/auth/verify-email", &json!({ "token": old }))
        .await;
    assert_eq!(problem(&stale), "invalid-token");

    // 48 hours on, the slug is free again and the old business is gone.
    let slug_key = format!("SLUG#{slug}");
    app.clients
        .dynamodb
        .update_item()
        .table_name(&app.table)
        .key("PK", aws_sdk_dynamodb::types::AttributeValue::S(slug_key))
        .key(
            "SK",
            aws_sdk_dynamodb::types::AttributeValue::S("POINTER".into()),
        )
        .update_expression("SET expires_at = :past")
        .expression_attribute_values(
            ":past",
            aws_sdk_dynamodb::types::AttributeValue::N("1".into()),
        )
        .send()
        .await
        .unwrap();
    let mut again = signup_body("pending");
    again["slug"] = slug.into();
    let taken_over = sign_up(&app, &again).await;
    assert_eq!(taken_over.status, 201, "{}", taken_over.body);
    assert_ne!(taken_over.json()["tenant_id"], created.json()["tenant_id"]);
    // The first business's link (had it still been valid) cannot claim it back.
    let late = app
        .post_json("/v1/auth/verify-email", &json!({ "token": new }))
        .await;
    assert_eq!(problem(&late), "invalid-token");
}

async fn mfa_step(app: &TestApp, token: &str, method: &str, code: &str) -> TestResponse {
    app.post_json(
        "/v1/auth/login/mfa",
        &json!({ "mfa_token": token, "method": method, "code": code }),
    )
    .await
}

async fn password_step(app: &TestApp, owner: &Account) -> String {
    let r = app
        .login_attempt(&owner.slug, &owner.email, &owner.password)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["mfa_token"]
        .as_str()
        .expect("mfa token")
        .to_owned()
}

// Item 7: second-factor guesses count per account across pending logins.
#[tokio::test]
async fn second_factor_failures_lock_the_account_across_pending_logins() {
    let app = TestApp::new().await;
    let owner = app.owner("mfalock").await;
    let session = app.login(&owner).await;
    let (secret, _, session) = app.enrol_totp(&session).await;
    let mails = app.mail_to(&owner.email).await.len();
    for _ in 0..5 {
        let token = password_step(&app, &owner).await;
        let r = mfa_step(&app, &token, "totp", "000000").await;
        assert_eq!(problem(&r), "invalid-code");
    }
    // Locked: the password step is refused, even with the right password.
    let r = app
        .login_attempt(&owner.slug, &owner.email, &owner.password)
        .await;
    assert_eq!(r.status, 401, "{}", r.body);
    let sent = app.mail_to(&owner.email).await;
    assert!(sent.len() > mails, "the owner is told");
    assert!(sent.iter().any(|m| m.contains("second sign-in step")));
    assert!(sent.last().unwrap().contains("locked"));
    // A pending login from before the lock cannot finish either.
    app.set_user_number(&owner.tenant_id, "locked_until", 1)
        .await;
    let token = password_step(&app, &owner).await;
    app.set_user_number(&owner.tenant_id, "locked_until", i64::from(i32::MAX))
        .await;
    assert_eq!(
        mfa_step(&app, &token, "totp", &totp_now(&secret))
            .await
            .status,
        401
    );
    app.set_user_number(&owner.tenant_id, "locked_until", 1)
        .await;
    let actions = app.audit_actions(&session).await;
    let count = |a: &str| actions.iter().filter(|x| *x == a).count();
    assert_eq!(count("login.mfa_failure"), 5, "{actions:?}");
    assert_eq!(count("login.mfa_lockout"), 1, "{actions:?}");
}

// Item 8: replacing the authenticator needs re-authentication and is announced.
#[tokio::test]
async fn replacing_an_authenticator_needs_the_password_or_a_code() {
    let app = TestApp::new().await;
    let owner = app.owner("replace").await;
    let session = app.login(&owner).await;
    let (_, _, session) = app.enrol_totp(&session).await;
    let path = me(&owner, "/mfa/totp");
    let bare = app.call(As::Session(&session), "POST", &path, None).await;
    assert_eq!(bare.status, 401, "{}", bare.body);
    assert_eq!(problem(&bare), "reauthentication-required");
    let wrong = app
        .call(
            As::Session(&session),
            "POST",
            &path,
            Some(json!({ "password": "a wrong but long password" })),
        )
        .await;
    assert_eq!(problem(&wrong), "reauthentication-required");
    let begun = app
        .call(
            As::Session(&session),
            "POST",
            &path,
            Some(json!({ "password": owner.password })),
        )
        .await;
    assert_eq!(begun.status, 201, "{}", begun.body);
    let secret = begun.json()["secret"].as_str().unwrap().to_owned();
    let confirmed = app
        .call(
            As::Session(&session),
            "POST",
            &format!("{path}/confirm"),
            Some(json!({ "code": totp_now(&secret) })),
        )
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    assert!(app
        .mail_to(&owner.email)
        .await
        .last()
        .unwrap()
        .contains("replaced"));
    let session = rotated(&confirmed, &session);
    assert!(app
        .audit_actions(&session)
        .await
        .contains(&"mfa.totp_replaced".to_owned()));
}

// Item 9: a deactivated user cannot finish a pending login.
#[tokio::test]
async fn a_user_deactivated_mid_login_cannot_finish_it() {
    let app = TestApp::new().await;
    let owner = app.owner("deact").await;
    let owner_session = app.login(&owner).await;
    let (member, member_session) = app.member(&owner_session, &owner, "staff").await;
    let (secret, _, _) = app.enrol_totp(&member_session).await;
    let token = password_step(&app, &member).await;
    let r = app
        .call(
            As::Session(&owner_session),
            "POST",
            &format!(
                "/v1/tenants/{}/users/{}/deactivate",
                owner.tenant_id, member.user_id
            ),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = mfa_step(&app, &token, "totp", &totp_now(&secret)).await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(r.header("set-cookie").is_none());
}

// Item 9: one TOTP step or recovery code signs in once, even concurrently.
#[tokio::test]
async fn concurrent_logins_cannot_share_a_totp_step_or_recovery_code() {
    let app = TestApp::new().await;
    let owner = app.owner("share").await;
    let session = app.login(&owner).await;
    let (secret, codes, _) = app.enrol_totp(&session).await;
    // The enrolment used the current step; wait for a fresh one is not needed:
    // the next step's code is accepted within the skew window.
    let code = {
        let s = totp_rs::Secret::try_from_base32(&secret).unwrap();
        let t = totp_rs::Builder::new().with_secret(s).build().unwrap();
        let now = bookwarden_shared::clock::now_unix() as u64;
        t.generate(now + 30).to_string()
    };
    for (method, code) in [("totp", code), ("recovery_code", codes[0].clone())] {
        let mut tokens = Vec::new();
        for _ in 0..4 {
            tokens.push(password_step(&app, &owner).await);
        }
        let answers = join_all(tokens.iter().map(|t| mfa_step(&app, t, method, &code))).await;
        let ok = answers.iter().filter(|r| r.status == 200).count();
        assert_eq!(
            ok,
            1,
            "{method}: {:?}",
            answers.iter().map(|r| r.status).collect::<Vec<_>>()
        );
    }
}

// Item 9: reset links die with the password they were issued for and go to the
// stored address.
#[tokio::test]
async fn reset_links_die_with_their_password_and_go_to_the_stored_address() {
    let app = TestApp::new().await;
    let owner = app.owner("links").await;
    let request = || {
        let app = &app;
        let body = json!({ "tenant": owner.slug, "email": owner.email.to_uppercase() });
        let stored = owner.email.clone();
        async move {
            let r = app.post_json("/v1/auth/password-reset", &body).await;
            assert_eq!(r.status, 202);
            token_from_mail(app.mail_to(&stored).await.last().unwrap())
        }
    };
    let confirm = |token: String, password: &'static str| {
        let app = &app;
        async move {
            app.post_json(
                "/v1/auth/password-reset/confirm",
                &json!({ "token": token, "password": password }),
            )
            .await
        }
    };
    let first = request().await;
    let second = request().await;
    let mail = app.mail_to(&owner.email).await;
    assert!(
        mail.last()
            .unwrap()
            .contains(&format!("To: {}", owner.email))
            || mail.last().unwrap().contains(&format!("<{}>", owner.email))
    );
    assert!(
        app.mail_to(&owner.email.to_uppercase()).await.is_empty(),
        "the typed form is never a recipient"
    );
    assert_eq!(
        confirm(first, "quartz meadow falcon 2031").await.status,
        204
    );
    let stale = confirm(second, "amber glacier violin 1977").await;
    assert_eq!(problem(&stale), "invalid-token");

    // A password change kills an outstanding link too.
    let link = request().await;
    let owner = Account {
        password: "quartz meadow falcon 2031".into(),
        ..owner.clone()
    };
    let session = app.login(&owner).await;
    assert_eq!(
        change_password(&app, &session, &owner, "amber glacier violin 1977")
            .await
            .status,
        204
    );
    assert_eq!(
        problem(&confirm(link, "cobalt lantern orchard 88").await),
        "invalid-token"
    );
}

// Item 9: what a key does is audited under the key; anonymous sign-in noise
// cannot flood a business's log.
#[tokio::test]
async fn keys_are_named_in_the_audit_log_and_anonymous_noise_is_bounded() {
    let app = TestApp::new().await;
    let owner = app.owner("auditkey").await;
    let other = app.owner("elsewhere").await;
    let session = app.login(&owner).await;
    let (key, key_id) = app.api_key(&session, &["read"]).await;
    let r = app
        .call(
            As::Key(&key),
            "GET",
            &format!("/v1/tenants/{}/services", other.tenant_id),
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    let log = app
        .call(
            As::Session(&session),
            "GET",
            &format!("/v1/tenants/{}/audit?limit=100", owner.tenant_id),
            None,
        )
        .await;
    let crossed: Vec<Value> = log.json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "tenant.cross_access_attempt")
        .cloned()
        .collect();
    assert_eq!(crossed.len(), 1, "{crossed:?}");
    assert_eq!(
        crossed[0]["actor"],
        format!("{}/key:{key_id}", session.user_id),
        "the key is named"
    );

    // 70 attempts against unknown accounts from many addresses: the log keeps a
    // bounded number and says the rest were only counted.
    let attempts = (0..70).map(|i| {
        let app = &app;
        let slug = owner.slug.clone();
        async move {
            let body = json!({ "tenant": slug, "email": format!("nobody{i}@example.com"), "password": "a wrong but long password" }).to_string();
            app.request_from(
                &format!("198.18.0.{}", i % 7),
                "POST",
                "/v1/auth/login",
                &[("content-type", "application/json")],
                body.as_bytes(),
            )
            .await
            .status
        }
    });
    assert!(join_all(attempts).await.iter().all(|s| *s == 401));
    let actions = app.audit_actions(&session).await;
    let failures = actions.iter().filter(|a| *a == "login.failure").count();
    assert!(failures <= 50, "{failures} anonymous failures recorded");
    assert!(actions.contains(&"audit.unauthenticated_suppressed".to_owned()));
}

// Item 2: an admission counter left full by attempts that never resolved (a
// crashed invocation) refuses only while such attempts could still be running.
#[tokio::test]
async fn a_counter_left_full_by_unresolved_attempts_heals_but_a_fresh_one_holds() {
    let app = TestApp::new().await;
    let owner = app.owner("stale").await;
    let now = bookwarden_shared::clock::now_unix();
    app.set_user_number(&owner.tenant_id, "failed_logins", 5)
        .await;
    app.set_user_number(&owner.tenant_id, "failed_logins_at", now)
        .await;
    let refused = app
        .login_attempt(&owner.slug, &owner.email, &owner.password)
        .await;
    assert_eq!(refused.status, 401, "five attempts may still be in flight");
    app.set_user_number(&owner.tenant_id, "failed_logins_at", now - 600)
        .await;
    let r = app
        .login_attempt(&owner.slug, &owner.email, &owner.password)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

// One read authenticates a request (the session or key record), so every
// revocation must delete that record in the transaction that makes the change.
// The tests below take the very next request after each revocation.

fn path(account: &Account, rest: &str) -> String {
    format!("/v1/tenants/{}{rest}", account.tenant_id)
}

async fn status(app: &TestApp, who: As<'_>, method: &str, path: &str) -> u16 {
    app.call(who, method, path, None).await.status
}

/// The public id of the session making the request.
async fn own_session_id(app: &TestApp, owner: &Account, session: &Session) -> String {
    let listed = app
        .call(As::Session(session), "GET", &me(owner, "/sessions"), None)
        .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    listed.json()["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn sign_out_ending_a_session_and_revoking_a_key_refuse_the_very_next_request() {
    let app = TestApp::new().await;
    let owner = app.owner("nextreq").await;
    let keeper = app.login(&owner).await;
    let profile = me(&owner, "");

    // Sign-out.
    let leaving = app.login(&owner).await;
    assert_eq!(
        status(&app, As::Session(&leaving), "GET", &profile).await,
        200
    );
    let out = app
        .call(As::Session(&leaving), "POST", "/v1/auth/logout", None)
        .await;
    assert_eq!(out.status, 204, "{}", out.body);
    assert_eq!(
        status(&app, As::Session(&leaving), "GET", &profile).await,
        401
    );

    // Ending one session from another.
    let ended = app.login(&owner).await;
    let id = own_session_id(&app, &owner, &ended).await;
    let r = app
        .call(
            As::Session(&keeper),
            "DELETE",
            &me(&owner, &format!("/sessions/{id}")),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        status(&app, As::Session(&ended), "GET", &profile).await,
        401
    );

    // Revoking a key.
    let (key, key_id) = app.api_key(&keeper, &["read"]).await;
    assert_eq!(status(&app, As::Key(&key), "GET", &profile).await, 200);
    let r = app
        .call(
            As::Session(&keeper),
            "DELETE",
            &path(&owner, &format!("/api-keys/{key_id}")),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(status(&app, As::Key(&key), "GET", &profile).await, 401);

    // Nothing else was touched, and each revocation was recorded with it.
    assert_eq!(
        status(&app, As::Session(&keeper), "GET", &profile).await,
        200
    );
    let actions = app.audit_actions(&keeper).await;
    for a in ["session.logout", "session.ended", "api_key.revoked"] {
        assert!(actions.contains(&a.to_owned()), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn password_change_and_reset_refuse_other_sessions_on_the_very_next_request() {
    let app = TestApp::new().await;
    let mut owner = app.owner("pwnext").await;
    let changer = app.login(&owner).await;
    let other = app.login(&owner).await;
    let (key, _) = app.api_key(&changer, &["read"]).await;
    let profile = me(&owner, "");

    let new = "quiet meadow lantern 4821";
    let changed = change_password(&app, &changer, &owner, new).await;
    assert_eq!(changed.status, 204, "{}", changed.body);
    let current = rotated(&changed, &changer);
    assert_eq!(
        status(&app, As::Session(&other), "GET", &profile).await,
        401
    );
    assert_eq!(
        status(&app, As::Session(&changer), "GET", &profile).await,
        401,
        "the session it was made from was rotated"
    );
    assert_eq!(
        status(&app, As::Session(&current), "GET", &profile).await,
        200
    );
    assert_eq!(
        status(&app, As::Key(&key), "GET", &profile).await,
        200,
        "a password change ends sessions, not keys"
    );
    owner.password = new.to_owned();

    // A reset ends every session, the one in hand included.
    let second = app.login(&owner).await;
    let asked = app
        .post_json(
            "/v1/auth/password-reset",
            &json!({ "tenant": owner.slug, "email": owner.email }),
        )
        .await;
    assert_eq!(asked.status, 202, "{}", asked.body);
    let token = token_from_mail(app.mail_to(&owner.email).await.last().unwrap());
    let reset = app
        .post_json(
            "/v1/auth/password-reset/confirm",
            &json!({ "token": token, "password": "amber canyon whistle 9034" }),
        )
        .await;
    assert_eq!(reset.status, 204, "{}", reset.body);
    for s in [&current, &second] {
        assert_eq!(status(&app, As::Session(s), "GET", &profile).await, 401);
    }
}

#[tokio::test]
async fn role_change_deactivation_and_deletion_refuse_sessions_and_keys_on_the_very_next_request() {
    let app = TestApp::new().await;
    let owner = app.owner("usernext").await;
    let boss = app.login(&owner).await;
    let users = path(&owner, "/users");

    // Each target: an admin with two sessions and a key.
    let target = |role: &'static str| {
        let (app, boss, owner) = (&app, &boss, &owner);
        async move {
            let (account, first) = app.member(boss, owner, role).await;
            let second = app.login(&account).await;
            let (key, _) = app.api_key(&first, &["read"]).await;
            for who in [As::Session(&first), As::Session(&second), As::Key(&key)] {
                assert_eq!(status(app, who, "GET", &path(owner, "/users")).await, 200);
            }
            (account, first, second, key)
        }
    };
    let refused = |first: &Session, second: &Session, key: &str| {
        let (app, users) = (&app, users.clone());
        let (first, second, key) = (first.clone(), second.clone(), key.to_owned());
        async move {
            for who in [As::Session(&first), As::Session(&second), As::Key(&key)] {
                assert_eq!(status(app, who, "GET", &users).await, 401);
            }
        }
    };

    // Role change: the next request with any old credential is refused; a new
    // sign-in carries the new role.
    let (demoted, first, second, key) = target("admin").await;
    let r = app
        .call(
            As::Session(&boss),
            "PATCH",
            &format!("{users}/{}", demoted.user_id),
            Some(json!({ "role": "staff" })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    refused(&first, &second, &key).await;
    let again = app.login(&demoted).await;
    assert_eq!(status(&app, As::Session(&again), "GET", &users).await, 403);

    // Deactivation.
    let (gone, first, second, key) = target("admin").await;
    let r = app
        .call(
            As::Session(&boss),
            "POST",
            &format!("{users}/{}/deactivate", gone.user_id),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    refused(&first, &second, &key).await;

    // Deletion.
    let (deleted, first, second, key) = target("admin").await;
    let r = app
        .call(
            As::Session(&boss),
            "DELETE",
            &format!("{users}/{}", deleted.user_id),
            Some(json!({ "password": owner.password })),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    refused(&first, &second, &key).await;

    // Nothing of theirs is left to authenticate with.
    let records: Vec<_> = app
        .scan()
        .await
        .into_iter()
        .filter(|i| {
            let pk = i["PK"].as_s().unwrap();
            pk.starts_with("SESS#") || pk.starts_with("KEY#")
        })
        .filter_map(|i| i.get("user_id").and_then(|u| u.as_s().ok()).cloned())
        .collect();
    for account in [&demoted, &gone, &deleted] {
        let left = records.iter().filter(|u| **u == account.user_id).count();
        let expected = usize::from(account.user_id == demoted.user_id);
        assert_eq!(left, expected, "only the new sign-in after the role change");
    }
}

#[tokio::test]
async fn a_session_or_key_acts_only_in_the_tenant_its_record_names() {
    use bookwarden_shared::crypto::SecretToken;
    let app = TestApp::new().await;
    let a = app.owner("recorda").await;
    let b = app.owner("recordb").await;
    let a_session = app.login(&a).await;
    let b_session = app.login(&b).await;
    let (a_key, _) = app.api_key(&a_session, &["read"]).await;
    let b_session_id = own_session_id(&app, &b, &b_session).await;

    // The record the one read hits names the tenant, and holds no personal data.
    let token = a_session.cookie.trim_start_matches("__Host-session=");
    let hash = SecretToken::parse(token).unwrap().hash();
    let record = app
        .scan()
        .await
        .into_iter()
        .find(|i| i["PK"].as_s().unwrap() == &format!("SESS#{}", hash.as_str()))
        .expect("the session record");
    assert_eq!(record["tenant_id"].as_s().unwrap(), &a.tenant_id);
    assert_eq!(record["user_id"].as_s().unwrap(), &a_session.user_id);
    for personal in ["client_addr", "user_agent", "email", "name"] {
        assert!(!record.contains_key(personal), "{personal} in {record:?}");
    }

    // Everything in B's paths is not found, with A's session and with A's key.
    let b_session_of = format!("/sessions/{b_session_id}");
    let end_b = format!("/me{b_session_of}");
    for (method, rest) in [
        ("GET", "/me"),
        ("GET", "/me/sessions"),
        ("GET", "/users"),
        ("GET", "/audit"),
        ("GET", "/api-keys"),
        ("DELETE", end_b.as_str()),
    ] {
        for who in [As::Session(&a_session), As::Key(&a_key)] {
            let r = app.call(who, method, &path(&b, rest), None).await;
            assert_eq!(r.status, 404, "{method} {rest}: {}", r.body);
        }
    }
    // B's session id through A's own path ends nothing of B's.
    let r = app
        .call(
            As::Session(&a_session),
            "DELETE",
            &me(&a, &b_session_of),
            None,
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(
        status(&app, As::Session(&b_session), "GET", &me(&b, "")).await,
        200
    );
    // A's revocations do not reach B, and B's do not reach A.
    let out = app
        .call(As::Session(&b_session), "POST", "/v1/auth/logout", None)
        .await;
    assert_eq!(out.status, 204);
    assert_eq!(
        status(&app, As::Session(&a_session), "GET", &me(&a, "")).await,
        200
    );
    assert_eq!(status(&app, As::Key(&a_key), "GET", &me(&a, "")).await, 200);
    let actions = app.audit_actions(&a_session).await;
    assert!(actions.contains(&"tenant.cross_access_attempt".to_owned()));
}

#[tokio::test]
async fn sign_ins_racing_a_role_change_leave_no_credential_with_the_old_role() {
    let app = TestApp::new().await;
    let owner = app.owner("race").await;
    let boss = app.login(&owner).await;
    let (admin, admin_session) = app.member(&boss, &owner, "admin").await;
    let users = path(&owner, "/users");
    let body = json!({ "tenant": admin.slug, "email": admin.email, "password": admin.password })
        .to_string();
    let sign_ins = (0..8).map(|i| {
        let (app, body) = (&app, body.clone());
        async move {
            app.request_from(
                &format!("198.51.100.{}", 40 + i),
                "POST",
                "/v1/auth/login",
                &[("content-type", "application/json")],
                body.as_bytes(),
            )
            .await
        }
    });
    let keys = path(&owner, "/api-keys");
    let key = app.call(
        As::Session(&admin_session),
        "POST",
        &keys,
        Some(json!({ "name": "racing", "scopes": ["read"], "expires_in_days": 30 })),
    );
    let target = format!("{users}/{}", admin.user_id);
    let demote = app.call(
        As::Session(&boss),
        "PATCH",
        &target,
        Some(json!({ "role": "staff" })),
    );
    let (signed_in, key, demoted) = futures_util::join!(join_all(sign_ins), key, demote);
    assert_eq!(demoted.status, 200, "{}", demoted.body);
    // Whatever the order, no credential still acts as an admin: each one is
    // either ended (401) or a staff session (403).
    let mut sessions = vec![admin_session.clone()];
    sessions.extend(
        signed_in
            .iter()
            .filter(|r| r.status == 200)
            .map(session_from),
    );
    for s in &sessions {
        let code = status(&app, As::Session(s), "GET", &users).await;
        assert!(code == 401 || code == 403, "a session answered {code}");
    }
    // A key is created only before the change (and then revoked by it) or
    // not at all.
    assert!([201, 401, 403].contains(&key.status), "{}", key.body);
    if key.status == 201 {
        let secret = key.json()["secret"].as_str().unwrap().to_owned();
        let code = status(&app, As::Key(&secret), "GET", &users).await;
        assert_eq!(code, 401, "the key carried the old role");
    }
}

#[tokio::test]
async fn more_sessions_than_one_transaction_holds_all_end_with_a_deactivation() {
    let app = TestApp::new().await;
    let owner = app.owner("many").await;
    let boss = app.login(&owner).await;
    let (admin, first) = app.member(&boss, &owner, "admin").await;
    // Two items per session: 60 sessions are more than 100 writes.
    let mut sessions = vec![first];
    for i in 0..59 {
        app.set_client(&format!("198.51.100.{}", 100 + i / 20));
        sessions.push(app.login(&admin).await);
    }
    let (key, _) = app.api_key(&sessions[0], &["read"]).await;
    let users = path(&owner, "/users");
    let r = app
        .call(
            As::Session(&boss),
            "POST",
            &format!("{users}/{}/deactivate", admin.user_id),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    for s in &sessions {
        assert_eq!(status(&app, As::Session(s), "GET", &users).await, 401);
    }
    assert_eq!(status(&app, As::Key(&key), "GET", &users).await, 401);
    assert!(!app.scan().await.iter().any(|i| {
        i.get("user_id").and_then(|u| u.as_s().ok()) == Some(&admin.user_id)
            && i["PK"].as_s().unwrap().contains("SESS#")
    }));
}
