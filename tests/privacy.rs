//! PRIV-2: what an erasure leaves behind, checked by scanning the whole
//! table for every form of the erased values.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use bookwarden_tests::identity::As;
use bookwarden_tests::TestApp;
use serde_json::json;

type Item = HashMap<String, AttributeValue>;

fn key_of(item: &Item) -> (String, String) {
    let s = |name: &str| match item.get(name) {
        Some(AttributeValue::S(v)) => v.clone(),
        _ => String::new(),
    };
    (s("PK"), s("SK"))
}

fn is_audit(item: &Item) -> bool {
    key_of(item).0.ends_with("#AUDIT")
}

/// The forms a careless store could keep a value in.
fn forms(value: &str) -> Vec<String> {
    use base64::Engine;
    vec![
        value.to_owned(),
        value.to_lowercase(),
        base64::engine::general_purpose::STANDARD.encode(value),
        value.bytes().map(|b| format!("{b:02x}")).collect(),
    ]
}

/// What an account leaves before its deletion: the keys of every item
/// outside the audit trail that names the user, and their email's lookup
/// hashes.
struct Footprint {
    user_id: String,
    items: BTreeSet<(String, String)>,
    values: Vec<String>,
}

async fn footprint(app: &TestApp, user_id: &str, values: &[&str]) -> Footprint {
    let before = app.scan().await;
    let items: BTreeSet<(String, String)> = before
        .iter()
        .filter(|item| !is_audit(item) && format!("{item:?}").contains(user_id))
        .map(key_of)
        .collect();
    assert!(items.len() >= 3, "user, sessions, email index: {items:?}");
    let hashes: Vec<String> = before
        .iter()
        .filter(|item| format!("{item:?}").contains(user_id))
        .filter_map(|item| match item.get("email_hash") {
            Some(AttributeValue::S(h)) => Some(h.clone()),
            _ => None,
        })
        .collect();
    assert!(!hashes.is_empty(), "an email lookup hash exists");
    let values = values
        .iter()
        .map(|v| (*v).to_owned())
        .chain(hashes)
        .collect();
    Footprint {
        user_id: user_id.to_owned(),
        items,
        values,
    }
}

/// After the deletion: every item of the footprint is gone, only the audit
/// trail (which names users by id only) still mentions the user, none of the
/// values appears in any form, and no delivered message keeps its content.
async fn assert_erased(app: &TestApp, f: &Footprint) {
    app.deliver_mail().await;
    let after = app.scan().await;
    let text: String = after.iter().map(|item| format!("{item:?}\n")).collect();
    for item in &after {
        let key = key_of(item);
        assert!(!f.items.contains(&key), "left behind: {key:?}");
        if !is_audit(item) {
            assert!(
                !format!("{item:?}").contains(&f.user_id),
                "names the deleted user: {key:?}"
            );
        }
        if key.0.ends_with("#OUTBOX") {
            // The sealed message (`mail`) goes when it is delivered.
            assert!(
                !item.contains_key("mail"),
                "a delivered message keeps its content: {key:?}"
            );
        }
    }
    for value in &f.values {
        for form in forms(value) {
            assert!(!text.contains(&form), "the table still holds {form}");
        }
    }
}

