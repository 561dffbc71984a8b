//! Services, hours, booking form and bookings: tenant routes under
//! `/v1/tenants/{tenant_id}/…` and customer routes under `/v1/public/…`.

use std::collections::BTreeMap;

use bookwarden_shared::auth::{Caller, Permission};
use bookwarden_shared::booking::availability::Schedule;
use bookwarden_shared::booking::bookings::{self, BookingError, BookingInput};
use bookwarden_shared::booking::catalog::{self, CatalogError, ServiceInput};
use bookwarden_shared::booking::context::TenantContext;
use bookwarden_shared::booking::form::{self, Question};
use bookwarden_shared::booking::horizon::Horizon;
use bookwarden_shared::http::{json_response, parse_json, FieldError, Problem, RequestMeta};
use bookwarden_shared::store::StoreError;
use bookwarden_shared::tenancy::{Role, Slug, TenantScope, UserId};
use bookwarden_shared::Platform;
use chrono::{DateTime, NaiveDate};
use lambda_http::{Request, RequestExt};
use serde::Deserialize;

use super::{authorize, path_param, Outcome};

fn store_problem(e: StoreError) -> Problem {
    match e {
        StoreError::Unavailable => Problem::ServiceUnavailable,
        StoreError::Conflict => Problem::Conflict("conflict"),
        StoreError::Integrity => Problem::Internal,
    }
}

fn catalog_problem(e: CatalogError) -> Problem {
    match e {
        CatalogError::Invalid(errors) => Problem::Validation(errors),
        CatalogError::NotFound => Problem::NotFound,
        CatalogError::Store(e) => store_problem(e),
    }
}

/// The single mapping from booking errors to problems.
pub(crate) fn booking_problem(e: BookingError) -> Problem {
    match e {
        BookingError::Invalid(errors) => Problem::Validation(errors),
        BookingError::NotFound => Problem::NotFound,
        BookingError::SlotTaken => Problem::Conflict("slot-taken"),
        BookingError::IdempotencyMismatch => Problem::Conflict("idempotency-key-reused"),
        BookingError::Unavailable => Problem::ServiceUnavailable,
        BookingError::Internal => Problem::Internal,
        BookingError::TooManyRequests => Problem::TooManyRequests,
    }
}

fn invalid(field: &'static str, message: &str) -> Problem {
    Problem::Validation(vec![FieldError {
        field,
        message: message.to_owned(),
    }])
}

/// The business as booking sees it, from one Query.
pub(crate) async fn context(p: &Platform, scope: &TenantScope) -> Result<TenantContext, Problem> {
    TenantContext::load(p, scope)
        .await
        .map_err(store_problem)?
        .ok_or(Problem::NotFound)
}

/// The verified tenant behind a public slug and its booking context: one
/// lookup of the slug and one Query (a business not yet verified or cancelled
/// does not exist for the public).
pub(crate) async fn public_context(
    p: &Platform,
    req: &Request,
) -> Result<(TenantScope, TenantContext), Problem> {
    public_context_of(p, &path_param(req, "slug")?).await
}

/// [`public_context`] for a slug from elsewhere than the path (a page's form).
pub(crate) async fn public_context_of(
    p: &Platform,
    slug: &str,
) -> Result<(TenantScope, TenantContext), Problem> {
    let slug: Slug = slug.parse().map_err(|_| Problem::NotFound)?;
    let Some(resolved) = p.store.resolve_slug(&slug).await.map_err(store_problem)? else {
        return Err(
            match bookwarden_shared::directory::elsewhere(p, &slug)
                .await
                .map_err(store_problem)?
            {
                Some(site) => Problem::InRegion(site),
                None => Problem::NotFound,
            },
        );
    };
    let scope = TenantScope::from_resolved(resolved);
    let ctx = context(p, &scope).await?;
    if !ctx.is_public() {
        return Err(Problem::NotFound);
    }
    Ok((scope, ctx))
}

