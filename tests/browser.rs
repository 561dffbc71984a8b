//! The pages in a real browser (issue 12): each flow a customer, a new
//! business owner or an invited user goes through, driven by Playwright in
//! Debian's Chromium against a fresh local stack (`infra/browser/flows.py`).
//! Every page a flow sees is checked with axe-core (no serious or critical
//! WCAG 2.2 AA violation) and for CSP / Trusted Types violations; the
//! screenshots land in `target/browser-artifacts/<flow>/`. The Rust side seeds
//! data, reads the mail and checks the outcome through the API.
//!
//! Needs `make browser-tools` (Chromium, the `.venv-browser` venv, and
//! `infra/browser/node_modules`).

use bookwarden_tests::booking::{book, future_day, shop, slots, Shop};
use bookwarden_tests::browser::{run_flow, FlowRun};
use bookwarden_tests::identity::As;
use bookwarden_tests::{decoded, signup_body, token_from_mail, TestApp};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// A fresh stack served on a local port, with a business to book.
async fn served_shop(tag: &str) -> (TestApp, Shop, String) {
    let mut app = TestApp::new().await;
    let s = shop(&app, tag).await;
    let base = app.serve().await;
    (app, s, base)
}

/// An address no other test uses.
fn unique_email(who: &str) -> String {
    let unique = bookwarden_shared::tenancy::TenantId::generate().to_string();
    format!("{who}.{}@example.org", &unique[..10])
}

/// The owner's view of the bookings starting on `day` (UTC day bounds
/// widened by a day each side, so zone offsets cannot hide one).
async fn bookings_around(app: &TestApp, s: &Shop, day: chrono::NaiveDate) -> Vec<Value> {
    let from = format!("{}T00:00:00Z", day - chrono::Duration::days(1));
    let to = format!("{}T00:00:00Z", day + chrono::Duration::days(2));
    let r = app
        .call(
            As::Session(&s.session),
            "GET",
            &format!(
                "/v1/tenants/{}/bookings?from={from}&to={to}",
                s.owner.tenant_id
            ),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["bookings"].as_array().unwrap().clone()
}

fn instant(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap_or_else(|e| panic!("{rfc3339:?} is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

/// The one confirmed booking among `list`, at `start`.
fn only_booking_at<'a>(list: &'a [Value], start: &str) -> &'a Value {
    let confirmed: Vec<&Value> = list.iter().filter(|b| b["status"] == "confirmed").collect();
    assert_eq!(confirmed.len(), 1, "exactly one booking: {list:?}");
    assert_eq!(
        instant(confirmed[0]["start"].as_str().unwrap()),
        instant(start),
        "{list:?}"
    );
    confirmed[0]
}

fn reported<'a>(run: &'a FlowRun, key: &str) -> &'a str {
    run.value(key)
        .unwrap_or_else(|| panic!("the flow reported no {key}:\n{}", run.stdout))
}

