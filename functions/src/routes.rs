//! The route table: what the API serves, which function serves it, and the
//! matching that API Gateway does in AWS and the local gateway does locally.

use std::collections::HashMap;

use bookwarden_shared::http::{finish, Problem, RequestMeta};
use bookwarden_shared::{telemetry, Platform};
use http::Method;
use lambda_http::{Body, Request, Response};
use tracing::Instrument;

use crate::handlers;

/// Which handler serves a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handler {
    /// `GET /health`
    Health,
    /// `GET /openapi.json`
    OpenApi,
    /// `POST /v1/tenants`
    CreateTenant,
    /// `POST /v1/auth/verify-email`
    VerifyEmail,
    /// `POST /v1/auth/verify-email/resend`
    ResendVerification,
    /// `GET /v1/public/tenants/{slug}`
    GetPublicTenant,
    /// `POST /v1/auth/login`
    Login,
    /// `POST /v1/auth/login/mfa`
    LoginMfa,
    /// `POST /v1/auth/login/mfa/email`
    LoginMfaEmailCode,
    /// `POST /v1/auth/logout`
    Logout,
    /// `POST /v1/auth/password-reset`
    RequestPasswordReset,
    /// `POST /v1/auth/password-reset/confirm`
    ConfirmPasswordReset,
    /// `POST /v1/auth/invitations/accept`
    AcceptInvitation,
    /// `POST /v1/auth/email-change/confirm`
    ConfirmEmailChange,
    /// `GET /v1/tenants/{tenant_id}/me`
    GetMe,
    /// `PATCH /v1/tenants/{tenant_id}/me`
    UpdateMe,
    /// `DELETE /v1/tenants/{tenant_id}/me`
    DeleteMe,
    /// `DELETE /v1/tenants/{tenant_id}`
    CloseBusiness,
    /// `POST /v1/tenants/{tenant_id}/restoration`
    RestoreBusiness,
    /// `POST /v1/tenants/{tenant_id}/me/password`
    ChangePassword,
    /// `POST /v1/tenants/{tenant_id}/me/email`
    RequestEmailChange,
    /// `GET /v1/tenants/{tenant_id}/me/sessions`
    ListSessions,
    /// `DELETE /v1/tenants/{tenant_id}/me/sessions/{session_id}`
    EndSession,
    /// `POST /v1/tenants/{tenant_id}/me/mfa/totp`
    BeginTotp,
    /// `DELETE /v1/tenants/{tenant_id}/me/mfa/totp`
    DisableTotp,
    /// `POST /v1/tenants/{tenant_id}/me/mfa/totp/confirm`
    ConfirmTotp,
    /// `POST /v1/tenants/{tenant_id}/me/mfa/recovery-codes`
    RegenerateRecoveryCodes,
    /// `GET /v1/tenants/{tenant_id}/users`
    ListUsers,
    /// `POST /v1/tenants/{tenant_id}/users`
    InviteUser,
    /// `PATCH /v1/tenants/{tenant_id}/users/{user_id}`
    ChangeUserRole,
    /// `DELETE /v1/tenants/{tenant_id}/users/{user_id}`
    DeleteUser,
    /// `POST /v1/tenants/{tenant_id}/users/{user_id}/deactivate`
    DeactivateUser,
    /// `GET /v1/tenants/{tenant_id}/api-keys`
    ListApiKeys,
    /// `POST /v1/tenants/{tenant_id}/api-keys`
    CreateApiKey,
    /// `DELETE /v1/tenants/{tenant_id}/api-keys/{key_id}`
    RevokeApiKey,
    /// `GET /v1/tenants/{tenant_id}/audit`
    ListAudit,
    /// `POST /v1/tenants/{tenant_id}/exports`
    CreateExport,
    /// `GET /v1/tenants/{tenant_id}/exports/{export_id}`
    GetExport,
    /// `GET /v1/tenants/{tenant_id}/audit/verification`
    VerifyAudit,
    /// `GET /v1/tenants/{tenant_id}/settings`
    GetSettings,
    /// `PATCH /v1/tenants/{tenant_id}/settings`
    UpdateSettings,
    /// `GET /v1/tenants/{tenant_id}/services`
    ListServices,
    /// `POST /v1/tenants/{tenant_id}/services`
    CreateService,
    /// `PATCH /v1/tenants/{tenant_id}/services/{service_id}`
    UpdateService,
    /// `GET /v1/tenants/{tenant_id}/staff/{user_id}/schedule`
    GetSchedule,
    /// `PUT /v1/tenants/{tenant_id}/staff/{user_id}/schedule`
    SetSchedule,
    /// `GET /v1/tenants/{tenant_id}/booking-form`
    GetBookingForm,
    /// `PUT /v1/tenants/{tenant_id}/booking-form`
    SetBookingForm,
    /// `GET /v1/tenants/{tenant_id}/bookings`
    ListBookings,
    /// `GET /v1/tenants/{tenant_id}/bookings/{booking_id}`
    GetBooking,
    /// `POST /v1/tenants/{tenant_id}/bookings/{booking_id}/cancel`
    CancelBooking,
    /// `POST /v1/tenants/{tenant_id}/bookings/{booking_id}/reschedule`
    RescheduleBooking,
    /// `POST /v1/tenants/{tenant_id}/customers/erasure`
    EraseCustomer,
    /// `GET /v1/public/tenants/{slug}/services`
    ListPublicServices,
    /// `GET /v1/public/tenants/{slug}/availability`
    GetAvailability,
    /// `POST /v1/public/tenants/{slug}/bookings`
    CreateBooking,
    /// `POST /v1/public/bookings/view`
    ViewManagedBooking,
    /// `POST /v1/public/bookings/cancel`
    CancelManagedBooking,
    /// `POST /v1/public/bookings/reschedule`
    RescheduleManagedBooking,
    /// `POST /v1/public/tenants/{slug}/unsubscribe`
    Unsubscribe,
    /// `POST /v1/tenants/{tenant_id}/me/calendar-connections`
    StartCalendarConnection,
    /// `GET /v1/calendar-connections/oauth/callback`
    FinishCalendarConnection,
    /// `GET /v1/tenants/{tenant_id}/me/calendar-connections`
    ListCalendarConnections,
    /// `GET /v1/tenants/{tenant_id}/me/calendar-connections/{connection_id}/calendars`
    ListConnectionCalendars,
    /// `PUT /v1/tenants/{tenant_id}/me/calendar-connections/{connection_id}/calendars`
    SelectConnectionCalendars,
    /// `POST /v1/tenants/{tenant_id}/me/calendar-connections/{connection_id}/sync`
    SyncCalendarConnection,
    /// `DELETE /v1/tenants/{tenant_id}/me/calendar-connections/{connection_id}`
    DisconnectCalendar,
    /// `GET /v1/tenants/{tenant_id}/plan`
    GetPlan,
    /// `PUT /v1/tenants/{tenant_id}/plan`
    SetPlan,
    /// `GET /book/{slug}`: the public booking page
    BookPage,
    /// `POST /book/{slug}`: a booking from the page's form
    BookPagePost,
    /// `GET /manage`: the manage-booking link's page
    ManagePage,
    /// `POST /manage`: view, move or cancel from the manage page
    ManagePagePost,
    /// `GET /verify-email`: the verification link's page
    VerifyEmailPage,
    /// `POST /verify-email`: confirms from the verification page
    VerifyEmailPagePost,
    /// `GET /reset-password`: the reset link's page
    ResetPasswordPage,
    /// `POST /reset-password`: sets the password from the reset page
    ResetPasswordPagePost,
    /// `GET /accept-invitation`: the invitation link's page
    AcceptInvitationPage,
    /// `POST /accept-invitation`: accepts from the invitation page
    AcceptInvitationPagePost,
    /// `GET /confirm-email-change`: the new address's confirmation page
    ConfirmEmailChangePage,
    /// `POST /confirm-email-change`: confirms from the email-change page
    ConfirmEmailChangePagePost,
    /// `GET /email-preferences`: the email preferences page
    EmailPreferencesPage,
    /// `POST /email-preferences`: turns reminders off from the preferences page
    EmailPreferencesPagePost,
    /// `GET /assets/{name}`: a static file of the pages
    Asset,
    /// Anything else: 404 or 405 as problem+json.
    Fallback,
}

