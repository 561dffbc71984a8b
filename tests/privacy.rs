//! PRIV-2: what an erasure leaves behind, checked by scanning the whole
//! table for every form of the erased values.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use bookwarden_tests::booking::{booking_body, future_day, shop, slots, Shop};
use bookwarden_tests::export::archive_exists;
use bookwarden_tests::identity::As;
use bookwarden_tests::{token_from_mail, TestApp};
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
    assert_values_gone(&text, &f.values);
}

/// No form of any of `values` appears in the scanned table's text.
fn assert_values_gone(text: &str, values: &[String]) {
    for value in values {
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

// End customers (PRIV-2): a business erases everything of one person who
// booked through its public pages, by the address they booked with.

const X_EMAIL: &str = "Xanthe.Quillfeather@example.org";
const X_NAME: &str = "Xanthe Quillfeather";
const X_PHONE: &str = "+44 20 7946 0958";
const X_ANSWER: &str = "allergic to lavender and bergamot";
const Y_EMAIL: &str = "yorick.stays@example.org";
// Test binaries share one moto (and its sent mail): each test has its own address.
const RACER_EMAIL: &str = "Xavi.Racer@example.org";

fn erasure_path(tenant_id: &str) -> String {
    format!("/v1/tenants/{tenant_id}/customers/erasure")
}

/// A shop whose booking form asks one optional question and whose bookings
/// get two reminders (a day and an hour before).
async fn customer_shop(app: &TestApp, tag: &str) -> Shop {
    let s = shop(app, tag).await;
    let t = &s.owner.tenant_id;
    let form = json!({ "questions": [
        { "id": "allergies", "label": "Allergies?", "kind": "short_text" }
    ]});
    let r = app
        .call(
            As::Session(&s.session),
            "PUT",
            &format!("/v1/tenants/{t}/booking-form"),
            Some(form),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.set_settings(
        &s.session,
        json!({ "reminder_offsets_minutes": [1440, 60] }),
    )
    .await;
    s
}

/// A customer as they fill in the booking form.
struct Customer<'a> {
    email: &'a str,
    name: &'a str,
    phone: &'a str,
    answer: &'a str,
}

const X: Customer<'static> = Customer {
    email: X_EMAIL,
    name: X_NAME,
    phone: X_PHONE,
    answer: X_ANSWER,
};

const Y: Customer<'static> = Customer {
    email: Y_EMAIL,
    name: "Yorick Stays",
    phone: "+1 555 0100",
    answer: "none that I know of",
};

/// Books the first open slot of the future day for a customer; the booking's id.
async fn book_first_open(app: &TestApp, s: &Shop, c: &Customer<'_>, key: &str) -> String {
    let open = slots(app, s, future_day()).await;
    let mut body = booking_body(s, &open[0], c.email);
    body["customer_name"] = json!(c.name);
    body["customer_phone"] = json!(c.phone);
    body["answers"] = json!({ "allergies": c.answer });
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
    r.json()["booking_id"].as_str().unwrap().to_owned()
}

async fn load_booking(
    app: &TestApp,
    s: &Shop,
    id: &str,
) -> bookwarden_shared::booking::bookings::Booking {
    let scope = app.scope_of(&s.owner.slug).await;
    bookwarden_shared::booking::bookings::load(&app.platform, &scope, id)
        .await
        .unwrap()
        .unwrap()
}

fn string_attr(item: &Item, name: &str) -> Option<String> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Some(v.clone()),
        _ => None,
    }
}

/// Open outbox entries of the table (messages waiting to be sent).
fn open_outbox_entries(items: &[Item]) -> usize {
    items
        .iter()
        .filter(|i| key_of(i).0.ends_with("#OUTBOX"))
        .filter(|i| string_attr(i, "outbox_state").as_deref() == Some("open"))
        .count()
}

