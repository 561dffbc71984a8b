//! The access-control matrix (ACC-1) and tenant isolation of every route (ISO-3,
//! ISO-5): every authenticated route is called by an owner, an admin, a staff
//! member, a read-only API key, an anonymous client and the owner of another
//! tenant, and each must get exactly the expected status.

use std::collections::BTreeSet;

use bookwarden_functions::routes::ROUTES;
use bookwarden_tests::identity::As;
use bookwarden_tests::TestApp;
use serde_json::json;

/// Who may call a route. `O`wner, `A`dmin, `S`taff; `K` = a read-scoped API key.
/// `ok` is the status an allowed caller gets for the probe request below (no
/// body, unknown ids), so nothing is changed by the sweep.
struct Expect {
    method: &'static str,
    path: &'static str,
    allowed: &'static str,
    ok: u16,
}

const MATRIX: &[Expect] = &[
    Expect {
        method: "GET",
        path: "/v1/tenants/{tenant_id}/services",
        allowed: "OASK",
        ok: 200,
    },
    Expect {
        method: "POST",
        path: "/v1/tenants/{tenant_id}/services",
        allowed: "OA",
        ok: 415,
    },
    Expect {
        method: "PATCH",
        path: "/v1/tenants/{tenant_id}/services/{service_id}",
        allowed: "OA",
        ok: 415,
    },
    Expect {
        method: "GET",
        path: "/v1/tenants/{tenant_id}/staff/{user_id}/schedule",
        allowed: "OASK",
        ok: 200,
    },
    Expect {
        method: "PUT",
        path: "/v1/tenants/{tenant_id}/staff/{user_id}/schedule",
        allowed: "OA",
        ok: 415,
    },
    Expect {
        method: "GET",
        path: "/v1/tenants/{tenant_id}/booking-form",
        allowed: "OASK",
        ok: 200,
    },
    Expect {
        method: "PUT",
        path: "/v1/tenants/{tenant_id}/booking-form",
        allowed: "OA",
        ok: 415,
    },
    Expect {
        method: "GET",
        path: "/v1/tenants/{tenant_id}/bookings",
        allowed: "OASK",
        ok: 422,
    },
    Expect {
        method: "GET",
        path: "/v1/tenants/{tenant_id}/bookings/{booking_id}",
        allowed: "OASK",
        ok: 404,
    },
    Expect {
        method: "POST",
        path: "/v1/tenants/{tenant_id}/bookings/{booking_id}/cancel",
        allowed: "OAS",
        ok: 404,
    },
    Expect {
        method: "POST",
        path: "/v1/tenants/{tenant_id}/bookings/{booking_id}/reschedule",
        allowed: "OAS",
        ok: 415,
    },
    Expect {
        method: "POST",
        path: "/v1/tenants/{tenant_id}/customers/erasure",
        // The read-scoped key lacks bookings:write.
        allowed: "OA",
        ok: 415,
    },
    Expect {
        method: "GET",
        path: "/v1/tenants/{tenant_id}/me",
        allowed: "OASK",
        ok: 200,
    },
    Expect {
        method: "PATCH",
        path: "/v1/tenants/{tenant_id}/me",
        allowed: "OAS",
        ok: 415,
    },
    Expect {
        method: "POST",
        path: "/v1/tenants/{tenant_id}/me/password",
        allowed: "OAS",
        ok: 415,
    },
    Expect {
        method: "POST",
        path: "/v1/tenants/{tenant_id}/me/email",
        allowed: "OAS",
        ok: 415,
    },
    Expect {
        method: "GET",
        path: "/v1/tenants/{tenant_id}/me/sessions",
        // Keys never see sessions (their addresses and browsers).
        allowed: "OAS",
        ok: 200,
    },
    Expect {
        method: "DELETE",
        path: "/v1/tenants/{tenant_id}/me/sessions/{session_id}",
        allowed: "OAS",
        ok: 404,
    },
    Expect {
        method: "POST",
        path: "/v1/tenants/{tenant_id}/me/mfa/totp",
        allowed: "OAS",
        ok: 201,
    },
    Expect {
        method: "DELETE",
        path: "/v1/tenants/{tenant_id}/me/mfa/totp",
        allowed: "OAS",
        ok: 415,
    },
    Expect {
        method: "POST",
        path: "/v1/tenants/{tenant_id}/me/mfa/totp/confirm",
        allowed: "OAS",
        ok: 415,
    },
    Expect {
        method: "POST",
        path: "/v1/tenants/{tenant_id}/me/mfa/recovery-codes",
        allowed: "OAS",
        ok: 415,
    },
    Expect {
        method: "GET",
        path: "/v1/tenants/{tenant_id}/users",
        allowed: "OAK",
        ok: 200,
    },
    Expect {
        method: "POST",
        path: "/v1/tenants/{tenant_id}/users",
        allowed: "OA",
        ok: 415,
    },
    Expect {
        method: "PATCH",
        path: "/v1/tenants/{tenant_id}/users/{user_id}",
        allowed: "OA",
        ok: 415,
    },
    Expect {
        method: "DELETE",
        path: "/v1/tenants/{tenant_id}/me",
        allowed: "OAS",
        ok: 415,
    },
    Expect {
        method: "DELETE",
        path: "/v1/tenants/{tenant_id}",
        allowed: "O",
        ok: 415,
    },
    Expect {
        method: "POST",
        path: "/v1/tenants/{tenant_id}/restoration",
        allowed: "O",
        ok: 415,
    },
    Expect {
        method: "DELETE",
        path: "/v1/tenants/{tenant_id}/users/{user_id}",
        allowed: "OA",
        ok: 415,
    },
    Expect {
        method: "POST",
        path: "/v1/tenants/{tenant_id}/users/{user_id}/deactivate",
        allowed: "OA",
        ok: 404,
    },
    Expect {
        method: "GET",
        path: "/v1/tenants/{tenant_id}/api-keys",
        allowed: "OA",
        ok: 200,
    },
    Expect {
        method: "POST",
        path: "/v1/tenants/{tenant_id}/api-keys",
        allowed: "OA",
        ok: 415,
    },
    Expect {
        method: "DELETE",
        path: "/v1/tenants/{tenant_id}/api-keys/{key_id}",
        allowed: "OA",
        ok: 404,
    },
    Expect {
        method: "GET",
        path: "/v1/tenants/{tenant_id}/audit",
        allowed: "OAK",
        ok: 200,
    },
    Expect {
        method: "GET",
        path: "/v1/tenants/{tenant_id}/audit/verification",
        allowed: "OA",
        ok: 200,
    },
    Expect {
        method: "GET",
        path: "/v1/tenants/{tenant_id}/settings",
        allowed: "O",
        ok: 200,
    },
    Expect {
        method: "PATCH",
        path: "/v1/tenants/{tenant_id}/settings",
        allowed: "O",
        ok: 415,
    },
    Expect {
        method: "GET",
        path: "/v1/tenants/{tenant_id}/me/calendar-connections",
        allowed: "OAS",
        ok: 200,
    },
    Expect {
        method: "POST",
        path: "/v1/tenants/{tenant_id}/me/calendar-connections",
        allowed: "OAS",
        ok: 415,
    },
    Expect {
        method: "GET",
        path: "/v1/tenants/{tenant_id}/me/calendar-connections/{connection_id}/calendars",
        allowed: "OAS",
        ok: 404,
    },
    Expect {
        method: "PUT",
        path: "/v1/tenants/{tenant_id}/me/calendar-connections/{connection_id}/calendars",
        allowed: "OAS",
        ok: 415,
    },
    Expect {
        method: "POST",
        path: "/v1/tenants/{tenant_id}/me/calendar-connections/{connection_id}/sync",
        allowed: "OAS",
        ok: 404,
    },
    Expect {
        method: "DELETE",
        path: "/v1/tenants/{tenant_id}/me/calendar-connections/{connection_id}",
        allowed: "OAS",
        ok: 404,
    },
    Expect {
        method: "GET",
        path: "/v1/tenants/{tenant_id}/plan",
        allowed: "O",
        ok: 200,
    },
    Expect {
        method: "PUT",
        path: "/v1/tenants/{tenant_id}/plan",
        allowed: "O",
        ok: 415,
    },
    Expect {
        method: "POST",
        path: "/v1/tenants/{tenant_id}/exports",
        allowed: "O",
        ok: 415,
    },
    Expect {
        method: "GET",
        path: "/v1/tenants/{tenant_id}/exports/{export_id}",
        allowed: "O",
        ok: 404,
    },
];
/// Unknown but well-formed ids, so allowed callers reach "not found" and change nothing.
fn concrete(path: &str, tenant_id: &str) -> String {
    let unknown = "0000000000000000000000000z";
    path.replace("{tenant_id}", tenant_id)
        .replace("{user_id}", unknown)
        .replace("{session_id}", unknown)
        .replace("{key_id}", unknown)
        .replace("{service_id}", unknown)
        .replace("{booking_id}", unknown)
        .replace("{connection_id}", unknown)
        .replace("{export_id}", unknown)
}

