//! Helpers for booking tests: a business with one service and working hours,
//! availability, customer bookings.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use serde_json::{json, Value};

use crate::identity::{Account, As, Session};
use crate::TestApp;

/// A verified business with one 60-minute service (15-minute buffer after)
/// delivered by its owner, who works 09:00–17:00 (Europe/Berlin) every day.
pub struct Shop {
    /// The owner who signed the business up.
    pub owner: Account,
    /// The owner's session.
    pub session: Session,
    /// The owner's user id (the staff member who delivers the service).
    pub owner_id: String,
    /// The service.
    pub service_id: String,
}

/// Sets up a [`Shop`].
pub async fn shop(app: &TestApp, tag: &str) -> Shop {
    let owner = app.owner(tag).await;
    let session = app.login(&owner).await;
    let owner_id = session.user_id.clone();
    let t = &owner.tenant_id;
    let day = json!([{ "from": 540, "to": 1020 }]);
    let schedule = json!({ "weekly": [day, day, day, day, day, day, day], "exceptions": [] });
    let r = app
        .call(
            As::Session(&session),
            "PUT",
            &format!("/v1/tenants/{t}/staff/{owner_id}/schedule"),
            Some(schedule),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .call(
            As::Session(&session),
            "POST",
            &format!("/v1/tenants/{t}/services"),
            Some(json!({ "name": "Haircut", "duration_minutes": 60, "buffer_after_minutes": 15, "staff_ids": [owner_id] })),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let service_id = r.json()["id"].as_str().unwrap().to_owned();
    Shop {
        owner,
        session,
        owner_id,
        service_id,
    }
}

/// A day at least a week ahead (outside any cancellation window).
pub fn future_day() -> NaiveDate {
    let d = Utc::now().date_naive() + Duration::days(10);
    d - Duration::days(i64::from(d.weekday().num_days_from_monday())) + Duration::days(7)
}

/// Open slots on one day.
pub async fn slots(app: &TestApp, s: &Shop, day: NaiveDate) -> Vec<String> {
    let r = app
        .request(
            "GET",
            &format!(
                "/v1/public/tenants/{}/availability?service={}&from={day}&to={day}",
                s.owner.slug, s.service_id
            ),
            &[],
            b"",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["start"].as_str().unwrap().to_owned())
        .collect()
}

/// A booking request body for a slot.
pub fn booking_body(s: &Shop, start: &str, email: &str) -> Value {
    json!({
        "service_id": s.service_id, "staff_id": "any", "start": start,
        "customer_name": "Cora Customer", "customer_email": email, "customer_phone": "+49 30 1234567"
    })
}

/// Books as a customer from the default client address.
pub async fn book(
    app: &TestApp,
    s: &Shop,
    start: &str,
    email: &str,
    key: &str,
) -> crate::TestResponse {
    book_from(app, "203.0.113.7", s, start, email, key).await
}

/// Books as a customer from a given client address.
pub async fn book_from(
    app: &TestApp,
    ip: &str,
    s: &Shop,
    start: &str,
    email: &str,
    key: &str,
) -> crate::TestResponse {
    let body = booking_body(s, start, email).to_string();
    let path = format!("/v1/public/tenants/{}/bookings", s.owner.slug);
    let headers = [
        ("content-type", "application/json"),
        ("idempotency-key", key),
    ];
    app.request_from(ip, "POST", &path, &headers, body.as_bytes())
        .await
}
