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

/// An owner deletes a staff member who signed in on two devices and enrolled
/// an authenticator: afterwards no item but the audit trail (which names
/// users by id only) mentions them, every item that did is gone, their email
/// and authenticator secret appear in no form, and their email's lookup hash
/// is gone too. Delivered mail keeps no sealed copy of its message.
#[tokio::test]
async fn deleting_a_user_erases_their_account_sessions_second_factor_and_lookups() {
    let app = TestApp::new().await;
    let owner = app.owner("erase").await;
    let owner_session = app.login(&owner).await;
    let (staff, staff_session) = app.member(&owner_session, &owner, "staff").await;
    let (totp_secret, _codes, _rotated) = app.enrol_totp(&staff_session).await;
    let user_id = staff_session.user_id.clone();
    app.deliver_mail().await;

    let before = app.scan().await;
    let theirs: BTreeSet<(String, String)> = before
        .iter()
        .filter(|item| !is_audit(item) && format!("{item:?}").contains(&user_id))
        .map(key_of)
        .collect();
    assert!(theirs.len() >= 3, "user, sessions, email index: {theirs:?}");
    let email_hashes: Vec<String> = before
        .iter()
        .filter(|item| format!("{item:?}").contains(&user_id))
        .filter_map(|item| match item.get("email_hash") {
            Some(AttributeValue::S(h)) => Some(h.clone()),
            _ => None,
        })
        .collect();
    assert!(!email_hashes.is_empty());

    let r = app
        .call(
            As::Session(&owner_session),
            "DELETE",
            &format!("/v1/tenants/{}/users/{user_id}", owner.tenant_id),
            Some(json!({ "password": owner.password })),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    app.deliver_mail().await;

    let after = app.scan().await;
    let text: String = after.iter().map(|item| format!("{item:?}\n")).collect();
    for item in &after {
        let key = key_of(item);
        assert!(!theirs.contains(&key), "left behind: {key:?}");
        if !is_audit(item) {
            assert!(
                !format!("{item:?}").contains(&user_id),
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
    for value in [staff.email.as_str(), totp_secret.as_str()]
        .into_iter()
        .chain(email_hashes.iter().map(String::as_str))
    {
        for form in forms(value) {
            assert!(!text.contains(&form), "the table still holds {form}");
        }
    }
    // They cannot sign in, and their sessions are gone.
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