/// `GET /services`
pub async fn list_services(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (_, scope) = authorize(p, req, meta, Permission::ViewCatalog).await?;
    let services = catalog::services(&p.store, &scope)
        .await
        .map_err(store_problem)?;
    Ok(json_response(
        200,
        &serde_json::json!({ "services": services }),
    ))
}

/// `POST /services`
pub async fn create_service(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (_, scope) = authorize(p, req, meta, Permission::ManageCatalog).await?;
    let input: ServiceInput = parse_json(req)?;
    let created = catalog::create_service(&p.store, &scope, input)
        .await
        .map_err(catalog_problem)?;
    Ok(json_response(201, &created))
}

/// `PATCH /services/{service_id}`
pub async fn update_service(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (_, scope) = authorize(p, req, meta, Permission::ManageCatalog).await?;
    let input: ServiceInput = parse_json(req)?;
    let id = path_param(req, "service_id")?;
    let updated = catalog::update_service(&p.store, &scope, &id, input)
        .await
        .map_err(catalog_problem)?;
    Ok(json_response(200, &updated))
}

fn staff_param(req: &Request) -> Result<UserId, Problem> {
    path_param(req, "user_id")?
        .parse()
        .map_err(|_| Problem::NotFound)
}

/// `GET /staff/{user_id}/schedule`
pub async fn get_schedule(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (_, scope) = authorize(p, req, meta, Permission::ViewCatalog).await?;
    let staff = staff_param(req)?;
    let schedule = catalog::schedule(&p.store, &scope, &staff)
        .await
        .map_err(store_problem)?;
    Ok(json_response(200, &schedule))
}

/// `PUT /staff/{user_id}/schedule`
pub async fn set_schedule(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (_, scope) = authorize(p, req, meta, Permission::ManageCatalog).await?;
    let staff = staff_param(req)?;
    let schedule: Schedule = parse_json(req)?;
    catalog::set_schedule(&p.store, &scope, &staff, &schedule)
        .await
        .map_err(catalog_problem)?;
    Ok(json_response(200, &schedule))
}

/// `GET /booking-form`
pub async fn get_booking_form(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (_, scope) = authorize(p, req, meta, Permission::ViewCatalog).await?;
    let questions = form::questions(&p.store, &scope)
        .await
        .map_err(store_problem)?;
    Ok(json_response(
        200,
        &serde_json::json!({ "questions": questions }),
    ))
}

/// `PUT /booking-form`
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormInput {
    /// Up to 10 questions.
    #[schema(max_items = 10)]
    questions: Vec<Question>,
}

/// `PUT /booking-form`
pub async fn set_booking_form(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (_, scope) = authorize(p, req, meta, Permission::ManageCatalog).await?;
    let input: FormInput = parse_json(req)?;
    form::set_questions(&p.store, &scope, &input.questions)
        .await
        .map_err(|e| match e {
            Ok(errors) => Problem::Validation(errors),
            Err(e) => store_problem(e),
        })?;
    Ok(json_response(
        200,
        &serde_json::json!({ "questions": input.questions }),
    ))
}

fn query_time(req: &Request, name: &'static str) -> Result<i64, Problem> {
    let q = req.query_string_parameters();
    let v = q
        .first(name)
        .ok_or_else(|| invalid(name, "is required (RFC 3339)"))?;
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.timestamp())
        .map_err(|_| invalid(name, "must be an RFC 3339 time"))
}

/// Staff see only their own bookings.
fn staff_filter(caller: &Caller, asked: Option<String>) -> Result<Option<String>, Problem> {
    if caller.role() == Role::Staff {
        let me = caller.user_id().to_string();
        return match asked {
            Some(s) if s != me => Err(Problem::Forbidden),
            _ => Ok(Some(me)),
        };
    }
    Ok(asked)
}

