//! One module per resource; each function maps HTTP to a domain call and back.

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod bookings;
pub mod calendars;
pub mod customers;
pub mod exports;
pub mod fallback;
pub mod health;
pub mod me;
pub mod settings;
pub mod tenants;
pub mod users;

pub use auth::VerifyEmailInput;
pub use bookings::{FormInput, ManageInput, RescheduleInput};

use bookwarden_shared::auth::{authenticate, Caller, Permission};
use bookwarden_shared::http::{Problem, RequestMeta};
use bookwarden_shared::tenancy::TenantScope;
use bookwarden_shared::Platform;
use lambda_http::{Body, Request, RequestExt, Response};

use crate::routes::Handler;

/// Handler outcome before the edge adds headers.
pub type Outcome = Result<Response<Body>, Problem>;

/// A handler as a plain function pointer, so a Lambda binary can name exactly
/// one and the linker can drop every other route's code.
pub type RouteFn = for<'a> fn(&'a Platform, &'a Request, &'a RequestMeta) -> BoxedOutcome<'a>;

/// A handler's boxed future.
pub type BoxedOutcome<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Outcome> + Send + 'a>>;

/// Wraps an `async fn(&Platform, &Request, &RequestMeta) -> Outcome` as a [`RouteFn`].
#[macro_export]
macro_rules! route {
    ($f:path) => {{
        fn boxed<'a>(
            p: &'a bookwarden_shared::Platform,
            req: &'a lambda_http::Request,
            meta: &'a bookwarden_shared::http::RequestMeta,
        ) -> $crate::handlers::BoxedOutcome<'a> {
            Box::pin($f(p, req, meta))
        }
        boxed as $crate::handlers::RouteFn
    }};
}