/// An owner deletes a staff member who signed in and enrolled an
/// authenticator.
#[tokio::test]
async fn deleting_a_user_erases_their_account_sessions_second_factor_and_lookups() {
    let app = TestApp::new().await;
    let owner = app.owner("erase").await;
    let owner_session = app.login(&owner).await;
    let (staff, staff_session) = app.member(&owner_session, &owner, "staff").await;
    let (totp_secret, _codes, _rotated) = app.enrol_totp(&staff_session).await;
    let user_id = staff_session.user_id.clone();
    app.deliver_mail().await;
    let f = footprint(&app, &user_id, &[&staff.email, &totp_secret]).await;

    let r = app
        .call(
            As::Session(&owner_session),
            "DELETE",
            &format!("/v1/tenants/{}/users/{user_id}", owner.tenant_id),
            Some(json!({ "password": owner.password })),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_erased(&app, &f).await;
    let again = app
        .login_attempt(&owner.slug, &staff.email, &staff.password)
        .await;
    assert_eq!(again.status, 401);
    let me = app
        .call(
            As::Session(&staff_session),
            "GET",
            &format!("/v1/tenants/{}/me", owner.tenant_id),
            None,
        )
        .await;
    assert_eq!(me.status, 401);
}

/// A user deletes their own account: only with their password, never with an
/// API key, never as the last owner; then everything personal of it is gone
/// and the browser's session cookie is cleared.
#[tokio::test]
async fn users_delete_their_own_account_re_authenticated_and_it_is_erased() {
    let app = TestApp::new().await;
    let owner = app.owner("self-erase").await;
    let owner_session = app.login(&owner).await;
    let (staff, staff_session) = app.member(&owner_session, &owner, "staff").await;
    let (key, _) = app
        .api_key(&owner_session, &["read", "bookings:write", "admin"])
        .await;
    let path = format!("/v1/tenants/{}/me", owner.tenant_id);
    app.deliver_mail().await;
    let f = footprint(&app, &staff_session.user_id, &[&staff.email]).await;

    for (caller, body, status) in [
        (As::Session(&staff_session), json!({}), 401),
        (
            As::Session(&staff_session),
            json!({ "password": "not my password at all" }),
            401,
        ),
        (As::Key(&key), json!({ "password": owner.password }), 403),
        (
            As::Session(&owner_session),
            json!({ "password": owner.password }),
            409,
        ),
    ] {
        let r = app.call(caller, "DELETE", &path, Some(body.clone())).await;
        assert_eq!(r.status, status, "{body}: {}", r.body);
    }
    assert_eq!(
        app.login_attempt(&owner.slug, &staff.email, &staff.password)
            .await
            .status,
        200,
        "refusals changed nothing"
    );

    let r = app
        .call(
            As::Session(&staff_session),
            "DELETE",
            &path,
            Some(json!({ "password": staff.password })),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let cleared = r.header("set-cookie").unwrap_or_default();
    assert!(cleared.starts_with("__Host-session=;"), "{cleared}");
    assert_erased(&app, &f).await;
    assert_eq!(
        app.login_attempt(&owner.slug, &staff.email, &staff.password)
            .await
            .status,
        401
    );
    // A retry of the same deletion finds nothing to delete.
    let again = app
        .call(
            As::Session(&staff_session),
            "DELETE",
            &path,
            Some(json!({ "password": staff.password })),
        )
        .await;
    assert_eq!(again.status, 401);
}

/// Two deletions of the same account at once (a double click, a retry racing
/// its first attempt): exactly one deletes; an oversized or malformed body
/// changes nothing.
#[tokio::test]
async fn a_self_deletion_happens_once_under_parallel_requests_and_refuses_bad_bodies() {
    let app = TestApp::new().await;
    let owner = app.owner("self-race").await;
    let owner_session = app.login(&owner).await;
    let (staff, staff_session) = app.member(&owner_session, &owner, "admin").await;
    let path = format!("/v1/tenants/{}/me", owner.tenant_id);
    for body in [
        json!({ "password": "p".repeat(10_000) }),
        json!({ "password": 12 }),
        json!({ "password": staff.password, "extra": true }),
        json!([]),
    ] {
        let r = app
            .call(As::Session(&staff_session), "DELETE", &path, Some(body))
            .await;
        assert!((400..500).contains(&r.status), "{}", r.body);
    }
    let body = json!({ "password": staff.password });
    let attempts = futures_util::future::join_all((0..6).map(|_| {
        app.call(
            As::Session(&staff_session),
            "DELETE",
            &path,
            Some(body.clone()),
        )
    }))
    .await;
    let statuses: Vec<u16> = attempts.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 204).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [204, 401, 404, 409].contains(s)),
        "{statuses:?}"
    );
    let deleted = app
        .audit_actions(&owner_session)
        .await
        .iter()
        .filter(|a| a.as_str() == "user.deleted")
        .count();
    assert_eq!(deleted, 1, "one deletion, audited once");
}
