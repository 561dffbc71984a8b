//! The pages over HTTP, without a browser (the browser binary drives them in
//! Chromium): headers and CSP (WEB-1), cross-site posts refused (WEB-2),
//! booking by plain form posts with an idempotency key (BOOK-3), the manage
//! page (BOOK-4), the emailed-link pages (CRY-4, MAIL-3), languages, and
//! hostile input answered with 4xx pages that change nothing.

use bookwarden_tests::booking::{future_day, shop, Shop};
use bookwarden_tests::identity::{As, ORIGIN};
use bookwarden_tests::{decoded, token_from_mail, TestApp, TestResponse};
use serde_json::json;

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");
const SAME_ORIGIN: (&str, &str) = ("origin", ORIGIN);

/// The value of the first `<input … name="{name}" … value="…">` on a page.
fn input_value(html: &str, name: &str) -> Option<String> {
    html.split('<')
        .filter(|tag| tag.starts_with("input") && tag.contains(&format!("name=\"{name}\"")))
        .find_map(|tag| attribute(tag, "value"))
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].replace("&#43;", "+").replace("&#x2b;", "+"))
}

/// Every open time offered on a page.
fn slot_values(html: &str) -> Vec<String> {
    html.split('<')
        .filter(|tag| tag.starts_with("input class=\"slot\""))
        .filter_map(|tag| attribute(tag, "value"))
        .collect()
}

fn encode(fields: &[(&str, &str)]) -> Vec<u8> {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
        .into_bytes()
}

async fn get(app: &TestApp, path: &str) -> TestResponse {
    app.request("GET", path, &[], b"").await
}

async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> TestResponse {
    app.request("POST", path, &[FORM, SAME_ORIGIN], &encode(fields))
        .await
}

fn booking_page(s: &Shop) -> String {
    format!(
        "/book/{}?service={}&date={}&tz=Europe/Berlin",
        s.owner.slug,
        s.service_id,
        future_day()
    )
}

