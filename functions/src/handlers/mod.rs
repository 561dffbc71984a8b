//! One module per resource; each function maps HTTP to a domain call and back.

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod bookings;
pub mod fallback;
pub mod health;
pub mod me;
pub mod settings;
pub mod tenants;
pub mod users;

use bookwarden_shared::auth::{authenticate, Caller, Permission};
use bookwarden_shared::http::{Problem, RequestMeta};
use bookwarden_shared::tenancy::TenantScope;
use bookwarden_shared::Platform;
use lambda_http::{Body, Request, RequestExt, Response};

use crate::routes::Handler;

/// Handler outcome before the edge adds headers.
pub type Outcome = Result<Response<Body>, Problem>;

/// Runs the handler for a route.
pub async fn dispatch(
    p: &Platform,
    handler: Handler,
    req: &Request,
    meta: &RequestMeta,
) -> Outcome {
    use Handler::*;
    match handler {
        Health => health::get(),
        CreateTenant => tenants::create(p, req, meta).await,
        GetPublicTenant => tenants::get_public(p, req).await,
        VerifyEmail => auth::verify_email(p, req, meta).await,
        Login => auth::login(p, req, meta).await,
        LoginMfa => auth::login_mfa(p, req, meta).await,
        LoginMfaEmailCode => auth::login_mfa_email_code(p, req, meta).await,
        Logout => auth::logout(p, req, meta).await,
        RequestPasswordReset => auth::request_password_reset(p, req, meta).await,
        ConfirmPasswordReset => auth::confirm_password_reset(p, req, meta).await,
        AcceptInvitation => auth::accept_invitation(p, req, meta).await,
        ConfirmEmailChange => auth::confirm_email_change(p, req, meta).await,
        GetMe => me::get(p, req, meta).await,
        UpdateMe => me::update(p, req, meta).await,
        ChangePassword => me::change_password(p, req, meta).await,
        RequestEmailChange => me::request_email_change(p, req, meta).await,
        ListSessions => me::list_sessions(p, req, meta).await,
        EndSession => me::end_session(p, req, meta).await,
        BeginTotp => me::begin_totp(p, req, meta).await,
        DisableTotp => me::disable_totp(p, req, meta).await,
        ConfirmTotp => me::confirm_totp(p, req, meta).await,
        RegenerateRecoveryCodes => me::regenerate_recovery_codes(p, req, meta).await,
        ListUsers => users::list(p, req, meta).await,
        InviteUser => users::invite(p, req, meta).await,
        ChangeUserRole => users::change_role(p, req, meta).await,
        DeleteUser => users::delete(p, req, meta).await,
        DeactivateUser => users::deactivate(p, req, meta).await,
        ListApiKeys => api_keys::list(p, req, meta).await,
        CreateApiKey => api_keys::create(p, req, meta).await,
        RevokeApiKey => api_keys::revoke(p, req, meta).await,
        ListAudit => audit::list(p, req, meta).await,
        GetSettings => settings::get(p, req, meta).await,
        UpdateSettings => settings::update(p, req, meta).await,
        ListServices => bookings::list_services(p, req, meta).await,
        CreateService => bookings::create_service(p, req, meta).await,
        UpdateService => bookings::update_service(p, req, meta).await,
        GetSchedule => bookings::get_schedule(p, req, meta).await,
        SetSchedule => bookings::set_schedule(p, req, meta).await,
        GetBookingForm => bookings::get_booking_form(p, req, meta).await,
        SetBookingForm => bookings::set_booking_form(p, req, meta).await,
        ListBookings => bookings::list_bookings(p, req, meta).await,
        GetBooking => bookings::get_booking(p, req, meta).await,
        CancelBooking => bookings::cancel_booking(p, req, meta).await,
        RescheduleBooking => bookings::reschedule_booking(p, req, meta).await,
        ListPublicServices => bookings::list_public_services(p, req).await,
        GetAvailability => bookings::get_availability(p, req).await,
        CreateBooking => bookings::create_booking(p, req, meta).await,
        ViewManagedBooking => bookings::view_managed(p, req).await,
        CancelManagedBooking => bookings::cancel_managed(p, req).await,
        RescheduleManagedBooking => bookings::reschedule_managed(p, req).await,
        Unsubscribe => bookings::unsubscribe(p, req, meta).await,
        Fallback => Err(fallback::refuse(req)),
    }
}

/// Authenticates, checks the path's tenant (ISO-3) and the permission (ACC-1),
/// in that order: 401, then 404 for another tenant, then 403.
pub(crate) async fn authorize(
    p: &Platform,
    req: &Request,
    meta: &RequestMeta,
    permission: Permission,
) -> Result<(Caller, TenantScope), Problem> {
    let caller = authenticate(p, req).await?;
    let scope = caller.scope_for_path(p, req, meta).await?;
    caller.require(permission)?;
    Ok((caller, scope))
}

/// A path parameter (API Gateway guarantees presence for its own routes).
pub(crate) fn path_param(req: &Request, name: &str) -> Result<String, Problem> {
    req.path_parameters()
        .first(name)
        .map(str::to_owned)
        .ok_or(Problem::NotFound)
}

/// 204 No Content.
pub(crate) fn no_content() -> Response<Body> {
    Response::builder()
        .status(204)
        .body(Body::Empty)
        .expect("static response")
}

/// Adds a `Set-Cookie` header.
pub(crate) fn with_cookie(mut response: Response<Body>, cookie: &str) -> Response<Body> {
    if let Ok(v) = http::HeaderValue::from_str(cookie) {
        response.headers_mut().append(http::header::SET_COOKIE, v);
    }
    response
}

/// Sends the customer's confirmation with the manage link; a failed send does
/// not fail the booking.
pub(crate) async fn confirm_booking(
    p: &Platform,
    scope: &TenantScope,
    booked: &bookwarden_shared::booking::bookings::Booked,
    token: &bookwarden_shared::crypto::SecretToken,
    email: &bookwarden_shared::email::EmailAddress,
    name: &str,
) {
    if let Err(e) =
        bookwarden_shared::booking::mail::confirmation(p, scope, booked, token, email, name).await
    {
        tracing::error!(booking_id = %booked.booking_id, error = ?e, "booking confirmation not sent");
    }
}

/// Tells the customer their booking was cancelled or moved.
pub(crate) async fn notify_booking(
    p: &Platform,
    scope: &TenantScope,
    booking: &bookwarden_shared::booking::bookings::Booking,
    what: &str,
) {
    if let Err(e) = bookwarden_shared::booking::mail::changed(p, scope, booking, what).await {
        tracing::error!(error = ?e, "booking change notice not sent");
    }
}