/// The `customer.erased` audit events of a tenant, as its owner reads them.
async fn erasure_events(app: &TestApp, s: &Shop) -> Vec<serde_json::Value> {
    let r = app
        .call(
            As::Session(&s.session),
            "GET",
            &format!("/v1/tenants/{}/audit?limit=100", s.owner.tenant_id),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "customer.erased")
        .cloned()
        .collect()
}

/// A customer with three bookings (name, phone, answers), delivered
/// confirmations, an unsubscribe and reminders waiting in the outbox is
/// erased: no form of anything of theirs is left in the table, their slots
/// stay taken, their manage links are dead, the business still sees the
/// bookings without personal fields and can cancel them, the reminder job
/// queues nothing more for them, and another customer is untouched. A retry
/// erases nothing more and is not audited again.
#[tokio::test]
async fn erasing_a_customer_removes_every_trace_and_keeps_their_slots_taken() {
    let app = TestApp::new().await;
    let s = customer_shop(&app, "erase-customer").await;
    let t = s.owner.tenant_id.clone();
    let scope = app.scope_of(&s.owner.slug).await;
    let mut x_ids = Vec::new();
    let mut y_ids = Vec::new();
    for i in 0..3 {
        x_ids.push(book_first_open(&app, &s, &X, &format!("x-{i}")).await);
        y_ids.push(book_first_open(&app, &s, &Y, &format!("y-{i}")).await);
    }
    let y_last = y_ids.pop().unwrap();
    // The customer's manage links, from the confirmations.
    let confirmations = app.mail_to(X_EMAIL).await;
    assert_eq!(confirmations.len(), 3);
    let tokens: Vec<String> = confirmations.iter().map(|m| token_from_mail(m)).collect();
    let view = app
        .post_json("/v1/public/bookings/view", &json!({ "token": tokens[0] }))
        .await;
    assert_eq!(view.status, 200, "the link works before: {}", view.body);
    // They unsubscribe from reminders through their signed link.
    let email: bookwarden_shared::email::EmailAddress = X_EMAIL.parse().unwrap();
    let links =
        bookwarden_shared::booking::preferences::unsubscribe_links(&app.platform, &scope, &email)
            .await
            .unwrap();
    let one_click = &links.one_click[links.one_click.find("/v1/").unwrap()..];
    let r = app
        .request(
            "POST",
            one_click,
            &[("content-type", "application/x-www-form-urlencoded")],
            b"List-Unsubscribe=One-Click",
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let recipient_hash = one_click
        .split("recipient=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    // The business answered their access request with an export (PRIV-1).
    let r = app
        .call(
            As::Session(&s.session),
            "POST",
            &format!("/v1/tenants/{t}/exports"),
            Some(json!({ "customer_email": X_EMAIL })),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let archive = format!(
        "exports/{t}/{}.zip",
        r.json()["export_id"].as_str().unwrap()
    );
    bookwarden_functions::jobs::exports(&app.platform)
        .await
        .unwrap();
    app.deliver_mail().await;
    assert!(
        archive_exists(&app, &archive).await,
        "the export was written"
    );
    // The day-before reminders of every booking are queued, not yet sent.
    use bookwarden_shared::booking::reminders::{pending, send_due};
    let first_due = pending(&load_booking(&app, &s, &x_ids[0]).await).unwrap();
    let last_due = pending(&load_booking(&app, &s, &y_last).await).unwrap();
    let queued = send_due(&app.platform, first_due).await.unwrap().queued
        + send_due(&app.platform, last_due).await.unwrap().queued;
    assert_eq!(queued, 6, "every booking's first reminder");
    let before = app.scan().await;
    assert_eq!(open_outbox_entries(&before), 6);

    // Everything stored that names the customer: the booking hashes (their
    // address's, the manage link's, the request's), the recipient hash of
    // their unsubscribe and mail counters, and the link tokens themselves.
    let mut values: Vec<String> = [X_NAME, X_PHONE, X_ANSWER, X_EMAIL, &recipient_hash]
        .iter()
        .map(|v| (*v).to_owned())
        .chain(tokens.iter().cloned())
        .collect();
    for item in &before {
        if x_ids
            .iter()
            .any(|id| key_of(item).1 == format!("BOOKING#{id}"))
        {
            for field in ["customer_email_hash", "manage_token_hash", "request_hash"] {
                values.push(string_attr(item, field).expect(field));
            }
        }
    }
    assert_eq!(values.len(), 5 + 3 + 9);
    let text: String = before.iter().map(|item| format!("{item:?}\n")).collect();
    for hash in &values[4..] {
        if !tokens.contains(hash) {
            assert!(text.contains(hash.as_str()), "the scan sees {hash} before");
        }
    }
    let open_before = slots(&app, &s, future_day()).await;
    let mails_before = app.sent_to(X_EMAIL).await.len();

    // The owner erases them, by the address in another case.
    let r = app
        .call(
            As::Session(&s.session),
            "POST",
            &erasure_path(&t),
            Some(json!({ "email": X_EMAIL.to_lowercase() })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["bookings_erased"], 3);
    let erasure_id = r.json()["erasure_id"].as_str().unwrap().to_owned();

    let after = app.scan().await;
    assert_eq!(
        open_outbox_entries(&after),
        3,
        "the customer's waiting reminders are dropped, the other's stay"
    );
    let text: String = after.iter().map(|item| format!("{item:?}\n")).collect();
    assert_values_gone(&text, &values);
    assert!(
        !archive_exists(&app, &archive).await,
        "their access export is gone"
    );
    assert_eq!(
        slots(&app, &s, future_day()).await,
        open_before,
        "their appointments still take their time"
    );
    for token in &tokens {
        let r = app
            .post_json("/v1/public/bookings/view", &json!({ "token": token }))
            .await;
        assert_eq!(r.status, 404, "{}", r.body);
        let r = app
            .post_json("/v1/public/bookings/cancel", &json!({ "token": token }))
            .await;
        assert_eq!(r.status, 404, "{}", r.body);
    }
    let page = app
        .request(
            "POST",
            "/manage",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("origin", bookwarden_tests::identity::ORIGIN),
            ],
            format!("token={}", tokens[1]).as_bytes(),
        )
        .await;
    assert!((400..500).contains(&page.status), "{}", page.status);
    assert!(!page.body.contains(X_NAME));

    // The business still sees the bookings, without anything personal.
    let list = app
        .call(
            As::Session(&s.session),
            "GET",
            &format!(
                "/v1/tenants/{t}/bookings?from={}T00:00:00Z&to={}T00:00:00Z",
                future_day() - chrono::Duration::days(1),
                future_day() + chrono::Duration::days(2)
            ),
            None,
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    let listed: Vec<String> = list.json()["bookings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["status"] == "confirmed")
        .map(|b| b["booking_id"].as_str().unwrap().to_owned())
        .collect();
    for id in x_ids.iter().chain(&y_ids) {
        assert!(listed.contains(id), "{id} listed");
    }
    for id in &x_ids {
        let r = app
            .call(
                As::Session(&s.session),
                "GET",
                &format!("/v1/tenants/{t}/bookings/{id}"),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let b = r.json();
        assert_eq!(b["erased"], true);
        assert_eq!(b["status"], "confirmed");
        assert!(b["customer_name"].is_null() && b["customer_email"].is_null());
        assert!(b["customer_phone"].is_null());
        assert_eq!(b["answers"], json!({}));
    }
    let y = app
        .call(
            As::Session(&s.session),
            "GET",
            &format!("/v1/tenants/{t}/bookings/{}", y_ids[0]),
            None,
        )
        .await;
    assert_eq!(y.json()["customer_email"], Y_EMAIL);
    assert_eq!(y.json()["customer_phone"], Y.phone);
    assert_eq!(y.json()["answers"]["allergies"], Y.answer);
    assert_eq!(y.json()["erased"], false);

    // The hour-before reminders: the job runs when each of the other
    // customer's falls due (each run also covers the erased bookings'
    // former times) and queues only theirs.
    for id in &x_ids {
        assert_eq!(pending(&load_booking(&app, &s, id).await), None);
    }
    y_ids.push(y_last.clone());
    let mut queued = 0;
    for id in &y_ids {
        let due = pending(&load_booking(&app, &s, id).await).expect("the hour-before reminder");
        queued += send_due(&app.platform, due).await.unwrap().queued;
    }
    assert_eq!(queued, 3);
    app.deliver_mail().await;
    assert_eq!(
        app.sent_to(X_EMAIL).await.len(),
        mails_before,
        "nothing more to them"
    );
    assert!(
        app.sent_to(Y_EMAIL).await.len() > 3,
        "the other customer is reminded"
    );

    // The business can still cancel an erased booking: its time is freed,
    // only the staff member is told.
    let r = app
        .call(
            As::Session(&s.session),
            "POST",
            &format!("/v1/tenants/{t}/bookings/{}/cancel", x_ids[0]),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let freed = slots(&app, &s, future_day()).await;
    assert!(freed.len() > open_before.len());
    // And move one: the staff member is told, the customer is not.
    let r = app
        .call(
            As::Session(&s.session),
            "POST",
            &format!("/v1/tenants/{t}/bookings/{}/reschedule", x_ids[1]),
            Some(json!({ "start": freed[0] })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let report = app.deliver_mail().await;
    assert_eq!(report.failed, 0, "{report:?}");
    assert_eq!(app.sent_to(X_EMAIL).await.len(), mails_before);
    // A stale retry of one of their booking requests books nothing new.
    let start = load_booking(&app, &s, &x_ids[2])
        .await
        .record
        .number("start")
        .unwrap();
    let start = chrono::DateTime::from_timestamp(start, 0)
        .unwrap()
        .to_rfc3339();
    let mut body = booking_body(&s, &start, X_EMAIL);
    body["customer_name"] = json!(X_NAME);
    body["customer_phone"] = json!(X_PHONE);
    body["answers"] = json!({ "allergies": X_ANSWER });
    let r = app
        .request(
            "POST",
            &format!("/v1/public/tenants/{}/bookings", s.owner.slug),
            &[
                ("content-type", "application/json"),
                ("idempotency-key", "x-2"),
            ],
            body.to_string().as_bytes(),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);

    // Once, audited once, with nothing personal in the event.
    let again = app
        .call(
            As::Session(&s.session),
            "POST",
            &erasure_path(&t),
            Some(json!({ "email": X_EMAIL })),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(
        again.json(),
        json!({ "bookings_erased": 0, "erasure_id": null })
    );
    let never = app
        .call(
            As::Session(&s.session),
            "POST",
            &erasure_path(&t),
            Some(json!({ "email": "never.booked@example.org" })),
        )
        .await;
    assert_eq!(
        never.json(),
        again.json(),
        "never booked reads like erased before"
    );
    let events = erasure_events(&app, &s).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["actor"], s.owner_id.as_str());
    assert_eq!(
        events[0]["target"],
        format!("erasure:{erasure_id} bookings:3")
    );
    let final_text: String = app
        .scan()
        .await
        .iter()
        .map(|item| format!("{item:?}\n"))
        .collect();
    assert_values_gone(&final_text, &values);
}

/// Who may erase: owners, admins and `bookings:write` keys; never staff, a
/// read key, a session still restricted, or another tenant's owner. Bad
/// bodies are 4xx and change nothing. Five erasures at once erase each
/// booking once, audit once, and agree on the end state. A suppression (the
/// customer complained) is kept: only its keyed hash, reason and time.
#[tokio::test]
async fn customer_erasure_is_for_owners_admins_and_write_keys_once_under_parallel_requests() {
    let app = TestApp::new().await;
    let s = customer_shop(&app, "erase-race").await;
    let t = s.owner.tenant_id.clone();
    let path = erasure_path(&t);
    let mut ids = Vec::new();
    for i in 0..4 {
        let racer = Customer {
            email: RACER_EMAIL,
            ..X
        };
        ids.push(book_first_open(&app, &s, &racer, &format!("r-{i}")).await);
    }
    app.deliver_mail().await;
    // The customer complains about the confirmation: suppressed.
    let complaint = json!({
        "eventType": "Complaint",
        "mail": { "tags": { "tenant": [t] } },
        "complaint": { "complainedRecipients": [{ "emailAddress": RACER_EMAIL }] }
    });
    let events = bookwarden_shared::email::feedback::events_of(&json!({ "detail": complaint }));
    let report = bookwarden_shared::email::feedback::record(&app.platform, &events[0])
        .await
        .unwrap();
    assert_eq!(report.suppressed, 1);

    let (_, staff_session) = app.member(&s.session, &s.owner, "staff").await;
    let (_, admin_session) = app.member(&s.session, &s.owner, "admin").await;
    let (read_key, _) = app.api_key(&s.session, &["read"]).await;
    let (write_key, _) = app.api_key(&s.session, &["bookings:write"]).await;
    let stranger = app.owner("erase-stranger").await;
    let stranger_session = app.login(&stranger).await;
    let body = json!({ "email": RACER_EMAIL });
    for (who, expected) in [
        (As::Session(&staff_session), 403),
        (As::Key(&read_key), 403),
        (As::Session(&stranger_session), 404),
        (As::Anonymous, 401),
    ] {
        let r = app.call(who, "POST", &path, Some(body.clone())).await;
        assert_eq!(r.status, expected, "{}", r.body);
    }
    // A session that must still enrol a second factor is refused.
    app.set_settings(&s.session, json!({ "mfa_required_for_admins": true }))
        .await;
    let restricted = bookwarden_tests::identity::session_from(
        &app.login_attempt(&s.owner.slug, &s.owner.email, &s.owner.password)
            .await,
    );
    let r = app
        .call(As::Session(&restricted), "POST", &path, Some(body.clone()))
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    app.set_settings(&s.session, json!({ "mfa_required_for_admins": false }))
        .await;

    let cookie = [
        ("cookie", s.session.cookie.as_str()),
        ("origin", bookwarden_tests::identity::ORIGIN),
    ];
    let json_type = ("content-type", "application/json");
    for (content_type, raw, status) in [
        (json_type, r#"{"email":"not an address"}"#.to_owned(), 422),
        (json_type, r#"{"email":""}"#.to_owned(), 422),
        (
            json_type,
            format!(r#"{{"email":"{}@example.org"}}"#, "a".repeat(300)),
            422,
        ),
        (
            json_type,
            r#"{"email":"x@example.org\u0000"}"#.to_owned(),
            422,
        ),
        (json_type, r#"{"email":12}"#.to_owned(), 400),
        (json_type, r#"{}"#.to_owned(), 400),
        (
            json_type,
            format!(r#"{{"email":"{RACER_EMAIL}","all":true}}"#),
            400,
        ),
        (json_type, "[]".to_owned(), 400),
        (json_type, "{\"email\":".to_owned(), 400),
        (
            json_type,
            format!(r#"{{"email":"{}"}}"#, "a".repeat(20_000)),
            413,
        ),
        (("content-type", "text/plain"), body.to_string(), 415),
    ] {
        let mut headers = cookie.to_vec();
        headers.push(content_type);
        let r = app.request("POST", &path, &headers, raw.as_bytes()).await;
        assert_eq!(r.status, status, "{raw:.60}: {}", r.body);
        assert!(
            r.header("content-type")
                .unwrap_or_default()
                .starts_with("application/problem+json"),
            "{raw:.60}"
        );
    }
    let kept = app
        .call(
            As::Session(&s.session),
            "GET",
            &format!("/v1/tenants/{t}/bookings/{}", ids[0]),
            None,
        )
        .await;
    assert_eq!(
        kept.json()["customer_name"],
        X_NAME,
        "refusals changed nothing"
    );
    assert!(erasure_events(&app, &s).await.is_empty());

    // Five at once: an admin, the owner, a write key, all for the same person.
    let callers = [
        As::Session(&s.session),
        As::Session(&admin_session),
        As::Key(&write_key),
        As::Session(&s.session),
        As::Key(&write_key),
    ];
    let answers = futures_util::future::join_all(
        callers
            .into_iter()
            .map(|who| app.call(who, "POST", &path, Some(body.clone()))),
    )
    .await;
    let mut erased = 0;
    for r in &answers {
        match r.status {
            200 => erased += r.json()["bookings_erased"].as_u64().unwrap(),
            409 => assert!(
                r.problem_type().ends_with("erasure-in-progress"),
                "{}",
                r.body
            ),
            other => panic!("{other}: {}", r.body),
        }
    }
    // Any caller told to retry finishes the job.
    let retry = app
        .call(As::Key(&write_key), "POST", &path, Some(body.clone()))
        .await;
    assert_eq!(retry.status, 200, "{}", retry.body);
    erased += retry.json()["bookings_erased"].as_u64().unwrap();
    let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    assert_eq!(erased, 4, "each booking erased exactly once: {statuses:?}");
    let events = erasure_events(&app, &s).await;
    assert_eq!(
        events.len(),
        1,
        "one effective erasure, one event: {events:?}"
    );
    for id in &ids {
        let b = load_booking(&app, &s, id).await;
        assert!(b.is_erased());
        assert_eq!(b.record.optional_string("status"), Some("confirmed"));
    }
    let after = app.scan().await;
    let text: String = after.iter().map(|item| format!("{item:?}\n")).collect();
    assert_values_gone(
        &text,
        &[
            RACER_EMAIL.to_owned(),
            X_NAME.to_owned(),
            X_PHONE.to_owned(),
            X_ANSWER.to_owned(),
        ],
    );
    let suppressed: Vec<&Item> = after
        .iter()
        .filter(|i| key_of(i).1.starts_with("SUPPRESS#"))
        .collect();
    assert_eq!(suppressed.len(), 1, "the complaint is still honoured");
    let names: BTreeSet<&str> = suppressed[0].keys().map(String::as_str).collect();
    assert_eq!(
        names,
        BTreeSet::from(["PK", "SK", "tenant_id", "reason", "at"]),
        "a suppression keeps only a keyed hash, a reason and a time"
    );
}

/// Copies a stored booking item under a new id (with its own manage-link
/// hash and no reminder), as many times as asked, in batches of 25.
async fn clone_bookings(app: &TestApp, template: &Item, copies: usize) -> Vec<String> {
    let mut ids = Vec::new();
    let mut requests = Vec::new();
    for _ in 0..copies {
        let id = bookwarden_shared::tenancy::ItemId::time_ordered().to_string();
        let mut item = template.clone();
        for gone in ["DUE_PK", "DUE_SK", "reminder_due", "request_hash"] {
            item.remove(gone);
        }
        item.insert("SK".into(), AttributeValue::S(format!("BOOKING#{id}")));
        item.insert("booking_id".into(), AttributeValue::S(id.clone()));
        let token = bookwarden_shared::crypto::SecretToken::generate();
        item.insert(
            "manage_token_hash".into(),
            AttributeValue::S(token.hash().as_str().to_owned()),
        );
        requests.push(
            aws_sdk_dynamodb::types::WriteRequest::builder()
                .put_request(
                    aws_sdk_dynamodb::types::PutRequest::builder()
                        .set_item(Some(item))
                        .build()
                        .unwrap(),
                )
                .build(),
        );
        ids.push(id);
    }
    for chunk in requests.chunks(25) {
        let out = app
            .clients
            .dynamodb
            .batch_write_item()
            .request_items(&app.table, chunk.to_vec())
            .send()
            .await
            .unwrap();
        assert!(out.unprocessed_items().is_none_or(|u| u.is_empty()));
    }
    ids
}

/// A tenant with 2,000 other bookings and a customer with 100: the erasure
/// pages through the tenant in bounded Queries, erases in transactions of at
/// most 40 bookings (one audit event each, all naming the same erasure id),
/// and leaves every other customer's booking as it was.
#[tokio::test]
async fn a_customer_with_many_bookings_in_a_large_tenant_is_erased_in_bounded_batches() {
    use bookwarden_shared::booking::customers::{BATCH, PAGE_ITEMS};
    let app = TestApp::new().await;
    let s = customer_shop(&app, "erase-large").await;
    let many = Customer {
        email: "many.bookings@example.org",
        ..X
    };
    let x_first = book_first_open(&app, &s, &many, "m-0").await;
    let y_first = book_first_open(&app, &s, &Y, "m-1").await;
    let items = app.scan().await;
    let item_of = |id: &str| {
        items
            .iter()
            .find(|i| key_of(i).1 == format!("BOOKING#{id}"))
            .unwrap()
            .clone()
    };
    let copies = clone_bookings(&app, &item_of(&x_first), 99).await;
    let x_ids: Vec<String> = std::iter::once(x_first.clone()).chain(copies).collect();
    let others = clone_bookings(&app, &item_of(&y_first), 2_000).await;
    let other_hash = string_attr(&item_of(&y_first), "customer_email_hash").unwrap();

    let started = std::time::Instant::now();
    let (r, operations) = app
        .ddb_calls
        .during(app.call(
            As::Session(&s.session),
            "POST",
            &erasure_path(&s.owner.tenant_id),
            Some(json!({ "email": many.email })),
        ))
        .await;
    let took = started.elapsed();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["bookings_erased"], 100);
    let queries = operations.iter().filter(|o| *o == "Query").count();
    let transactions = operations
        .iter()
        .filter(|o| *o == "TransactWriteItems")
        .count();
    let pages = (2_102usize).div_ceil(usize::try_from(PAGE_ITEMS).unwrap());
    eprintln!(
        "erased 100 of 2,102 bookings in {took:?}: {queries} Queries, {transactions} transactions, {} DynamoDB calls",
        operations.len()
    );
    // The tenant's profile, the booking pages, the outbox: nothing more.
    assert!(queries <= pages + 3, "{operations:?}");
    assert!(transactions >= 100usize.div_ceil(BATCH), "{operations:?}");

    let erasure_id = r.json()["erasure_id"].as_str().unwrap().to_owned();
    let events = erasure_events(&app, &s).await;
    assert_eq!(
        events.len(),
        100usize.div_ceil(BATCH),
        "one event per batch"
    );
    let counted: usize = events
        .iter()
        .map(|e| {
            let target = e["target"].as_str().unwrap();
            assert!(target.starts_with(&format!("erasure:{erasure_id} bookings:")));
            target.rsplit(':').next().unwrap().parse::<usize>().unwrap()
        })
        .sum();
    assert_eq!(counted, 100);
    let after = app.scan().await;
    let text: String = after.iter().map(|item| format!("{item:?}\n")).collect();
    assert!(!text.contains(many.email));
    let erased = after
        .iter()
        .filter(|i| string_attr(i, "SK").is_some_and(|sk| sk.starts_with("BOOKING#")))
        .filter(|i| matches!(i.get("erased"), Some(AttributeValue::Bool(true))))
        .count();
    assert_eq!(erased, x_ids.len());
    let untouched = after
        .iter()
        .filter(|i| string_attr(i, "customer_email_hash").as_deref() == Some(other_hash.as_str()))
        .count();
    assert_eq!(
        untouched,
        others.len() + 1,
        "every other booking keeps its customer"
    );
}