/// `GET /bookings?from=&to=&staff=`
pub async fn list_bookings(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ViewBookings).await?;
    let (from, to) = (query_time(req, "from")?, query_time(req, "to")?);
    let asked = req
        .query_string_parameters()
        .first("staff")
        .map(str::to_owned);
    let staff = staff_filter(&caller, asked)?;
    let list = bookings::list(p, &scope, from, to, staff.as_deref())
        .await
        .map_err(booking_problem)?;
    Ok(json_response(200, &serde_json::json!({ "bookings": list })))
}

async fn own_booking(
    p: &Platform,
    caller: &Caller,
    scope: &TenantScope,
    req: &Request,
) -> Result<bookings::Booking, Problem> {
    let booking = bookings::load(p, scope, &path_param(req, "booking_id")?)
        .await
        .map_err(booking_problem)?
        .ok_or(Problem::NotFound)?;
    if caller.role() == Role::Staff
        && booking.record.optional_string("staff_id") != Some(caller.user_id().as_str())
    {
        return Err(Problem::NotFound);
    }
    Ok(booking)
}

/// `GET /bookings/{booking_id}`
pub async fn get_booking(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ViewBookings).await?;
    let booking = own_booking(p, &caller, &scope, req).await?;
    Ok(json_response(
        200,
        &booking.view(p, &scope).await.map_err(booking_problem)?,
    ))
}

/// `POST /bookings/{booking_id}/cancel`
pub async fn cancel_booking(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ManageBookings).await?;
    let booking = own_booking(p, &caller, &scope, req).await?;
    let ctx = context(p, &scope).await?;
    bookings::cancel(p, &scope, &ctx, &booking)
        .await
        .map_err(booking_problem)?;
    Ok(super::no_content())
}

/// `POST /bookings/{booking_id}/reschedule`
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleInput {
    /// The new RFC 3339 start.
    #[schema(format = DateTime)]
    start: String,
}

/// `POST /bookings/{booking_id}/reschedule`
pub async fn reschedule_booking(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ManageBookings).await?;
    let input: RescheduleInput = parse_json(req)?;
    let booking = own_booking(p, &caller, &scope, req).await?;
    let ctx = context(p, &scope).await?;
    let moved = bookings::reschedule(
        p,
        &scope,
        &ctx,
        Horizon::for_staff(),
        &booking,
        &input.start,
    )
    .await
    .map_err(booking_problem)?;
    Ok(json_response(200, &moved))
}

/// `GET /v1/public/tenants/{slug}/services`: active services only.
pub async fn list_public_services(p: &Platform, req: &Request, _meta: &RequestMeta) -> Outcome {
    let (_, ctx) = public_context(p, req).await?;
    let services: Vec<_> = ctx.services.into_iter().filter(|s| s.active).collect();
    Ok(json_response(
        200,
        &serde_json::json!({ "services": services }),
    ))
}

/// `GET /v1/public/tenants/{slug}/availability?service=&from=&to=&staff=`
pub async fn get_availability(p: &Platform, req: &Request, _meta: &RequestMeta) -> Outcome {
    let (scope, ctx) = public_context(p, req).await?;
    let q = req.query_string_parameters();
    let service_id = q
        .first("service")
        .ok_or_else(|| invalid("service", "is required"))?;
    let date = |name: &'static str| -> Result<NaiveDate, Problem> {
        q.first(name)
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| invalid(name, "must be a date like 2026-12-01"))
    };
    let (from, to) = (date("from")?, date("to")?);
    let service = ctx.bookable_service(service_id).ok_or(Problem::NotFound)?;
    let slots = bookings::availability(p, &scope, &ctx, service, q.first("staff"), from, to)
        .await
        .map_err(booking_problem)?;
    Ok(json_response(
        200,
        &serde_json::json!({ "time_zone": ctx.tz.name(), "slots": slots }),
    ))
}

/// `POST /v1/public/tenants/{slug}/bookings` with an `Idempotency-Key` header.
pub async fn create_booking(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (scope, ctx) = public_context(p, req).await?;
    let key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| invalid("idempotency_key", "send an Idempotency-Key header"))?
        .to_owned();
    let input: BookingInput = parse_json(req)?;
    let created = bookings::create(p, &scope, &ctx, input, &key, &meta.client_addr)
        .await
        .map_err(booking_problem)?;
    let status = if created.replayed { 200 } else { 201 };
    Ok(json_response(status, &created.booked))
}