/// The page's link as the booking page of the shop.
fn book_page(base: &str, s: &Shop) -> String {
    format!("{base}/book/{}", s.owner.slug)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn book_picks_a_time_and_the_confirmation_mail_follows() {
    let (app, s, base) = served_shop("browser-book").await;
    let email = unique_email("cora");
    let day = future_day();
    let run = run_flow(
        "book",
        &base,
        &[
            ("--link", &book_page(&base, &s)),
            ("--date", &day.to_string()),
            ("--email", &email),
        ],
    )
    .await;
    let start = reported(&run, "start");
    only_booking_at(&bookings_around(&app, &s, day).await, start);
    let mail = app.mail_to(&email).await;
    assert_eq!(mail.len(), 1, "one confirmation mail");
    let text = decoded(&mail[0]);
    assert!(
        text.contains(&format!("{base}/manage#token=")),
        "the confirmation links to this stack's manage page:\n{text}"
    );
    let label = reported(&run, "label");
    assert!(
        text.contains(&format!("{label} (Europe/Berlin")),
        "the mail names the time the page showed ({label}):\n{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manage_link_moves_then_cancels_and_leaves_no_token_behind() {
    let (app, s, base) = served_shop("browser-manage").await;
    let email = unique_email("mona");
    let day = future_day();
    let open = slots(&app, &s, day).await;
    let r = book(&app, &s, &open[0], &email, "browser-manage-1").await;
    assert_eq!(r.status, 201, "{}", r.body);
    let mail = app.mail_to(&email).await;
    let token = token_from_mail(mail.last().expect("confirmation mail"));
    let link = format!("{base}/manage#token={token}");
    let run = run_flow("manage", &base, &[("--link", &link)]).await;
    let moved_to = reported(&run, "moved_to");
    assert_ne!(instant(moved_to), instant(&open[0]));
    let list = bookings_around(&app, &s, day).await;
    assert!(
        list.iter().all(|b| b["status"] != "confirmed"),
        "the booking was cancelled: {list:?}"
    );
    assert!(
        list.iter()
            .any(|b| instant(b["start"].as_str().unwrap()) == instant(moved_to)),
        "the booking moved to {moved_to} before it was cancelled: {list:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_email_link_confirms_a_new_business() {
    let mut app = TestApp::new().await;
    let base = app.serve().await;
    let body = signup_body("browser-verify");
    let created = app.post_json("/v1/tenants", &body).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let email = body["owner_email"].as_str().unwrap();
    let (slug, password) = (
        body["slug"].as_str().unwrap(),
        body["password"].as_str().unwrap(),
    );
    let before = app.login_attempt(slug, email, password).await;
    assert_ne!(before.status, 200, "an unverified owner cannot sign in yet");
    let token = token_from_mail(app.mail_to(email).await.last().expect("verification mail"));
    let link = format!("{base}/verify-email#token={token}");
    run_flow("verify-email", &base, &[("--link", &link)]).await;
    let after = app.login_attempt(slug, email, password).await;
    assert_eq!(after.status, 200, "verified: {}", after.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_password_link_sets_a_password_that_signs_in() {
    let (app, s, base) = served_shop("browser-reset").await;
    let token = app.reset_token(&s.owner).await;
    let link = format!("{base}/reset-password#token={token}");
    let password = "lantern meadow copper 4417";
    run_flow(
        "reset-password",
        &base,
        &[("--link", &link), ("--password", password)],
    )
    .await;
    let new = app
        .login_attempt(&s.owner.slug, &s.owner.email, password)
        .await;
    assert_eq!(new.status, 200, "{}", new.body);
    let old = app
        .login_attempt(&s.owner.slug, &s.owner.email, &s.owner.password)
        .await;
    assert_eq!(old.status, 401, "the old password no longer works");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_invitation_link_sets_the_new_users_password() {
    let (app, s, base) = served_shop("browser-invite").await;
    let email = unique_email("ivy");
    // The served stack's origin: session calls from now on carry it.
    let origin = [("origin", base.as_str())];
    let invited = app
        .call(
            As::SessionWith(&s.session, &origin),
            "POST",
            &format!("/v1/tenants/{}/users", s.owner.tenant_id),
            Some(json!({ "email": email, "name": "Ivy Invited", "role": "staff" })),
        )
        .await;
    assert_eq!(invited.status, 201, "{}", invited.body);
    let token = token_from_mail(app.mail_to(&email).await.last().expect("invitation mail"));
    let link = format!("{base}/accept-invitation#token={token}");
    let password = "harbour violet thimble 2290";
    run_flow(
        "accept-invitation",
        &base,
        &[("--link", &link), ("--password", password)],
    )
    .await;
    let signed_in = app.login_attempt(&s.owner.slug, &email, password).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirm_email_change_link_moves_the_sign_in_to_the_new_address() {
    let (app, s, base) = served_shop("browser-newmail").await;
    let new_email = unique_email("moved");
    let origin = [("origin", base.as_str())];
    let asked = app
        .call(
            As::SessionWith(&s.session, &origin),
            "POST",
            &format!("/v1/tenants/{}/me/email", s.owner.tenant_id),
            Some(json!({ "new_email": new_email, "password": s.owner.password })),
        )
        .await;
    assert_eq!(asked.status, 202, "{}", asked.body);
    let token = token_from_mail(
        app.mail_to(&new_email)
            .await
            .last()
            .expect("mail to the new address"),
    );
    let link = format!("{base}/confirm-email-change#token={token}");
    run_flow("confirm-email-change", &base, &[("--link", &link)]).await;
    let new = app
        .login_attempt(&s.owner.slug, &new_email, &s.owner.password)
        .await;
    assert_eq!(new.status, 200, "{}", new.body);
    let old = app
        .login_attempt(&s.owner.slug, &s.owner.email, &s.owner.password)
        .await;
    assert_eq!(old.status, 401, "the old address no longer signs in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsubscribe_link_turns_reminders_off() {
    use bookwarden_shared::booking::reminders::{pending, send_due};
    let (app, s, base) = served_shop("browser-unsub").await;
    let email = unique_email("rita");
    let day = future_day();
    let open = slots(&app, &s, day).await;
    let scope = app.scope_of(&s.owner.slug).await;
    let booking_of = |r: bookwarden_tests::TestResponse| {
        assert_eq!(r.status, 201, "{}", r.body);
        r.json()["booking_id"].as_str().unwrap().to_owned()
    };
    let first = booking_of(book(&app, &s, &open[0], &email, "browser-unsub-1").await);
    let first = bookwarden_shared::booking::bookings::load(&app.platform, &scope, &first)
        .await
        .unwrap()
        .unwrap();
    let due = pending(&first).expect("a reminder is due before the appointment");
    assert_eq!(send_due(&app.platform, due).await.unwrap().queued, 1);
    let reminder = app
        .mail_to(&email)
        .await
        .into_iter()
        .find(|m| m.contains("Reminder"))
        .expect("a reminder");
    // The page link carries the same signed recipient as the one-click
    // address in List-Unsubscribe.
    let header = decoded(&reminder);
    let at = header.find("List-Unsubscribe: <").unwrap() + "List-Unsubscribe: <".len();
    let one_click = &header[at..at + header[at..].find('>').unwrap()];
    let query = url::Url::parse(one_click).expect("List-Unsubscribe is a URL");
    let value = |name: &str| {
        query
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no {name} in {one_click}"))
    };
    let link = format!(
        "{base}/email-preferences#tenant={}&recipient={}&sig={}",
        s.owner.slug,
        value("recipient"),
        value("sig")
    );
    run_flow("unsubscribe", &base, &[("--link", &link)]).await;

    // A later booking's reminder is no longer sent.
    let second = booking_of(book(&app, &s, open.last().unwrap(), &email, "browser-unsub-2").await);
    let second = bookwarden_shared::booking::bookings::load(&app.platform, &scope, &second)
        .await
        .unwrap()
        .unwrap();
    app.deliver_mail().await;
    let due = pending(&second).unwrap();
    assert_eq!(send_due(&app.platform, due).await.unwrap().queued, 1);
    let report = app.deliver_mail().await;
    assert_eq!((report.sent, report.skipped), (0, 1), "{report:?}");
}

/// Runs a booking flow on a fresh shop and checks that it made exactly one
/// booking, at the time the page reported, and one confirmation to `email`.
async fn books_once(flow: &str, tag: &str, email: &str, extra: &[(&str, &str)]) -> TestApp {
    let (app, s, base) = served_shop(tag).await;
    let day = future_day();
    let (link, date) = (book_page(&base, &s), day.to_string());
    let mut args = vec![
        ("--link", link.as_str()),
        ("--date", date.as_str()),
        ("--email", email),
    ];
    args.extend_from_slice(extra);
    let run = run_flow(flow, &base, &args).await;
    only_booking_at(
        &bookings_around(&app, &s, day).await,
        reported(&run, "start"),
    );
    assert_eq!(app.mail_to(email).await.len(), 1, "one confirmation");
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_click_on_book_makes_one_booking() {
    books_once("double-click", "browser-double", &unique_email("dora"), &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_taken_in_another_tab_is_refused_with_the_nearest_open_times() {
    let second = unique_email("bert");
    let app = books_once(
        "slot-taken",
        "browser-taken",
        &unique_email("alice"),
        &[("--email-b", &second)],
    )
    .await;
    assert!(
        app.mail_to(&second).await.is_empty(),
        "the second tab booked nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_javascript_a_booking_completes_by_form_posts() {
    books_once("no-js", "browser-nojs", &unique_email("nora"), &[]).await;
}

/// The checks every flow relies on are not vacuous: a Trusted Types
/// violation, an inline style and a select without a label, made on
/// purpose, fail them (with JavaScript on and off).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_checks_catch_a_csp_violation_and_an_axe_violation() {
    let (_app, s, base) = served_shop("browser-canary").await;
    let run = run_flow(
        "checks-catch-problems",
        &base,
        &[("--link", &book_page(&base, &s))],
    )
    .await;
    assert!(reported(&run, "csp_caught").contains("Trusted"));
    assert!(reported(&run, "axe_caught").contains("select-name"));
    assert!(reported(&run, "axe_replay_caught").contains("select-name"));
    assert!(reported(&run, "csp_no_js_caught").contains("style-src"));
}

/// The booking page's headers earn an A+ from the MDN HTTP Observatory
/// (`@mdn/mdn-http-observatory`, pinned in infra/browser/package.json), as
/// served over HTTPS by a local TLS front with HTTP redirecting to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observatory_grades_the_booking_page_a_plus() {
    let (_app, s, base) = served_shop("observatory").await;
    let result =
        bookwarden_tests::browser::observatory_scan(&base, &format!("/book/{}", s.owner.slug))
            .await;
    let scan = &result["scan"];
    println!(
        "observatory: grade {} score {} ({} of {} tests pass)",
        scan["grade"], scan["score"], scan["testsPassed"], scan["testsQuantity"]
    );
    let tests = result["tests"].as_object().expect("the scan's tests");
    for (name, test) in tests {
        println!(
            "  {name}: {} {} ({:+})",
            if test["pass"] == true { "pass" } else { "FAIL" },
            test["result"].as_str().unwrap_or("?"),
            test["scoreModifier"].as_i64().unwrap_or(0)
        );
    }
    assert_eq!(
        scan["statusCode"], 200,
        "the page itself was scanned: {scan}"
    );
    assert_eq!(
        scan["responseHeaders"]["content-type"], "text/html; charset=utf-8",
        "{scan}"
    );
    assert_eq!(tests.len(), 10, "every test ran");
    assert_eq!(
        tests["strict-transport-security"]["result"],
        "hsts-implemented-max-age-at-least-six-months",
        "the certificate was trusted (an untrusted one makes this hsts-invalid-cert)"
    );
    assert_eq!(tests["redirection"]["result"], "redirection-to-https");
    assert_eq!(scan["testsFailed"], 0, "{result}");
    assert_eq!(scan["grade"], "A+", "{result}");
}