/// The handler of each route, for the local gateway and the tests, which serve
/// every route from one process.
pub fn handler_fn(handler: Handler) -> RouteFn {
    use Handler::*;
    match handler {
        Health => route!(crate::handlers::health::get),
        OpenApi => route!(crate::handlers::health::openapi),
        CreateTenant => route!(crate::handlers::tenants::create),
        GetPublicTenant => route!(crate::handlers::tenants::get_public),
        VerifyEmail => route!(crate::handlers::auth::verify_email),
        ResendVerification => route!(crate::handlers::auth::resend_verification),
        Login => route!(crate::handlers::auth::login),
        LoginMfa => route!(crate::handlers::auth::login_mfa),
        LoginMfaEmailCode => route!(crate::handlers::auth::login_mfa_email_code),
        Logout => route!(crate::handlers::auth::logout),
        RequestPasswordReset => route!(crate::handlers::auth::request_password_reset),
        ConfirmPasswordReset => route!(crate::handlers::auth::confirm_password_reset),
        AcceptInvitation => route!(crate::handlers::auth::accept_invitation),
        ConfirmEmailChange => route!(crate::handlers::auth::confirm_email_change),
        GetMe => route!(crate::handlers::me::get),
        UpdateMe => route!(crate::handlers::me::update),
        DeleteMe => route!(crate::handlers::me::delete_account),
        CloseBusiness => route!(crate::handlers::tenants::close),
        RestoreBusiness => route!(crate::handlers::tenants::restore),
        ChangePassword => route!(crate::handlers::me::change_password),
        RequestEmailChange => route!(crate::handlers::me::request_email_change),
        ListSessions => route!(crate::handlers::me::list_sessions),
        EndSession => route!(crate::handlers::me::end_session),
        BeginTotp => route!(crate::handlers::me::begin_totp),
        DisableTotp => route!(crate::handlers::me::disable_totp),
        ConfirmTotp => route!(crate::handlers::me::confirm_totp),
        RegenerateRecoveryCodes => route!(crate::handlers::me::regenerate_recovery_codes),
        ListUsers => route!(crate::handlers::users::list),
        InviteUser => route!(crate::handlers::users::invite),
        ChangeUserRole => route!(crate::handlers::users::change_role),
        DeleteUser => route!(crate::handlers::users::delete),
        DeactivateUser => route!(crate::handlers::users::deactivate),
        ListApiKeys => route!(crate::handlers::api_keys::list),
        CreateApiKey => route!(crate::handlers::api_keys::create),
        RevokeApiKey => route!(crate::handlers::api_keys::revoke),
        ListAudit => route!(crate::handlers::audit::list),
        CreateExport => route!(crate::handlers::exports::create),
        GetExport => route!(crate::handlers::exports::get),
        VerifyAudit => route!(crate::handlers::audit::verify),
        GetSettings => route!(crate::handlers::settings::get),
        UpdateSettings => route!(crate::handlers::settings::update),
        ListServices => route!(crate::handlers::bookings::list_services),
        CreateService => route!(crate::handlers::bookings::create_service),
        UpdateService => route!(crate::handlers::bookings::update_service),
        GetSchedule => route!(crate::handlers::bookings::get_schedule),
        SetSchedule => route!(crate::handlers::bookings::set_schedule),
        GetBookingForm => route!(crate::handlers::bookings::get_booking_form),
        SetBookingForm => route!(crate::handlers::bookings::set_booking_form),
        ListBookings => route!(crate::handlers::bookings::list_bookings),
        GetBooking => route!(crate::handlers::bookings::get_booking),
        CancelBooking => route!(crate::handlers::bookings::cancel_booking),
        RescheduleBooking => route!(crate::handlers::bookings::reschedule_booking),
        EraseCustomer => route!(crate::handlers::customers::erase),
        ListPublicServices => route!(crate::handlers::bookings::list_public_services),
        GetAvailability => route!(crate::handlers::bookings::get_availability),
        CreateBooking => route!(crate::handlers::bookings::create_booking),
        ViewManagedBooking => route!(crate::handlers::bookings::view_managed),
        CancelManagedBooking => route!(crate::handlers::bookings::cancel_managed),
        RescheduleManagedBooking => route!(crate::handlers::bookings::reschedule_managed),
        Unsubscribe => route!(crate::handlers::bookings::unsubscribe),
        StartCalendarConnection => route!(crate::handlers::calendars::start),
        FinishCalendarConnection => route!(crate::handlers::calendars::finish),
        ListCalendarConnections => route!(crate::handlers::calendars::list),
        ListConnectionCalendars => route!(crate::handlers::calendars::calendars),
        SelectConnectionCalendars => route!(crate::handlers::calendars::select),
        SyncCalendarConnection => route!(crate::handlers::calendars::sync),
        DisconnectCalendar => route!(crate::handlers::calendars::disconnect),
        GetPlan => route!(crate::handlers::calendars::get_plan),
        SetPlan => route!(crate::handlers::calendars::set_plan),
        BookPage => route!(crate::pages::book::get),
        BookPagePost => route!(crate::pages::book::post),
        ManagePage => route!(crate::pages::manage::get),
        ManagePagePost => route!(crate::pages::manage::post),
        VerifyEmailPage => route!(crate::pages::links::verify_email_page),
        VerifyEmailPagePost => route!(crate::pages::links::verify_email_post),
        ResetPasswordPage => route!(crate::pages::links::reset_password_page),
        ResetPasswordPagePost => route!(crate::pages::links::reset_password_post),
        AcceptInvitationPage => route!(crate::pages::links::accept_invitation_page),
        AcceptInvitationPagePost => route!(crate::pages::links::accept_invitation_post),
        ConfirmEmailChangePage => route!(crate::pages::links::confirm_email_change_page),
        ConfirmEmailChangePagePost => route!(crate::pages::links::confirm_email_change_post),
        EmailPreferencesPage => route!(crate::pages::links::email_preferences_page),
        EmailPreferencesPagePost => route!(crate::pages::links::email_preferences_post),
        Asset => route!(crate::pages::assets::get),
        Fallback => route!(crate::handlers::fallback::handle),
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
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = http::StatusCode::NO_CONTENT;
    response
}

/// Adds a `Set-Cookie` header.
pub(crate) fn with_cookie(mut response: Response<Body>, cookie: &str) -> Response<Body> {
    if let Ok(v) = http::HeaderValue::from_str(cookie) {
        response.headers_mut().append(http::header::SET_COOKIE, v);
    }
    response
}