/// The customer's manage-link routes.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManageInput {
    /// The token from the emailed manage link.
    token: String,
    /// For a move: the new RFC 3339 start.
    #[serde(default)]
    #[schema(format = DateTime)]
    start: Option<String>,
}

/// Customers may change a booking only until the tenant's cancellation window.
pub(crate) fn within_window(
    ctx: &TenantContext,
    booking: &bookings::Booking,
) -> Result<(), Problem> {
    let window = ctx.tenant.policy.cancellation_window_hours;
    let start = booking.record.number("start").map_err(store_problem)?;
    if bookwarden_shared::clock::now_unix() > start - window * 3600 {
        return Err(Problem::Conflict("too-late-to-change"));
    }
    Ok(())
}

/// `POST /v1/public/bookings/view` {token}
pub async fn view_managed(p: &Platform, req: &Request, _meta: &RequestMeta) -> Outcome {
    let input: ManageInput = parse_json(req)?;
    let (scope, booking) = bookings::by_manage_token(p, &input.token)
        .await
        .map_err(booking_problem)?;
    let mut view = serde_json::to_value(booking.view(p, &scope).await.map_err(booking_problem)?)
        .map_err(|_| Problem::Internal)?;
    if let Some(obj) = view.as_object_mut() {
        obj.insert(
            "answers".into(),
            serde_json::to_value(BTreeMap::<String, String>::new()).unwrap_or_default(),
        );
    }
    Ok(json_response(200, &view))
}

/// `POST /v1/public/bookings/cancel` {token}
pub async fn cancel_managed(p: &Platform, req: &Request, _meta: &RequestMeta) -> Outcome {
    let input: ManageInput = parse_json(req)?;
    let (scope, booking) = bookings::by_manage_token(p, &input.token)
        .await
        .map_err(booking_problem)?;
    let ctx = context(p, &scope).await?;
    within_window(&ctx, &booking)?;
    bookings::cancel(p, &scope, &ctx, &booking)
        .await
        .map_err(booking_problem)?;
    Ok(super::no_content())
}

/// `POST /v1/public/bookings/reschedule` {token, start}
pub async fn reschedule_managed(p: &Platform, req: &Request, _meta: &RequestMeta) -> Outcome {
    let input: ManageInput = parse_json(req)?;
    let start = input.start.ok_or_else(|| invalid("start", "is required"))?;
    let (scope, booking) = bookings::by_manage_token(p, &input.token)
        .await
        .map_err(booking_problem)?;
    let ctx = context(p, &scope).await?;
    within_window(&ctx, &booking)?;
    let moved = bookings::reschedule(p, &scope, &ctx, ctx.horizon(), &booking, &start)
        .await
        .map_err(booking_problem)?;
    Ok(json_response(200, &moved))
}

/// `POST /v1/public/tenants/{slug}/unsubscribe?recipient=&sig=` with the RFC 8058
/// body `List-Unsubscribe=One-Click` (form-encoded), as mail clients send it.
pub async fn unsubscribe(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let content_type = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(Problem::UnsupportedMediaType);
    }
    let body: &[u8] = req.body().as_ref();
    if body != b"List-Unsubscribe=One-Click" {
        return Err(Problem::MalformedBody(
            "The body must be List-Unsubscribe=One-Click.".into(),
        ));
    }
    let (scope, _) = public_context(p, req).await?;
    let q = req.query_string_parameters();
    let (Some(recipient), Some(sig)) = (q.first("recipient"), q.first("sig")) else {
        return Err(Problem::NotFound);
    };
    bookwarden_shared::booking::preferences::unsubscribe(
        p,
        &scope,
        recipient,
        sig,
        &meta.client_addr,
    )
    .await
    .map_err(booking_problem)?;
    Ok(super::no_content())
}