/// One served (method, path) pair.
#[derive(Clone, Debug)]
pub struct Route {
    /// HTTP method.
    pub method: Method,
    /// API Gateway path template, with `{name}` parameters.
    pub path: &'static str,
    /// The handler.
    pub handler: Handler,
    /// The SAM logical id of the function that serves it in AWS.
    pub function: &'static str,
}

/// The route table as JSON (`[{"method", "path", "function"}]`): what
/// infra/template/generate.py builds the template's functions and events from.
pub fn table_json() -> String {
    let rows: Vec<serde_json::Value> = ROUTES
        .iter()
        .map(|r| serde_json::json!({"method": r.method.as_str(), "path": r.path, "function": r.function}))
        .collect();
    serde_json::Value::Array(rows).to_string()
}

/// Every route of the API. template.yaml declares exactly these (a test checks).
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::GET,
        path: "/health",
        handler: Handler::Health,
        function: "HealthFunction",
    },
    Route {
        method: Method::GET,
        path: "/openapi.json",
        handler: Handler::OpenApi,
        function: "OpenApiFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/tenants",
        handler: Handler::CreateTenant,
        function: "CreateTenantFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/auth/verify-email",
        handler: Handler::VerifyEmail,
        function: "VerifyEmailFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/auth/verify-email/resend",
        handler: Handler::ResendVerification,
        function: "ResendVerificationFunction",
    },
    Route {
        method: Method::GET,
        path: "/v1/public/tenants/{slug}",
        handler: Handler::GetPublicTenant,
        function: "GetPublicTenantFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/auth/login",
        handler: Handler::Login,
        function: "LoginFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/auth/login/mfa",
        handler: Handler::LoginMfa,
        function: "LoginMfaFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/auth/login/mfa/email",
        handler: Handler::LoginMfaEmailCode,
        function: "LoginMfaEmailCodeFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/auth/logout",
        handler: Handler::Logout,
        function: "LogoutFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/auth/password-reset",
        handler: Handler::RequestPasswordReset,
        function: "RequestPasswordResetFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/auth/password-reset/confirm",
        handler: Handler::ConfirmPasswordReset,
        function: "ConfirmPasswordResetFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/auth/invitations/accept",
        handler: Handler::AcceptInvitation,
        function: "AcceptInvitationFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/auth/email-change/confirm",
        handler: Handler::ConfirmEmailChange,
        function: "ConfirmEmailChangeFunction",
    },
    Route {
        method: Method::GET,
        path: "/v1/tenants/{tenant_id}/me",
        handler: Handler::GetMe,
        function: "GetMeFunction",
    },
    Route {
        method: Method::PATCH,
        path: "/v1/tenants/{tenant_id}/me",
        handler: Handler::UpdateMe,
        function: "UpdateMeFunction",
    },
    Route {
        method: Method::DELETE,
        path: "/v1/tenants/{tenant_id}/me",
        handler: Handler::DeleteMe,
        function: "DeleteMeFunction",
    },
    Route {
        method: Method::DELETE,
        path: "/v1/tenants/{tenant_id}",
        handler: Handler::CloseBusiness,
        function: "CloseBusinessFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/tenants/{tenant_id}/restoration",
        handler: Handler::RestoreBusiness,
        function: "RestoreBusinessFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/tenants/{tenant_id}/me/password",
        handler: Handler::ChangePassword,
        function: "ChangePasswordFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/tenants/{tenant_id}/me/email",
        handler: Handler::RequestEmailChange,
        function: "RequestEmailChangeFunction",
    },
    Route {
        method: Method::GET,
        path: "/v1/tenants/{tenant_id}/me/sessions",
        handler: Handler::ListSessions,
        function: "ListSessionsFunction",
    },
    Route {
        method: Method::DELETE,
        path: "/v1/tenants/{tenant_id}/me/sessions/{session_id}",
        handler: Handler::EndSession,
        function: "EndSessionFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/tenants/{tenant_id}/me/mfa/totp",
        handler: Handler::BeginTotp,
        function: "BeginTotpFunction",
    },
    Route {
        method: Method::DELETE,
        path: "/v1/tenants/{tenant_id}/me/mfa/totp",
        handler: Handler::DisableTotp,
        function: "DisableTotpFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/tenants/{tenant_id}/me/mfa/totp/confirm",
        handler: Handler::ConfirmTotp,
        function: "ConfirmTotpFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/tenants/{tenant_id}/me/mfa/recovery-codes",
        handler: Handler::RegenerateRecoveryCodes,
        function: "RegenerateRecoveryCodesFunction",
    },
    Route {
        method: Method::GET,
        path: "/v1/tenants/{tenant_id}/users",
        handler: Handler::ListUsers,
        function: "ListUsersFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/tenants/{tenant_id}/users",
        handler: Handler::InviteUser,
        function: "InviteUserFunction",
    },
    Route {
        method: Method::PATCH,
        path: "/v1/tenants/{tenant_id}/users/{user_id}",
        handler: Handler::ChangeUserRole,
        function: "ChangeUserRoleFunction",
    },
    Route {
        method: Method::DELETE,
        path: "/v1/tenants/{tenant_id}/users/{user_id}",
        handler: Handler::DeleteUser,
        function: "DeleteUserFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/tenants/{tenant_id}/users/{user_id}/deactivate",
        handler: Handler::DeactivateUser,
        function: "DeactivateUserFunction",
    },
    Route {
        method: Method::GET,
        path: "/v1/tenants/{tenant_id}/api-keys",
        handler: Handler::ListApiKeys,
        function: "ListApiKeysFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/tenants/{tenant_id}/api-keys",
        handler: Handler::CreateApiKey,
        function: "CreateApiKeyFunction",
    },
    Route {
        method: Method::DELETE,
        path: "/v1/tenants/{tenant_id}/api-keys/{key_id}",
        handler: Handler::RevokeApiKey,
        function: "RevokeApiKeyFunction",
    },
    Route {
        method: Method::GET,
        path: "/v1/tenants/{tenant_id}/audit",
        handler: Handler::ListAudit,
        function: "ListAuditFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/tenants/{tenant_id}/exports",
        handler: Handler::CreateExport,
        function: "CreateExportFunction",
    },
    Route {
        method: Method::GET,
        path: "/v1/tenants/{tenant_id}/exports/{export_id}",
        handler: Handler::GetExport,
        function: "GetExportFunction",
    },
    Route {
        method: Method::GET,
        path: "/v1/tenants/{tenant_id}/audit/verification",
        handler: Handler::VerifyAudit,
        function: "VerifyAuditFunction",
    },
    Route {
        method: Method::GET,
        path: "/v1/tenants/{tenant_id}/settings",
        handler: Handler::GetSettings,
        function: "GetSettingsFunction",
    },
    Route {
        method: Method::PATCH,
        path: "/v1/tenants/{tenant_id}/settings",
        handler: Handler::UpdateSettings,
        function: "UpdateSettingsFunction",
    },
    Route {
        method: Method::GET,
        path: "/v1/tenants/{tenant_id}/services",
        handler: Handler::ListServices,
        function: "ListServicesFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/tenants/{tenant_id}/services",
        handler: Handler::CreateService,
        function: "CreateServiceFunction",
    },
    Route {
        method: Method::PATCH,
        path: "/v1/tenants/{tenant_id}/services/{service_id}",
        handler: Handler::UpdateService,
        function: "UpdateServiceFunction",
    },
    Route {
        method: Method::GET,
        path: "/v1/tenants/{tenant_id}/staff/{user_id}/schedule",
        handler: Handler::GetSchedule,
        function: "GetScheduleFunction",
    },
    Route {
        method: Method::PUT,
        path: "/v1/tenants/{tenant_id}/staff/{user_id}/schedule",
        handler: Handler::SetSchedule,
        function: "SetScheduleFunction",
    },
    Route {
        method: Method::GET,
        path: "/v1/tenants/{tenant_id}/booking-form",
        handler: Handler::GetBookingForm,
        function: "GetBookingFormFunction",
    },
    Route {
        method: Method::PUT,
        path: "/v1/tenants/{tenant_id}/booking-form",
        handler: Handler::SetBookingForm,
        function: "SetBookingFormFunction",
    },
    Route {
        method: Method::GET,
        path: "/v1/tenants/{tenant_id}/bookings",
        handler: Handler::ListBookings,
        function: "ListBookingsFunction",
    },
    Route {
        method: Method::GET,
        path: "/v1/tenants/{tenant_id}/bookings/{booking_id}",
        handler: Handler::GetBooking,
        function: "GetBookingFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/tenants/{tenant_id}/bookings/{booking_id}/cancel",
        handler: Handler::CancelBooking,
        function: "CancelBookingFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/tenants/{tenant_id}/bookings/{booking_id}/reschedule",
        handler: Handler::RescheduleBooking,
        function: "RescheduleBookingFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/tenants/{tenant_id}/customers/erasure",
        handler: Handler::EraseCustomer,
        function: "EraseCustomerFunction",
    },
    Route {
        method: Method::GET,
        path: "/v1/public/tenants/{slug}/services",
        handler: Handler::ListPublicServices,
        function: "ListPublicServicesFunction",
    },
    Route {
        method: Method::GET,
        path: "/v1/public/tenants/{slug}/availability",
        handler: Handler::GetAvailability,
        function: "GetAvailabilityFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/public/tenants/{slug}/bookings",
        handler: Handler::CreateBooking,
        function: "CreateBookingFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/public/bookings/view",
        handler: Handler::ViewManagedBooking,
        function: "ViewManagedBookingFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/public/bookings/cancel",
        handler: Handler::CancelManagedBooking,
        function: "CancelManagedBookingFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/public/bookings/reschedule",
        handler: Handler::RescheduleManagedBooking,
        function: "RescheduleManagedBookingFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/public/tenants/{slug}/unsubscribe",
        handler: Handler::Unsubscribe,
        function: "UnsubscribeFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/tenants/{tenant_id}/me/calendar-connections",
        handler: Handler::StartCalendarConnection,
        function: "StartCalendarConnectionFunction",
    },
    Route {
        method: Method::GET,
        path: "/v1/calendar-connections/oauth/callback",
        handler: Handler::FinishCalendarConnection,
        function: "FinishCalendarConnectionFunction",
    },
    Route {
        method: Method::GET,
        path: "/v1/tenants/{tenant_id}/me/calendar-connections",
        handler: Handler::ListCalendarConnections,
        function: "ListCalendarConnectionsFunction",
    },
    Route {
        method: Method::GET,
        path: "/v1/tenants/{tenant_id}/me/calendar-connections/{connection_id}/calendars",
        handler: Handler::ListConnectionCalendars,
        function: "ListConnectionCalendarsFunction",
    },
    Route {
        method: Method::PUT,
        path: "/v1/tenants/{tenant_id}/me/calendar-connections/{connection_id}/calendars",
        handler: Handler::SelectConnectionCalendars,
        function: "SelectConnectionCalendarsFunction",
    },
    Route {
        method: Method::POST,
        path: "/v1/tenants/{tenant_id}/me/calendar-connections/{connection_id}/sync",
        handler: Handler::SyncCalendarConnection,
        function: "SyncCalendarConnectionFunction",
    },
    Route {
        method: Method::DELETE,
        path: "/v1/tenants/{tenant_id}/me/calendar-connections/{connection_id}",
        handler: Handler::DisconnectCalendar,
        function: "DisconnectCalendarFunction",
    },
    Route {
        method: Method::GET,
        path: "/v1/tenants/{tenant_id}/plan",
        handler: Handler::GetPlan,
        function: "GetPlanFunction",
    },
    Route {
        method: Method::PUT,
        path: "/v1/tenants/{tenant_id}/plan",
        handler: Handler::SetPlan,
        function: "SetPlanFunction",
    },
    Route {
        method: Method::GET,
        path: "/book/{slug}",
        handler: Handler::BookPage,
        function: "BookPageFunction",
    },
    Route {
        method: Method::POST,
        path: "/book/{slug}",
        handler: Handler::BookPagePost,
        function: "BookPagePostFunction",
    },
    Route {
        method: Method::GET,
        path: "/manage",
        handler: Handler::ManagePage,
        function: "ManagePageFunction",
    },
    Route {
        method: Method::POST,
        path: "/manage",
        handler: Handler::ManagePagePost,
        function: "ManagePagePostFunction",
    },
    Route {
        method: Method::GET,
        path: "/verify-email",
        handler: Handler::VerifyEmailPage,
        function: "VerifyEmailPageFunction",
    },
    Route {
        method: Method::POST,
        path: "/verify-email",
        handler: Handler::VerifyEmailPagePost,
        function: "VerifyEmailPagePostFunction",
    },
    Route {
        method: Method::GET,
        path: "/reset-password",
        handler: Handler::ResetPasswordPage,
        function: "ResetPasswordPageFunction",
    },
    Route {
        method: Method::POST,
        path: "/reset-password",
        handler: Handler::ResetPasswordPagePost,
        function: "ResetPasswordPagePostFunction",
    },
    Route {
        method: Method::GET,
        path: "/accept-invitation",
        handler: Handler::AcceptInvitationPage,
        function: "AcceptInvitationPageFunction",
    },
    Route {
        method: Method::POST,
        path: "/accept-invitation",
        handler: Handler::AcceptInvitationPagePost,
        function: "AcceptInvitationPagePostFunction",
    },
    Route {
        method: Method::GET,
        path: "/confirm-email-change",
        handler: Handler::ConfirmEmailChangePage,
        function: "ConfirmEmailChangePageFunction",
    },
    Route {
        method: Method::POST,
        path: "/confirm-email-change",
        handler: Handler::ConfirmEmailChangePagePost,
        function: "ConfirmEmailChangePagePostFunction",
    },
    Route {
        method: Method::GET,
        path: "/email-preferences",
        handler: Handler::EmailPreferencesPage,
        function: "EmailPreferencesPageFunction",
    },
    Route {
        method: Method::POST,
        path: "/email-preferences",
        handler: Handler::EmailPreferencesPagePost,
        function: "EmailPreferencesPagePostFunction",
    },
    Route {
        method: Method::GET,
        path: "/assets/{name}",
        handler: Handler::Asset,
        function: "AssetFunction",
    },
];

