//! The whole path through the real handlers and a local moto: a staff
//! member connects a calendar (ICS feed, Google through the authorization
//! server, CalDAV), its busy time blocks slots and nothing else of it is
//! stored, re-syncing an unchanged calendar writes nothing, a revoked grant
//! breaks the connection and says so once, and disconnecting or moving to
//! the free plan removes everything.

use bookwarden_tests::booking::{future_day, shop, slots, Shop};
use bookwarden_tests::identity::{As, Session};
use bookwarden_tests::peers::test_fetcher;
use bookwarden_tests::{decoded, TestApp};
use chrono::{NaiveDate, TimeZone};
use serde_json::{json, Value};

use super::caldav::{make_calendar, put_event, start_radicale, ALICE, ALICE_PASSWORD};
use super::feed::{feed_hits, serve_feed, start_feed_server};
use super::google::ProviderFake;
use super::oauth::{AuthServer, CLIENT_ID, CLIENT_SECRET, INTROSPECTOR};

/// Words only the imported calendars contain: none may reach the table.
const SECRETS: &[&str] = &[
    "Quarterly-Board-Review",
    "Dr-Jekyll-Consultation",
    "Room-4711-Basement",
    "ceo.private@example.org",
    "Confidential-Agenda-Notes",
];

fn berlin(day: NaiveDate, hour: u32) -> i64 {
    chrono_tz::Europe::Berlin
        .from_local_datetime(&day.and_hms_opt(hour, 0, 0).unwrap())
        .single()
        .unwrap()
        .timestamp()
}

fn ics_stamp(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

/// A feed with one blocking meeting at `hour` (full of details that must
/// not be kept), one free event and one cancelled event.
fn feed_body(day: NaiveDate, hour: u32) -> String {
    let ev = |uid: &str, h: u32, extra: &str| {
        format!(
            "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:{}\r\nDTEND:{}\r\nSUMMARY:Quarterly-Board-Review\r\nDESCRIPTION:Confidential-Agenda-Notes\r\nLOCATION:Room-4711-Basement\r\nORGANIZER:mailto:ceo.private@example.org\r\nATTENDEE;CN=Dr-Jekyll-Consultation:mailto:ceo.private@example.org\r\n{extra}END:VEVENT\r\n",
            ics_stamp(berlin(day, h)),
            ics_stamp(berlin(day, h + 1)),
        )
    };
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Tests//EN\r\n{}{}{}END:VCALENDAR\r\n",
        ev("meeting@example.org", hour, ""),
        ev("free@example.org", 13, "TRANSP:TRANSPARENT\r\n"),
        ev("cancelled@example.org", 15, "STATUS:CANCELLED\r\n"),
    )
}