#[test]
fn the_matrix_covers_every_tenant_route() {
    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .filter(|r| r.path.starts_with("/v1/tenants/{tenant_id}"))
        .map(|r| (r.method.as_str().to_owned(), r.path.to_owned()))
        .collect();
    let tested: BTreeSet<(String, String)> = MATRIX
        .iter()
        .map(|e| (e.method.to_owned(), e.path.to_owned()))
        .collect();
    assert_eq!(served, tested);
}

#[tokio::test]
async fn every_route_against_every_role_key_stranger_and_other_tenant() {
    let app = TestApp::new().await;
    let owner = app.owner("matrix").await;
    let owner_session = app.login(&owner).await;
    let (_, admin) = app.member(&owner_session, &owner, "admin").await;
    let (_, staff) = app.member(&owner_session, &owner, "staff").await;
    let (key, _) = app.api_key(&owner_session, &["read"]).await;
    let other = app.owner("elsewhere").await;
    let outsider = app.login(&other).await;

    let callers: [(char, As<'_>); 4] = [
        ('O', As::Session(&owner_session)),
        ('A', As::Session(&admin)),
        ('S', As::Session(&staff)),
        ('K', As::Key(&key)),
    ];
    let mut failures = Vec::new();
    for e in MATRIX {
        let path = concrete(e.path, &owner.tenant_id);
        for (who, caller) in &callers {
            let expected = if e.allowed.contains(*who) { e.ok } else { 403 };
            let r = app.call(caller.clone(), e.method, &path, None).await;
            if r.status != expected {
                failures.push(format!(
                    "{who} {} {}: {} (expected {expected}) {}",
                    e.method, e.path, r.status, r.body
                ));
            }
        }
        let anonymous = app.call(As::Anonymous, e.method, &path, None).await;
        if anonymous.status != 401 {
            failures.push(format!(
                "anonymous {} {}: {}",
                e.method, e.path, anonymous.status
            ));
        }
        // Another tenant's owner, aiming at this tenant by path: not found, nothing revealed.
        let crossed = app
            .call(As::Session(&outsider), e.method, &path, None)
            .await;
        if crossed.status != 404
            || crossed.problem_type() != "https://bookwarden.dev/problems/not-found"
        {
            failures.push(format!(
                "other tenant {} {}: {}",
                e.method, e.path, crossed.status
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Each cross-tenant attempt is in the attacker's own audit log (ISO-3).
    let attempts = app
        .audit_actions(&outsider)
        .await
        .into_iter()
        .filter(|a| a == "tenant.cross_access_attempt")
        .count();
    assert_eq!(attempts, MATRIX.len());
}

#[tokio::test]
async fn another_tenants_data_is_unreachable_by_id_body_header_or_cursor() {
    let app = TestApp::new().await;
    let a = app.owner("alpha").await;
    let a_session = app.login(&a).await;
    let b = app.owner("bravo").await;
    let b_session = app.login(&b).await;
    let (b_staff, _) = app.member(&b_session, &b, "staff").await;
    let (_, b_key_id) = app.api_key(&b_session, &["read"]).await;
    let before = app.scan().await;

    // B's ids under A's own tenant path: not found, never B's data.
    let in_a = |rest: &str| format!("/v1/tenants/{}/{rest}", a.tenant_id);
    let probes = [
        (
            "PATCH",
            in_a(&format!("users/{}", b_staff.user_id)),
            Some(json!({ "role": "admin" })),
        ),
        (
            "POST",
            in_a(&format!("users/{}/deactivate", b_staff.user_id)),
            None,
        ),
        (
            "DELETE",
            in_a(&format!("users/{}", b_staff.user_id)),
            Some(json!({ "password": a.password })),
        ),
        ("DELETE", in_a(&format!("api-keys/{b_key_id}")), None),
    ];
    for (method, path, body) in probes {
        let r = app.call(As::Session(&a_session), method, &path, body).await;
        assert_eq!(r.status, 404, "{method} {path}: {}", r.body);
    }
    // A tenant named in the body or a header is ignored: the session decides.
    let r = app
        .request(
            "GET",
            &in_a("users"),
            &[("cookie", &a_session.cookie), ("x-tenant-id", &b.tenant_id)],
            b"",
        )
        .await;
    let emails: Vec<String> = r.json()["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(emails, std::slice::from_ref(&a.email));
    // A cursor cannot point into another tenant's partition.
    let foreign_cursor = base64_url(&format!("T#{}#AUDIT", b.tenant_id));
    let r = app
        .call(
            As::Session(&a_session),
            "GET",
            &format!("{}?cursor={foreign_cursor}", in_a("audit")),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["actor"] != b_staff.user_id.as_str()));
    assert_eq!(
        app.scan().await.len(),
        before.len(),
        "nothing was created or deleted"
    );
    let still_there = app
        .call(
            As::Session(&b_session),
            "GET",
            &format!("/v1/tenants/{}/users", b.tenant_id),
            None,
        )
        .await;
    assert_eq!(still_there.json()["users"].as_array().unwrap().len(), 2);
}

fn base64_url(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}