/// The fallback function catches every other method on known paths (405) and
/// every unknown path (404), so even those answers carry the security headers.
pub const FALLBACK_FUNCTION: &str = "FallbackFunction";

/// The (method, path) pairs API Gateway routes to the fallback function: `ANY`
/// on each known path and on the catch-all proxy paths.
pub fn fallback_routes() -> Vec<(String, String)> {
    let mut paths: Vec<&str> = ROUTES.iter().map(|r| r.path).collect();
    paths.sort_unstable();
    paths.dedup();
    paths.push("/");
    paths.push("/{proxy+}");
    paths
        .into_iter()
        .map(|p| ("ANY".to_owned(), p.to_owned()))
        .collect()
}

/// The outcome of matching a request line against [`ROUTES`].
#[derive(Debug)]
pub enum Match {
    /// A route serves it; path parameters extracted.
    Found(&'static Route, HashMap<String, String>),
    /// The path exists with other methods.
    MethodNotAllowed(Vec<&'static str>),
    /// No such path.
    NotFound,
}

fn match_path(template: &str, path: &str) -> Option<HashMap<String, String>> {
    let mut params = HashMap::new();
    let mut want = template.split('/');
    let mut got = path.split('/');
    loop {
        match (want.next(), got.next()) {
            (None, None) => return Some(params),
            (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') => {
                if g.is_empty() {
                    return None;
                }
                params.insert(w[1..w.len() - 1].to_owned(), g.to_owned());
            }
            (Some(w), Some(g)) if w == g => {}
            _ => return None,
        }
    }
}

/// Matches a method and path the way API Gateway would.
pub fn match_route(method: &Method, path: &str) -> Match {
    let mut allowed = Vec::new();
    for route in ROUTES {
        if let Some(params) = match_path(route.path, path) {
            if route.method == *method {
                return Match::Found(route, params);
            }
            allowed.push(route.method.as_str());
        }
    }
    if allowed.is_empty() {
        Match::NotFound
    } else {
        Match::MethodNotAllowed(allowed)
    }
}

/// Runs one route on one request inside a request span, and finishes the
/// response at the edge (security headers, request id, problem+json). Used by
/// the local gateway and the tests, which serve every route in one process.
pub async fn serve(platform: &Platform, handler: Handler, req: Request) -> Response<Body> {
    serve_route(
        platform,
        &format!("{handler:?}"),
        handlers::handler_fn(handler),
        req,
    )
    .await
}

/// Runs one handler function; a Lambda binary calls this with its own handler
/// only, so the rest of the API is not linked into it.
pub async fn serve_route(
    platform: &Platform,
    name: &str,
    route: handlers::RouteFn,
    req: Request,
) -> Response<Body> {
    let meta = RequestMeta::from_request(&req);
    let span = telemetry::request_span(&meta.request_id, name);
    async {
        let outcome = match route(platform, &req, &meta).await {
            Err(Problem::InRegion(site)) => Err(Problem::InRegion(format!(
                "{site}{}",
                req.uri()
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/")
            ))),
            other => other,
        };
        let status = outcome
            .as_ref()
            .map(|r| r.status().as_u16())
            .unwrap_or_else(Problem::status);
        if status >= 500 {
            tracing::error!(status, "request failed");
        } else {
            tracing::info!(status, "request served");
        }
        finish(outcome, &meta)
    }
    .instrument(span)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_like_api_gateway() {
        assert!(
            matches!(match_route(&Method::GET, "/health"), Match::Found(r, _) if r.handler == Handler::Health)
        );
        match match_route(&Method::GET, "/v1/public/tenants/salon-nord") {
            Match::Found(r, p) => {
                assert_eq!(r.handler, Handler::GetPublicTenant);
                assert_eq!(p["slug"], "salon-nord");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(match_route(&Method::DELETE, "/v1/tenants"), Match::MethodNotAllowed(a) if a == ["POST"])
        );
        assert!(matches!(
            match_route(&Method::GET, "/v1/public/tenants/"),
            Match::NotFound
        ));
        assert!(matches!(
            match_route(&Method::GET, "/v1/public/tenants/a/b"),
            Match::NotFound
        ));
        assert!(matches!(
            match_route(&Method::GET, "/nope"),
            Match::NotFound
        ));
    }
}