async fn count_bookings(app: &TestApp, s: &Shop) -> usize {
    let day = chrono::Utc::now().date_naive();
    let r = app
        .call(
            As::Session(&s.session),
            "GET",
            &format!(
                "/v1/tenants/{}/bookings?from={day}T00:00:00Z&to={}T00:00:00Z",
                s.owner.tenant_id,
                day + chrono::Duration::days(60)
            ),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["bookings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["status"] == "confirmed")
        .count()
}

/// The booking form of a page, filled in for `slot`.
fn filled(page: &str, s: &Shop, slot: &str, email: &str) -> Vec<(String, String)> {
    let key = input_value(page, "idempotency_key").expect("idempotency key");
    [
        ("service", s.service_id.as_str()),
        ("staff", "any"),
        ("tz", "Europe/Berlin"),
        ("date", &future_day().to_string()),
        ("lang", "en"),
        ("idempotency_key", &key),
        ("start", slot),
        ("name", "Cora Customer"),
        ("email", email),
        ("phone", ""),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[tokio::test]
async fn the_booking_page_books_by_plain_form_posts_once_per_form_under_a_strict_csp() {
    let app = TestApp::new().await;
    let s = shop(&app, "page").await;
    let page = get(&app, &booking_page(&s)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = page.header("content-security-policy").unwrap();
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "require-trusted-types-for 'script'",
        "trusted-types 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} missing from {csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(page.header("strict-transport-security").is_some());
    assert!(!page.body.contains("<script>") && !page.body.contains(" style="));
    assert!(page.body.contains("<html lang=\"en\">"));
    assert!(
        page.body
            .contains(&format!("service={}&#38;date=", s.service_id)),
        "language links keep what was chosen"
    );

    // Static files: hashed names, cached for a year; old names are gone.
    for asset in page
        .body
        .split('"')
        .filter(|a| a.starts_with("/assets/"))
        .collect::<Vec<_>>()
    {
        let r = get(&app, asset).await;
        assert_eq!(r.status, 200, "{asset}");
        assert_eq!(
            r.header("cache-control"),
            Some("public, max-age=31536000, immutable")
        );
    }
    assert_eq!(
        get(&app, "/assets/app.0000000000000000.js").await.status,
        404
    );

    let open = slot_values(&page.body);
    assert!(open.len() > 10, "{}", page.body);
    let form = filled(&page.body, &s, &open[0], "page-cora@example.org");
    let booked = post_form(&app, &format!("/book/{}", s.owner.slug), &pairs(&form)).await;
    assert_eq!(booked.status, 200, "{}", booked.body);
    assert!(booked.body.contains("id=\"done\""), "{}", booked.body);
    assert!(booked
        .body
        .contains("data:text/calendar;charset=utf-8;base64,"));
    // The same form sent again (a double click, a resend): the same booking.
    let again = post_form(&app, &format!("/book/{}", s.owner.slug), &pairs(&form)).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(count_bookings(&app, &s).await, 1);
    // The confirmation mail links to the manage page with the token in the fragment.
    let mail = app.mail_to("page-cora@example.org").await;
    assert_eq!(mail.len(), 1, "one booking, one confirmation");
    assert!(decoded(&mail[0]).contains("/manage#token="), "{}", mail[0]);

    // Another form for the taken time: 409, the nearest open times offered.
    let later = get(&app, &booking_page(&s)).await;
    let form = filled(&later.body, &s, &open[0], "dan@example.org");
    let taken = post_form(&app, &format!("/book/{}", s.owner.slug), &pairs(&form)).await;
    assert_eq!(taken.status, 409, "{}", taken.body);
    assert!(taken.body.contains("id=\"error-summary\""));
    let offered = slot_values(&taken.body);
    assert_eq!(offered.len(), 6, "{}", taken.body);
    assert!(!offered.contains(&open[0]));
    assert_eq!(count_bookings(&app, &s).await, 1);
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_change_nothing() {
    let app = TestApp::new().await;
    let s = shop(&app, "csrf").await;
    let page = get(&app, &booking_page(&s)).await;
    let open = slot_values(&page.body);
    let form = filled(&page.body, &s, &open[0], "eve@example.org");
    let path = format!("/book/{}", s.owner.slug);
    for headers in [
        vec![FORM, ("origin", "https://evil.example")],
        vec![FORM, ("origin", "null")],
        vec![FORM, ("sec-fetch-site", "cross-site")],
        vec![FORM, ("sec-fetch-site", "same-site"), SAME_ORIGIN],
    ] {
        let r = app
            .request("POST", &path, &headers, &encode(&pairs(&form)))
            .await;
        assert_eq!(r.status, 403, "{headers:?}: {}", r.body);
        assert!(r.body.contains("another website"), "{}", r.body);
    }
    for path in ["/manage", "/reset-password", "/email-preferences"] {
        let r = app
            .request(
                "POST",
                path,
                &[FORM, ("origin", "https://evil.example")],
                b"lang=en",
            )
            .await;
        assert_eq!(r.status, 403, "{path}");
    }
    assert_eq!(count_bookings(&app, &s).await, 0);
}

#[tokio::test]
async fn the_embed_allow_list_feeds_frame_ancestors_and_refuses_anything_but_origins() {
    let app = TestApp::new().await;
    let s = shop(&app, "embed").await;
    app.set_settings(
        &s.session,
        json!({ "embed_origins": ["https://www.salon.example", "https://salon.example:8443"] }),
    )
    .await;
    let page = get(&app, &booking_page(&s)).await;
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("frame-ancestors https://salon.example:8443 https://www.salon.example;"),
        "{csp}"
    );
    assert_eq!(page.header("x-frame-options"), None);
    // Other pages stay unframeable.
    let other = get(&app, "/manage").await;
    assert!(other
        .header("content-security-policy")
        .unwrap()
        .contains("frame-ancestors 'none'"));
    for hostile in [
        json!(["https://a.example; script-src *"]),
        json!(["*"]),
        json!(["https://a.example/path"]),
        json!(["http://a.example"]),
        json!((0..11)
            .map(|i| format!("https://a{i}.example"))
            .collect::<Vec<_>>()),
    ] {
        let r = app
            .call(
                As::Session(&s.session),
                "PATCH",
                &format!("/v1/tenants/{}/settings", s.owner.tenant_id),
                Some(json!({ "embed_origins": hostile })),
            )
            .await;
        assert_eq!(r.status, 422, "{hostile}: {}", r.body);
    }
    let again = get(&app, &booking_page(&s)).await;
    assert_eq!(
        again.header("content-security-policy"),
        Some(csp),
        "refused settings changed nothing"
    );
}

#[tokio::test]
async fn the_manage_page_moves_and_cancels_by_form_posts_and_refuses_stale_links() {
    let app = TestApp::new().await;
    let s = shop(&app, "manage").await;
    let page = get(&app, &booking_page(&s)).await;
    let open = slot_values(&page.body);
    let form = filled(&page.body, &s, &open[0], "manage-cora@example.org");
    let booked = post_form(&app, &format!("/book/{}", s.owner.slug), &pairs(&form)).await;
    assert_eq!(booked.status, 200);
    let mails = app.mail_to("manage-cora@example.org").await;
    assert_eq!(mails.len(), 1);
    let token = token_from_mail(&mails[0]);

    let shell = get(&app, "/manage").await;
    assert_eq!(shell.status, 200);
    assert!(shell.body.contains("data-fragment"));
    assert!(!shell.body.contains(&token));

    let view = post_form(&app, "/manage", &[("token", &token), ("tz", "Asia/Tokyo")]).await;
    assert_eq!(view.status, 200, "{}", view.body);
    assert!(view.body.contains("Haircut"));
    assert!(
        view.body.contains("Asia/Tokyo"),
        "times in the reader's zone"
    );
    // Switching language re-posts the token from the page, never in a URL.
    let japanese = post_form(&app, "/manage", &[("token", &token), ("lang", "ja")]).await;
    assert!(japanese.body.contains("<html lang=\"ja\">"));
    assert!(japanese.body.contains("Haircut"));
    assert!(
        !japanese.body.split("href=\"").skip(1).any(|href| href
            .split('"')
            .next()
            .unwrap_or_default()
            .contains(&token)),
        "no link on the page carries the token"
    );
    let choices = slot_values(&view.body);
    assert!(
        choices.iter().all(|c| {
            chrono::DateTime::parse_from_rfc3339(c)
                .unwrap()
                .with_timezone(&chrono_tz::Asia::Tokyo)
                .date_naive()
                == future_day()
        }),
        "the picker opens on the appointment's day: {choices:?}"
    );
    let moved = post_form(
        &app,
        "/manage",
        &[
            ("token", &token),
            ("action", "move"),
            ("start", &choices[3]),
        ],
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert!(moved.body.contains("id=\"done\""));

    let cancelled = post_form(&app, "/manage", &[("token", &token), ("action", "cancel")]).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    assert_eq!(count_bookings(&app, &s).await, 0);
    // A cancelled booking can be looked at, not changed again.
    let after = post_form(&app, "/manage", &[("token", &token)]).await;
    assert_eq!(after.status, 200);
    assert!(after.body.contains("id=\"status\""));
    assert!(!after.body.contains("id=\"cancel\""));
    let twice = post_form(&app, "/manage", &[("token", &token), ("action", "cancel")]).await;
    assert_eq!(twice.status, 404, "{}", twice.body);

    for bad in ["", "x", &"a".repeat(3000), "mbk-\u{0}"] {
        let r = post_form(&app, "/manage", &[("token", bad)]).await;
        assert!((400..500).contains(&r.status), "{bad:?}: {}", r.status);
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    }
}

#[tokio::test]
async fn the_link_pages_confirm_once_keep_the_token_out_of_urls_and_speak_five_languages() {
    let app = TestApp::new().await;
    let s = shop(&app, "links").await;
    for (path, form_id) in [
        ("/verify-email", "verify"),
        ("/reset-password", "reset"),
        ("/accept-invitation", "accept"),
        ("/confirm-email-change", "confirm"),
        ("/email-preferences", "unsubscribe"),
    ] {
        let r = get(&app, path).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(r.body.contains(&format!("id=\"{form_id}\"")), "{path}");
        for (header, lang) in [
            ("de-DE,de;q=0.9", "de"),
            ("fr", "fr"),
            ("ja", "ja"),
            ("ko-KR", "ko"),
            ("xx", "en"),
        ] {
            let r = app
                .request("GET", path, &[("accept-language", header)], b"")
                .await;
            assert!(
                r.body.contains(&format!("<html lang=\"{lang}\">")),
                "{path} {header}"
            );
        }
        let chosen = get(&app, &format!("{path}?lang=ko")).await;
        assert!(chosen.body.contains("<html lang=\"ko\">"));
    }

    // A password reset: a weak password is refused with the token kept for a
    // retry; a good one works once.
    let token = app.reset_token(&s.owner).await;
    let weak = post_form(
        &app,
        "/reset-password",
        &[("token", &token), ("password", "short")],
    )
    .await;
    assert_eq!(weak.status, 422, "{}", weak.body);
    assert!(weak.body.contains("id=\"error-summary\""));
    assert_eq!(
        input_value(&weak.body, "token").as_deref(),
        Some(token.as_str())
    );
    let password = "a much longer passphrase for the salon";
    let ok = post_form(
        &app,
        "/reset-password",
        &[("token", &token), ("password", password)],
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.body.contains("id=\"done\""));
    let used = post_form(
        &app,
        "/reset-password",
        &[("token", &token), ("password", password)],
    )
    .await;
    assert!((400..500).contains(&used.status), "{}", used.status);
    let signed_in = app
        .login_attempt(&s.owner.slug, &s.owner.email, password)
        .await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
}

#[tokio::test]
async fn hostile_page_input_gets_a_4xx_page_and_changes_nothing() {
    let app = TestApp::new().await;
    let s = shop(&app, "hostile").await;
    let base = format!("/book/{}", s.owner.slug);
    for query in [
        "?tz=Mars/Phobos",
        "?tz=%00",
        &format!("?tz={}", "A".repeat(5000)),
        "?date=2026-02-30",
        "?date=%2B262143-12-31",
        "?date=-262144-01-01",
        &format!("?service={}&date=9999-12-31", s.service_id),
        &format!("?service={}&date=1970-01-01", s.service_id),
        &format!("?service={}&staff=nobody", s.service_id),
        &format!("?service={}", "s".repeat(5000)),
        "?lang=%FF%FE",
    ] {
        let r = get(&app, &format!("{base}{query}")).await;
        assert!(r.status < 500, "{query}: {} {}", r.status, r.body);
        assert_eq!(
            r.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{query}"
        );
    }
    assert_eq!(get(&app, "/book/no-such-business").await.status, 404);
    assert_eq!(
        get(&app, &format!("/book/{}", "x".repeat(500)))
            .await
            .status,
        404
    );

    let page = get(&app, &booking_page(&s)).await;
    let open = slot_values(&page.body);
    let good = filled(&page.body, &s, &open[0], "cora@example.org");
    let mut cases: Vec<Vec<(String, String)>> = Vec::new();
    for (field, value) in [
        ("start", String::new()),
        ("start", "not a time".to_owned()),
        ("start", "+262143-12-31T23:59:59Z".to_owned()),
        ("start", "1970-01-01T00:00:00Z".to_owned()),
        ("email", "not an email".to_owned()),
        ("name", "n".repeat(3000)),
        ("phone", "☎".repeat(100)),
        ("service", "nope".to_owned()),
        ("staff", "nobody".to_owned()),
        ("tz", "Mars/Phobos".to_owned()),
        ("idempotency_key", String::new()),
        ("idempotency_key", "k".repeat(200)),
    ] {
        let mut form = good.clone();
        for (k, v) in &mut form {
            if k == field {
                *v = value.clone();
            }
        }
        cases.push(form);
    }
    let mut unknown = good.clone();
    unknown.push(("admin".into(), "1".into()));
    cases.push(unknown);
    let mut repeated = good.clone();
    repeated.push(("start".into(), open[1].clone()));
    cases.push(repeated);
    for form in &cases {
        let r = post_form(&app, &base, &pairs(form)).await;
        assert!(
            (400..500).contains(&r.status),
            "{form:?}: {} {}",
            r.status,
            r.body
        );
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    }
    let json = app
        .request(
            "POST",
            &base,
            &[("content-type", "application/json"), SAME_ORIGIN],
            b"{}",
        )
        .await;
    assert_eq!(json.status, 415);
    assert_eq!(count_bookings(&app, &s).await, 0);
}

#[tokio::test]
async fn on_a_stage_address_every_link_form_and_asset_keeps_the_stage_prefix() {
    let mut app = TestApp::new().await;
    let s = shop(&app, "stage").await;
    app.platform.config.app_base_url = format!("{ORIGIN}/live");
    let page = get(&app, &booking_page(&s)).await;
    assert_eq!(page.status, 200);
    for attribute in ["href=\"/", "action=\"/", "src=\"/"] {
        for found in page.body.split(attribute).skip(1) {
            assert!(
                found.starts_with("live/"),
                "{attribute}{}",
                &found[..found.len().min(40)]
            );
        }
    }
    let shell = get(&app, "/manage").await;
    assert!(shell.body.contains("action=\"/live/manage\""));
    let reset = get(&app, "/reset-password").await;
    assert!(reset.body.contains("action=\"/live/reset-password\""));
}