/// Whether a slot starts at `hour` o'clock, Berlin time, on `day`.
fn open_at(slots: &[String], day: NaiveDate, hour: u32) -> bool {
    let start = chrono::DateTime::from_timestamp(berlin(day, hour), 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    slots.contains(&start)
}

async fn set_plan(app: &TestApp, shop: &Shop, plan: &str) {
    let r = app
        .call(
            As::Session(&shop.session),
            "PUT",
            &format!("/v1/tenants/{}/plan", shop.owner.tenant_id),
            Some(json!({ "plan": plan })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

fn connections_path(s: &Session) -> String {
    format!("/v1/tenants/{}/me/calendar-connections", s.tenant_id)
}

/// Every item, as text, for scanning.
async fn table_text(app: &TestApp) -> String {
    format!("{:?}", app.scan().await)
}

/// No secret appears in the table in any of the encodings a careless
/// store could use.
async fn assert_nothing_kept(app: &TestApp) {
    use base64::Engine;
    let text = table_text(app).await;
    for s in SECRETS {
        let forms = [
            s.to_string(),
            s.to_lowercase(),
            base64::engine::general_purpose::STANDARD.encode(s),
            s.bytes().map(|b| format!("{b:02x}")).collect::<String>(),
            format!("{:?}", s.as_bytes()),
        ];
        for form in forms {
            assert!(!text.contains(&form), "the table holds {s} as {form}");
        }
    }
}

#[tokio::test]
async fn an_ics_feed_blocks_slots_keeps_nothing_else_resyncs_for_free_and_disconnects_cleanly() {
    let app = TestApp::new().await;
    let shop = shop(&app, "cal-ics").await;
    let feeds = start_feed_server();
    let day = future_day();
    let url = serve_feed(
        &feeds,
        "work",
        &feed_body(day, 10),
        "text/calendar",
        Some("\"v1\""),
        None,
    )
    .await;
    let connect = json!({ "provider": "ics", "url": url.replace("https://", "webcal://") });

    // Free plan: no connections.
    let r = app
        .call(
            As::Session(&shop.session),
            "POST",
            &connections_path(&shop.session),
            Some(connect.clone()),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.problem_type().ends_with("plan-required"));

    set_plan(&app, &shop, "paid").await;
    assert!(open_at(&slots(&app, &shop, day).await, day, 10));
    let r = app
        .call(
            As::Session(&shop.session),
            "POST",
            &connections_path(&shop.session),
            Some(connect),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let conn = r.json();
    assert_eq!(conn["status"], "active");
    assert_eq!(conn["provider"], "ics");
    assert!(conn["last_successful_sync"].is_string(), "{conn}");
    let id = conn["id"].as_str().unwrap().to_owned();

    let open = slots(&app, &shop, day).await;
    assert!(!open_at(&open, day, 10), "the meeting blocks 10:00");
    assert!(
        !open_at(&open, day, 9),
        "a 60-minute slot at 09:00 would run into it"
    );
    assert!(open_at(&open, day, 13), "a free event does not block");
    assert!(open_at(&open, day, 15), "a cancelled event does not block");
    assert_nothing_kept(&app).await;
    assert_eq!(
        feed_hits(&feeds, "work").await,
        2,
        "the check on connect and the first sync"
    );

    // The schedule's next pass: the feed answers 304, nothing is parsed or written.
    let before = table_text(&app).await;
    let now = bookwarden_shared::clock::now_unix();
    let report = bookwarden_shared::calendar::sync::run_due(
        &app.platform,
        now + 601,
        50,
        std::time::Duration::from_secs(30),
    )
    .await;
    assert_eq!(report.synced, 1, "{report:?}");
    assert_eq!(feed_hits(&feeds, "work").await, 2, "a 304, not a body");
    let blocks = |text: &str| text.matches("\"busy\"").count();
    assert_eq!(blocks(&before), blocks(&table_text(&app).await));

    // The meeting moves upstream: the next pass follows.
    serve_feed(
        &feeds,
        "work",
        &feed_body(day, 14),
        "text/calendar",
        Some("\"v2\""),
        None,
    )
    .await;
    bookwarden_shared::calendar::sync::run_due(
        &app.platform,
        now + 1202,
        50,
        std::time::Duration::from_secs(30),
    )
    .await;
    let open = slots(&app, &shop, day).await;
    assert!(
        open_at(&open, day, 10) && !open_at(&open, day, 14),
        "{open:?}"
    );

    // Disconnect: connection, credential and blocks go; audited; told.
    let r = app
        .call(
            As::Session(&shop.session),
            "DELETE",
            &format!("{}/{id}", connections_path(&shop.session)),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert!(open_at(&slots(&app, &shop, day).await, day, 14));
    let text = table_text(&app).await;
    assert!(
        !text.contains(&format!("#CAL#{id}")),
        "no block of the connection is left"
    );
    assert!(
        !text.contains(&format!("CONN#{id}")),
        "the connection is gone"
    );
    let actions = app.audit_actions(&shop.session).await;
    assert!(actions.iter().any(|a| a == "calendar.connected"));
    assert!(actions.iter().any(|a| a == "calendar.disconnected"));
    app.deliver_mail().await;
    let mails = app.mail_to(&shop.owner.email).await;
    assert!(
        mails.iter().any(|m| decoded(m).contains("disconnected")),
        "a notice of the disconnection"
    );
}

#[tokio::test]
async fn refused_feed_addresses_and_bad_input_answer_422_and_store_nothing() {
    let app = TestApp::new().await;
    let shop = shop(&app, "cal-bad").await;
    set_plan(&app, &shop, "paid").await;
    let before = app.scan().await.len();
    for body in [
        json!({ "provider": "ics", "url": "http://example.org/cal.ics" }),
        json!({ "provider": "ics", "url": "https://169.254.169.254/latest/meta-data" }),
        json!({ "provider": "ics", "url": "https://10.0.0.1/cal.ics" }),
        json!({ "provider": "ics", "url": "not a url" }),
        json!({ "provider": "caldav", "server_url": "https://[::1]/", "username": "a", "password": "b" }),
    ] {
        let r = app
            .call(
                As::Session(&shop.session),
                "POST",
                &connections_path(&shop.session),
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status, 422, "{body}: {}", r.body);
    }
    for body in [
        json!({ "provider": "outlook" }),
        json!({ "provider": "ics" }),
        json!({ "provider": "google", "url": "https://calendar.example.org/x.ics" }),
        json!({ "provider": "caldav", "server_url": "https://dav.example.org/" }),
        json!({ "provider": "google", "tier": "everything" }),
        json!({ "provider": "ics", "url": "https://x", "extra": 1 }),
    ] {
        let r = app
            .call(
                As::Session(&shop.session),
                "POST",
                &connections_path(&shop.session),
                Some(body.clone()),
            )
            .await;
        assert!(matches!(r.status, 400 | 422), "{body}: {}", r.body);
    }
    assert_eq!(app.scan().await.len(), before, "nothing was stored");
}

/// The Google fake (trusting the authorization server's introspection) and
/// the authorization server, wired into the app as the production
/// endpoints would be.
struct GooglePeers {
    auth: AuthServer,
    google: ProviderFake,
}

async fn google_peers(app: &mut TestApp, auth_args: &[&str]) -> GooglePeers {
    let auth = AuthServer::start(auth_args);
    let introspect = auth.peer.url("/introspect");
    let client = format!("{}:{}", INTROSPECTOR.0, INTROSPECTOR.1);
    let ca = bookwarden_tests::peers::test_tls_dir().join("ca.pem");
    let ca = ca.to_str().unwrap().to_owned();
    let google = ProviderFake::google(&[
        "--introspect",
        &introspect,
        "--introspect-client",
        &client,
        "--introspect-ca",
        &ca,
    ]);
    let endpoints = &mut app.platform.config.calendar_endpoints;
    endpoints.google_authorize = auth.provider.authorize_url.to_string();
    endpoints.google_token = auth.provider.token_url.to_string();
    endpoints.google_revoke = auth.provider.revoke_url.as_ref().map(|u| u.to_string());
    endpoints.google_api = google.api().to_string();
    endpoints.redirect_uri = Some(auth.redirect_uri.to_string());
    app.set_calendar_clients(
        &json!({ "google": { "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET } })
            .to_string(),
    )
    .await;
    GooglePeers { auth, google }
}

/// Starts a Google connection as `session`, consents as `user` and returns
/// the landing query (code and state).
async fn consent(app: &TestApp, peers: &GooglePeers, session: &Session, user: &str) -> Value {
    let r = app
        .call(
            As::Session(session),
            "POST",
            &connections_path(session),
            Some(json!({ "provider": "google", "tier": "incremental" })),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let url = url::Url::parse(r.json()["authorization_url"].as_str().unwrap()).unwrap();
    let scopes: String = url
        .query_pairs()
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert!(scopes.contains("calendar.events.readonly"), "{scopes}");
    assert!(url
        .query_pairs()
        .any(|(k, v)| k == "code_challenge_method" && v == "S256"));
    peers.auth.consent(&test_fetcher(), &url, user).await
}

async fn callback(
    app: &TestApp,
    session: &Session,
    landing: &Value,
) -> bookwarden_tests::TestResponse {
    let path = format!(
        "/v1/calendar-connections/oauth/callback?code={}&state={}",
        landing["code"].as_str().unwrap_or_default(),
        landing["state"].as_str().unwrap_or_default()
    );
    app.call(As::Session(session), "GET", &path, None).await
}

#[tokio::test]
async fn google_connects_with_pkce_bound_to_the_session_breaks_once_when_revoked_and_disconnects() {
    let mut app = TestApp::new().await;
    let shop = shop(&app, "cal-google").await;
    set_plan(&app, &shop, "paid").await;
    let peers = google_peers(&mut app, &["--access-ttl", "60"]).await;
    let user = "alice@example.com";
    let day = future_day();
    let cal = peers
        .google
        .calendar(user, json!({ "summary": "Work", "primary": true }))
        .await;
    let mut meeting =
        super::google::google_event("Quarterly-Board-Review", berlin(day, 11), berlin(day, 12));
    meeting["description"] = json!("Confidential-Agenda-Notes");
    meeting["location"] = json!("Room-4711-Basement");
    meeting["attendees"] = json!([{ "email": "ceo.private@example.org", "displayName": "Dr-Jekyll-Consultation", "responseStatus": "accepted" }]);
    peers
        .google
        .put_event(user, &cal, "meeting1", meeting)
        .await;

    // Another session of the same user cannot finish what this one started.
    let landing = consent(&app, &peers, &shop.session, user).await;
    let other = app.login(&shop.owner).await;
    let r = callback(&app, &other, &landing).await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = callback(&app, &shop.session, &landing).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(r.json()["status"], "active", "{}", r.body);
    // The same callback again (a retry, a replay) finds nothing.
    let r = callback(&app, &shop.session, &landing).await;
    assert_eq!(r.status, 400, "{}", r.body);

    let open = slots(&app, &shop, day).await;
    assert!(!open_at(&open, day, 11), "{open:?}");
    assert_nothing_kept(&app).await;

    // The user removes our access at Google: the next pass refreshes, gets
    // invalid_grant, marks the connection broken and tells the user once.
    peers.auth.revoke_user(&test_fetcher(), user).await;
    let now = bookwarden_shared::clock::now_unix();
    let pass = |at| {
        bookwarden_shared::calendar::sync::run_due(
            &app.platform,
            at,
            50,
            std::time::Duration::from_secs(30),
        )
    };
    let report = pass(now + 601).await;
    assert_eq!(report.failed, 1, "{report:?}");
    let list = app
        .call(
            As::Session(&shop.session),
            "GET",
            &connections_path(&shop.session),
            None,
        )
        .await;
    let listed = &list.json()["connections"][0];
    assert_eq!(listed["status"], "broken", "{listed}");
    assert_eq!(listed["last_error"], "grant_revoked");
    assert_eq!(
        pass(now + 1800).await,
        Default::default(),
        "a broken connection is not synced"
    );
    let r = app
        .call(
            As::Session(&shop.session),
            "POST",
            &format!("{}/{id}/sync", connections_path(&shop.session)),
            None,
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    app.deliver_mail().await;
    let notices = app
        .mail_to(&shop.owner.email)
        .await
        .iter()
        .filter(|m| decoded(m).contains("connected again"))
        .count();
    assert_eq!(notices, 1);

    // Disconnect reaches the provider's revocation endpoint.
    let revocations_before = peers.auth.stats(&test_fetcher()).await["revocations"].clone();
    let r = app
        .call(
            As::Session(&shop.session),
            "DELETE",
            &format!("{}/{id}", connections_path(&shop.session)),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let stats = peers.auth.stats(&test_fetcher()).await;
    assert_ne!(stats["revocations"], revocations_before, "{stats}");
    assert!(open_at(&slots(&app, &shop, day).await, day, 11));
}

#[tokio::test]
async fn parallel_callbacks_connect_once() {
    let mut app = TestApp::new().await;
    let shop = shop(&app, "cal-race").await;
    set_plan(&app, &shop, "paid").await;
    let peers = google_peers(&mut app, &[]).await;
    peers
        .google
        .calendar("bob@example.com", json!({ "summary": "Bob" }))
        .await;
    let landing = consent(&app, &peers, &shop.session, "bob@example.com").await;
    let statuses =
        futures_util::future::join_all((0..6).map(|_| callback(&app, &shop.session, &landing)))
            .await
            .iter()
            .map(|r| r.status)
            .collect::<Vec<_>>();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    let list = app
        .call(
            As::Session(&shop.session),
            "GET",
            &connections_path(&shop.session),
            None,
        )
        .await;
    assert_eq!(list.json()["connections"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn caldav_connects_with_an_app_password_and_the_free_plan_disconnects_everything() {
    let app = TestApp::new().await;
    let shop = shop(&app, "cal-dav").await;
    set_plan(&app, &shop, "paid").await;
    let radicale = start_radicale(&[(ALICE, ALICE_PASSWORD)], true);
    let day = future_day();
    let path = make_calendar(
        &radicale,
        (ALICE, ALICE_PASSWORD),
        "work",
        "Work",
        &["VEVENT"],
    )
    .await;
    let ics = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Tests//EN\r\nBEGIN:VEVENT\r\nUID:dav1@example.org\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:{}\r\nDTEND:{}\r\nSUMMARY:Quarterly-Board-Review\r\nLOCATION:Room-4711-Basement\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        ics_stamp(berlin(day, 12)),
        ics_stamp(berlin(day, 13)),
    );
    put_event(&radicale, (ALICE, ALICE_PASSWORD), &path, "dav1", &ics).await;

    let wrong = app
        .call(
            As::Session(&shop.session),
            "POST",
            &connections_path(&shop.session),
            Some(json!({ "provider": "caldav", "server_url": radicale.url("/"), "username": ALICE, "password": "wrong" })),
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    let r = app
        .call(
            As::Session(&shop.session),
            "POST",
            &connections_path(&shop.session),
            Some(json!({ "provider": "caldav", "server_url": radicale.url("/"), "username": ALICE, "password": ALICE_PASSWORD })),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["status"], "active", "{}", r.body);
    assert!(!open_at(&slots(&app, &shop, day).await, day, 12));
    let text = table_text(&app).await;
    assert!(
        !text.contains(ALICE_PASSWORD) && !text.contains("Room-4711"),
        "credentials and details are not stored in the clear"
    );

    // Moving to the free plan disconnects every calendar of the business.
    set_plan(&app, &shop, "free").await;
    let list = app
        .call(
            As::Session(&shop.session),
            "GET",
            &connections_path(&shop.session),
            None,
        )
        .await;
    assert_eq!(list.json()["connections"], json!([]));
    assert!(open_at(&slots(&app, &shop, day).await, day, 12));
    assert!(app
        .audit_actions(&shop.session)
        .await
        .iter()
        .any(|a| a == "tenant.plan_free"));
}

#[tokio::test]
async fn staff_see_only_their_own_connections_and_keys_cannot_touch_them() {
    let app = TestApp::new().await;
    let shop = shop(&app, "cal-own").await;
    set_plan(&app, &shop, "paid").await;
    let feeds = start_feed_server();
    let url = serve_feed(
        &feeds,
        "own",
        &feed_body(future_day(), 10),
        "text/calendar",
        None,
        None,
    )
    .await;
    let r = app
        .call(
            As::Session(&shop.session),
            "POST",
            &connections_path(&shop.session),
            Some(json!({ "provider": "ics", "url": url })),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let (_, staff) = app.member(&shop.session, &shop.owner, "staff").await;
    let list = app
        .call(As::Session(&staff), "GET", &connections_path(&staff), None)
        .await;
    assert_eq!(list.json()["connections"], json!([]));
    for (method, suffix) in [("DELETE", ""), ("POST", "/sync"), ("GET", "/calendars")] {
        let r = app
            .call(
                As::Session(&staff),
                method,
                &format!("{}/{id}{suffix}", connections_path(&staff)),
                None,
            )
            .await;
        assert_eq!(r.status, 404, "{method} {suffix}: {}", r.body);
    }
    let (key, _) = app.api_key(&shop.session, &["read", "admin"]).await;
    let r = app
        .call(As::Key(&key), "GET", &connections_path(&shop.session), None)
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
}

#[tokio::test]
async fn microsoft_incremental_follows_moves_deletions_and_an_expired_delta_link() {
    let mut app = TestApp::new().await;
    let shop = shop(&app, "cal-graph").await;
    set_plan(&app, &shop, "paid").await;
    let auth = AuthServer::start(&[]);
    let introspect = auth.peer.url("/introspect");
    let client = format!("{}:{}", INTROSPECTOR.0, INTROSPECTOR.1);
    let graph =
        super::microsoft::graph(&["--introspect", &introspect, "--introspect-client", &client]);
    let endpoints = &mut app.platform.config.calendar_endpoints;
    endpoints.microsoft_authorize = auth.provider.authorize_url.to_string();
    endpoints.microsoft_token = auth.provider.token_url.to_string();
    endpoints.graph_api = graph.api().to_string();
    endpoints.redirect_uri = Some(auth.redirect_uri.to_string());
    app.set_calendar_clients(
        &json!({ "microsoft": { "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET } })
            .to_string(),
    )
    .await;
    let user = "carol@example.com";
    let cal = graph
        .calendar(
            user,
            json!({ "name": "Calendar", "isDefaultCalendar": true }),
        )
        .await;
    let day = future_day();
    let mut meeting =
        super::microsoft::graph_event("Quarterly-Board-Review", berlin(day, 14), berlin(day, 15));
    meeting["location"] = json!({ "displayName": "Room-4711-Basement" });
    meeting["body"] = json!({ "contentType": "text", "content": "Confidential-Agenda-Notes" });
    meeting["attendees"] = json!([{ "emailAddress": { "address": "ceo.private@example.org", "name": "Dr-Jekyll-Consultation" }, "type": "required" }]);
    graph.put_event(user, &cal, "m1", meeting).await;

    let r = app
        .call(
            As::Session(&shop.session),
            "POST",
            &connections_path(&shop.session),
            Some(json!({ "provider": "microsoft", "tier": "incremental" })),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let url = url::Url::parse(r.json()["authorization_url"].as_str().unwrap()).unwrap();
    let landing = auth.consent(&test_fetcher(), &url, user).await;
    let r = callback(&app, &shop.session, &landing).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.json()["calendars"],
        json!([cal]),
        "the default calendar is selected"
    );
    assert!(!open_at(&slots(&app, &shop, day).await, day, 14));
    assert_nothing_kept(&app).await;

    // Moved upstream, then the delta link expires: a full read follows.
    graph
        .patch_event(
            user,
            &cal,
            "m1",
            super::microsoft::graph_event(
                "Quarterly-Board-Review",
                berlin(day, 16),
                berlin(day, 17),
            ),
        )
        .await;
    let now = bookwarden_shared::clock::now_unix();
    let pass = |at| {
        bookwarden_shared::calendar::sync::run_due(
            &app.platform,
            at,
            50,
            std::time::Duration::from_secs(30),
        )
    };
    assert_eq!(pass(now + 601).await.synced, 1);
    let open = slots(&app, &shop, day).await;
    assert!(
        open_at(&open, day, 14) && !open_at(&open, day, 16),
        "{open:?}"
    );
    graph.delete_event(user, &cal, "m1").await;
    graph.invalidate_sync().await;
    assert_eq!(pass(now + 1202).await.synced, 1);
    assert!(
        open_at(&slots(&app, &shop, day).await, day, 16),
        "deleted upstream, gone here"
    );
    assert_nothing_kept(&app).await;
}

#[tokio::test]
async fn restricted_sessions_and_extreme_values_are_refused_and_change_nothing() {
    let app = TestApp::new().await;
    let shop = shop(&app, "cal-edge").await;
    set_plan(&app, &shop, "paid").await;
    let feeds = start_feed_server();
    let url = serve_feed(
        &feeds,
        "edge",
        &feed_body(future_day(), 10),
        "text/calendar",
        None,
        None,
    )
    .await;
    let r = app
        .call(
            As::Session(&shop.session),
            "POST",
            &connections_path(&shop.session),
            Some(json!({ "provider": "ics", "url": url })),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let before = table_text(&app).await.matches("\"busy\"").count();

    // A session that must first enrol a second factor cannot touch calendars.
    app.set_settings(&shop.session, json!({ "mfa_required_for_admins": true }))
        .await;
    let r = app
        .login_attempt(&shop.owner.slug, &shop.owner.email, &shop.owner.password)
        .await;
    assert_eq!(r.json()["status"], "mfa_enrolment_required", "{}", r.body);
    let restricted = bookwarden_tests::identity::session_from(&r);
    for (method, path, body) in [
        ("GET", connections_path(&restricted), None),
        (
            "POST",
            connections_path(&restricted),
            Some(json!({ "provider": "ics", "url": "https://calendar.example.org/x.ics" })),
        ),
        (
            "POST",
            format!("{}/{id}/sync", connections_path(&restricted)),
            None,
        ),
        (
            "DELETE",
            format!("{}/{id}", connections_path(&restricted)),
            None,
        ),
        (
            "GET",
            "/v1/calendar-connections/oauth/callback?state=x&code=y".to_owned(),
            None,
        ),
    ] {
        let r = app
            .call(As::Session(&restricted), method, &path, body)
            .await;
        assert_eq!(r.status, 403, "{method} {path}: {}", r.body);
        assert!(r.problem_type().ends_with("step-required"), "{}", r.body);
    }

    // Extreme values: a 404 or a 422, never a 5xx, and nothing changes.
    let long = "x".repeat(5_000);
    let many: Vec<String> = (0..25).map(|i| format!("cal-{i}")).collect();
    for (method, path, body, status) in [
        (
            "GET",
            format!(
                "{}/{}/calendars",
                connections_path(&shop.session),
                "a".repeat(500)
            ),
            None,
            404,
        ),
        (
            "DELETE",
            format!("{}/{}", connections_path(&shop.session), "%00%ff"),
            None,
            404,
        ),
        (
            "PUT",
            format!("{}/{id}/calendars", connections_path(&shop.session)),
            Some(json!({ "calendar_ids": many })),
            422,
        ),
        (
            "PUT",
            format!("{}/{id}/calendars", connections_path(&shop.session)),
            Some(json!({ "calendar_ids": [long.clone()] })),
            422,
        ),
        (
            "PUT",
            format!("{}/{id}/calendars", connections_path(&shop.session)),
            Some(json!({ "calendar_ids": [] })),
            422,
        ),
        (
            "POST",
            connections_path(&shop.session),
            Some(json!({ "provider": "ics", "url": format!("https://example.org/{long}") })),
            422,
        ),
        (
            "POST",
            connections_path(&shop.session),
            Some(
                json!({ "provider": "caldav", "server_url": "https://dav.example.org/", "username": "a", "password": long.clone() }),
            ),
            422,
        ),
        (
            "GET",
            format!("/v1/calendar-connections/oauth/callback?state={long}&code=c"),
            None,
            400,
        ),
    ] {
        let r = app
            .call(As::Session(&shop.session), method, &path, body)
            .await;
        assert_eq!(
            r.status,
            status,
            "{method} {}: {}",
            &path[..path.len().min(80)],
            r.body
        );
    }
    let list = app
        .call(
            As::Session(&shop.session),
            "GET",
            &connections_path(&shop.session),
            None,
        )
        .await;
    let listed = &list.json()["connections"];
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["calendars"], json!(["feed"]));
    assert_eq!(table_text(&app).await.matches("\"busy\"").count(), before);
}
