//! The API's OpenAPI 3.1 description (WEB-5), generated from the route table
//! and the request and response types themselves: a field, limit or route
//! changed in code changes the document, and tests hold `docs/openapi.json` and
//! template.yaml to it.

use bookwarden_shared::accounts::closure::Closure;
use bookwarden_shared::accounts::keys::CreateKeyInput;
use bookwarden_shared::accounts::login::{EmailCodeInput, LoginInput, MfaInput, SignedIn};
use bookwarden_shared::accounts::me::{
    CodeInput, EmailChangeConfirmInput, EmailChangeInput, PasswordChangeInput, ProfileInput,
    ReauthInput, TotpEnrolment,
};
use bookwarden_shared::accounts::reset::{ResetRequestInput, TokenPasswordInput};
use bookwarden_shared::accounts::settings::SettingsInput;
use bookwarden_shared::accounts::user::UserView;
use bookwarden_shared::accounts::users::{InviteInput, RoleInput};
use bookwarden_shared::accounts::{PublicProfile, Registered, ResendInput, SignupInput, Verified};
use bookwarden_shared::audit::chain::{Broken, Verification};
use bookwarden_shared::audit::AuditEntry;
use bookwarden_shared::auth::api_keys::{CreatedKey, KeyView};
use bookwarden_shared::auth::policy::TenantPolicy;
use bookwarden_shared::auth::session::{SessionView, COOKIE_NAME};
use bookwarden_shared::booking::availability::Schedule;
use bookwarden_shared::booking::bookings::{Booked, BookingInput, BookingView, Slot};
use bookwarden_shared::booking::catalog::{Service, ServiceInput};
use bookwarden_shared::booking::customers::{Erasure, ErasureInput};
use bookwarden_shared::booking::form::Question;
use bookwarden_shared::calendar::connect::{
    CalendarChoice, ConnectInput, Plan, PlanInput, SelectInput, Started,
};
use bookwarden_shared::calendar::connection::ConnectionView;
use bookwarden_shared::export::{ExportInput, ExportStatus};
use bookwarden_shared::http::ProblemDocument;
use http::Method;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ComponentsBuilder, ObjectBuilder, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    ContentBuilder, HeaderBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathItem, PathsBuilder,
    Ref, RefOr, Required, ResponseBuilder, Schema,
};
use utoipa::ToSchema;

use crate::handlers::{FormInput, ManageInput, RescheduleInput, VerifyEmailInput};
use crate::routes::{Handler, Route, ROUTES};

/// Who may call an operation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Caller {
    Anyone,
    /// A session cookie or an API key of the tenant in the path.
    Tenant,
    /// A session cookie only (sign-out).
    Session,
}

/// What one operation takes and gives, besides its path parameters.
struct Spec {
    summary: &'static str,
    caller: Caller,
    body: Option<RefOr<Schema>>,
    ok: u16,
    answer: Option<RefOr<Schema>>,
    query: Vec<(&'static str, bool, &'static str)>,
    idempotency_key: bool,
}

fn named<T: ToSchema>() -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(T::name()))
}

fn list_of(field: &'static str, item: RefOr<Schema>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .property(field, ArrayBuilder::new().items(item))
        .required(field)
        .into()
}

fn object(fields: &[(&'static str, Type)]) -> RefOr<Schema> {
    let mut o = ObjectBuilder::new();
    for (name, kind) in fields {
        o = o
            .property(*name, ObjectBuilder::new().schema_type(kind.clone()))
            .required(*name);
    }
    o.into()
}

fn spec(handler: Handler) -> Spec {
    use Handler::*;
    let s = |summary, caller, body, ok, answer| Spec {
        summary,
        caller,
        body,
        ok,
        answer,
        query: Vec::new(),
        idempotency_key: false,
    };
    let status = || object(&[("status", Type::String)]);
    let plan = || {
        ObjectBuilder::new()
            .property("plan", named::<Plan>())
            .required("plan")
            .into()
    };
    let codes = || {
        list_of(
            "recovery_codes",
            ObjectBuilder::new().schema_type(Type::String).into(),
        )
    };
    match handler {
        Health => s(
            "Liveness; touches no dependency.",
            Caller::Anyone,
            None,
            200,
            Some(status()),
        ),
        OpenApi => s("This document.", Caller::Anyone, None, 200, None),
        CreateTenant => s(
            "A business signs up; its owner verifies by email.",
            Caller::Anyone,
            Some(named::<SignupInput>()),
            201,
            Some(named::<Registered>()),
        ),
        VerifyEmail => s(
            "Consumes the newest verification link once.",
            Caller::Anyone,
            Some(named::<VerifyEmailInput>()),
            200,
            Some(named::<Verified>()),
        ),
        ResendVerification => s(
            "A new verification link for an unverified account.",
            Caller::Anyone,
            Some(named::<ResendInput>()),
            202,
            Some(status()),
        ),
        GetPublicTenant => s(
            "Public profile of a verified business.",
            Caller::Anyone,
            None,
            200,
            Some(named::<PublicProfile>()),
        ),
        Login => s(
            "Password step of sign-in; sets the session cookie or asks for a second factor.",
            Caller::Anyone,
            Some(named::<LoginInput>()),
            200,
            Some(named::<SignedIn>()),
        ),
        LoginMfa => s(
            "Second-factor step of sign-in.",
            Caller::Anyone,
            Some(named::<MfaInput>()),
            200,
            Some(named::<SignedIn>()),
        ),
        LoginMfaEmailCode => s(
            "Emails a sign-in code for a pending login.",
            Caller::Anyone,
            Some(named::<EmailCodeInput>()),
            202,
            Some(status()),
        ),
        Logout => s(
            "Ends the session on the server.",
            Caller::Session,
            None,
            204,
            None,
        ),
        RequestPasswordReset => s(
            "Emails a reset link if the account exists; same answer and timing either way.",
            Caller::Anyone,
            Some(named::<ResetRequestInput>()),
            202,
            Some(status()),
        ),
        ConfirmPasswordReset => s(
            "Sets a new password from a reset link.",
            Caller::Anyone,
            Some(named::<TokenPasswordInput>()),
            204,
            None,
        ),
        AcceptInvitation => s(
            "An invited user sets a password.",
            Caller::Anyone,
            Some(named::<TokenPasswordInput>()),
            204,
            None,
        ),
        ConfirmEmailChange => s(
            "Confirms a new email address from the link sent to it.",
            Caller::Anyone,
            Some(named::<EmailChangeConfirmInput>()),
            204,
            None,
        ),
        GetMe => s(
            "Own profile.",
            Caller::Tenant,
            None,
            200,
            Some(named::<UserView>()),
        ),
        UpdateMe => s(
            "Rename oneself.",
            Caller::Tenant,
            Some(named::<ProfileInput>()),
            200,
            Some(named::<UserView>()),
        ),
        ChangePassword => s(
            "Re-authenticated password change; rotates the session.",
            Caller::Tenant,
            Some(named::<PasswordChangeInput>()),
            204,
            None,
        ),
        RequestEmailChange => s(
            "Re-authenticated email change, confirmed from the new inbox.",
            Caller::Tenant,
            Some(named::<EmailChangeInput>()),
            202,
            Some(status()),
        ),
        ListSessions => s(
            "Own sessions (never to API keys).",
            Caller::Tenant,
            None,
            200,
            Some(list_of("sessions", named::<SessionView>())),
        ),
        EndSession => s(
            "Ends one of one's sessions.",
            Caller::Tenant,
            None,
            204,
            None,
        ),
        BeginTotp => s(
            "Starts authenticator enrolment; replacing one needs re-authentication.",
            Caller::Tenant,
            Some(named::<ReauthInput>()),
            201,
            Some(named::<TotpEnrolment>()),
        ),
        DisableTotp => s(
            "Removes the authenticator (re-authenticated).",
            Caller::Tenant,
            Some(named::<ReauthInput>()),
            204,
            None,
        ),
        ConfirmTotp => s(
            "Confirms enrolment with a first code; rotates the session.",
            Caller::Tenant,
            Some(named::<CodeInput>()),
            200,
            Some(codes()),
        ),
        RegenerateRecoveryCodes => s(
            "Replaces the recovery codes (re-authenticated).",
            Caller::Tenant,
            Some(named::<ReauthInput>()),
            200,
            Some(codes()),
        ),
        ListUsers => s(
            "The business's users.",
            Caller::Tenant,
            None,
            200,
            Some(list_of("users", named::<UserView>())),
        ),
        InviteUser => s(
            "Invites a user by email (people only, never keys).",
            Caller::Tenant,
            Some(named::<InviteInput>()),
            201,
            Some(named::<UserView>()),
        ),
        ChangeUserRole => s(
            "Changes a user's role; ends their sessions.",
            Caller::Tenant,
            Some(named::<RoleInput>()),
            200,
            Some(named::<UserView>()),
        ),
        DeleteUser => s(
            "Deletes a user and their personal data (re-authenticated).",
            Caller::Tenant,
            Some(named::<ReauthInput>()),
            204,
            None,
        ),
        CreateExport => s(
            "Starts an export of the business's data, or with `customer_email` of what it holds on one customer (owners, signed in); answers the running export instead of starting a second. An owner fetches the archive through the export's status.",
            Caller::Session,
            Some(named::<ExportInput>()),
            202,
            Some(named::<ExportStatus>()),
        ),
        GetExport => s(
            "An export's status and counts; once ready, a 15-minute download link to its archive (kept two days).",
            Caller::Session,
            None,
            200,
            Some(named::<ExportStatus>()),
        ),
        DeleteMe => s(
            "Deletes the caller's own account and its personal data (re-authenticated; not the last owner); sessions end.",
            Caller::Tenant,
            Some(named::<ReauthInput>()),
            204,
            None,
        ),
        CloseBusiness => s(
            "Closes the business (owners, re-authenticated): public pages stop, every session and key ends, calendars disconnect, owners are told; the data is deleted after 60 days unless restored.",
            Caller::Tenant,
            Some(named::<ReauthInput>()),
            200,
            Some(named::<Closure>()),
        ),
        RestoreBusiness => s(
            "Restores a closed business within its 60 days (owners, re-authenticated); the caller's limited sessions end.",
            Caller::Tenant,
            Some(named::<ReauthInput>()),
            204,
            None,
        ),
        DeactivateUser => s(
            "Deactivates a user; ends sessions, keys and pending sign-ins.",
            Caller::Tenant,
            None,
            200,
            Some(named::<UserView>()),
        ),
        ListApiKeys => s(
            "API keys (never their secrets).",
            Caller::Tenant,
            None,
            200,
            Some(list_of("api_keys", named::<KeyView>())),
        ),
        CreateApiKey => s(
            "Creates an API key; the secret is in this answer only.",
            Caller::Tenant,
            Some(named::<CreateKeyInput>()),
            201,
            Some(named::<CreatedKey>()),
        ),
        RevokeApiKey => s(
            "Revokes an API key at once.",
            Caller::Tenant,
            None,
            204,
            None,
        ),
        ListAudit => Spec {
            query: vec![
                ("limit", false, "1 to 100 (default 50)"),
                ("cursor", false, "next_cursor of the previous page"),
            ],
            ..s(
                "The audit log, newest first.",
                Caller::Tenant,
                None,
                200,
                Some(list_of("events", named::<AuditEntry>())),
            )
        },
        VerifyAudit => s(
            "Links pending events, then walks the audit chain and checks it against its anchors (owners and admins, sessions only).",
            Caller::Session,
            None,
            200,
            Some(named::<Verification>()),
        ),
        GetSettings => s(
            "Security and booking settings.",
            Caller::Tenant,
            None,
            200,
            Some(named::<TenantPolicy>()),
        ),
        UpdateSettings => s(
            "Changes settings (owner).",
            Caller::Tenant,
            Some(named::<SettingsInput>()),
            200,
            Some(named::<TenantPolicy>()),
        ),
        ListServices => s(
            "Services.",
            Caller::Tenant,
            None,
            200,
            Some(list_of("services", named::<Service>())),
        ),
        CreateService => s(
            "Creates a service.",
            Caller::Tenant,
            Some(named::<ServiceInput>()),
            201,
            Some(named::<Service>()),
        ),
        UpdateService => s(
            "Changes a service.",
            Caller::Tenant,
            Some(named::<ServiceInput>()),
            200,
            Some(named::<Service>()),
        ),
        GetSchedule => s(
            "A staff member's working hours.",
            Caller::Tenant,
            None,
            200,
            Some(named::<Schedule>()),
        ),
        SetSchedule => s(
            "Sets a staff member's working hours.",
            Caller::Tenant,
            Some(named::<Schedule>()),
            200,
            Some(named::<Schedule>()),
        ),
        GetBookingForm => s(
            "Extra booking-form questions.",
            Caller::Tenant,
            None,
            200,
            Some(list_of("questions", named::<Question>())),
        ),
        SetBookingForm => s(
            "Sets the booking-form questions.",
            Caller::Tenant,
            Some(named::<FormInput>()),
            200,
            Some(list_of("questions", named::<Question>())),
        ),
        ListBookings => Spec {
            query: vec![
                ("from", true, "RFC 3339 instant"),
                ("to", true, "RFC 3339 instant"),
                ("staff", false, "a staff member's user id"),
            ],
            ..s(
                "Bookings in a range, without personal data (staff: their own).",
                Caller::Tenant,
                None,
                200,
                Some(list_of("bookings", named::<Booked>())),
            )
        },
        GetBooking => s(
            "One booking with its customer's details.",
            Caller::Tenant,
            None,
            200,
            Some(named::<BookingView>()),
        ),
        CancelBooking => s(
            "Cancels a booking and releases its time.",
            Caller::Tenant,
            None,
            204,
            None,
        ),
        RescheduleBooking => s(
            "Moves a booking to another open start.",
            Caller::Tenant,
            Some(named::<RescheduleInput>()),
            200,
            Some(named::<Booked>()),
        ),
        EraseCustomer => s(
            "Erases an end customer's personal data from every booking of the address (owners, admins, bookings:write keys): the bookings keep their times, manage links die, queued mail to them is dropped; audited as customer.erased. Repeating it erases nothing more (0).",
            Caller::Tenant,
            Some(named::<ErasureInput>()),
            200,
            Some(named::<Erasure>()),
        ),
        ListPublicServices => s(
            "Bookable services.",
            Caller::Anyone,
            None,
            200,
            Some(list_of("services", named::<Service>())),
        ),
        GetAvailability => Spec {
            query: vec![
                ("service", true, "service id"),
                ("from", true, "local date, YYYY-MM-DD"),
                (
                    "to",
                    true,
                    "local date, at most 62 days after from and within the booking horizon",
                ),
                ("staff", false, "a staff member's user id"),
            ],
            ..s(
                "Open slots, in the business's time zone.",
                Caller::Anyone,
                None,
                200,
                Some(list_of("slots", named::<Slot>())),
            )
        },
        CreateBooking => Spec {
            idempotency_key: true,
            ..s(
                "Books a slot (201; a retry with the same key and body answers 200).",
                Caller::Anyone,
                Some(named::<BookingInput>()),
                201,
                Some(named::<Booked>()),
            )
        },
        ViewManagedBooking => s(
            "The customer's booking, through their emailed link.",
            Caller::Anyone,
            Some(named::<ManageInput>()),
            200,
            Some(named::<BookingView>()),
        ),
        CancelManagedBooking => s(
            "The customer cancels through their link.",
            Caller::Anyone,
            Some(named::<ManageInput>()),
            204,
            None,
        ),
        RescheduleManagedBooking => s(
            "The customer moves the booking through their link.",
            Caller::Anyone,
            Some(named::<ManageInput>()),
            200,
            Some(named::<Booked>()),
        ),
        Unsubscribe => Spec {
            query: vec![
                ("recipient", true, "keyed recipient hash from the link"),
                ("sig", true, "the link's signature"),
            ],
            ..s(
                "RFC 8058 one-click unsubscribe (form body List-Unsubscribe=One-Click).",
                Caller::Anyone,
                None,
                204,
                None,
            )
        },
        StartCalendarConnection => s(
            "Connects one of the caller's calendars: OAuth answers with the provider's URL; CalDAV and ICS connect and sync at once.",
            Caller::Tenant,
            Some(named::<ConnectInput>()),
            201,
            Some(named::<Started>()),
        ),
        FinishCalendarConnection => Spec {
            query: vec![
                ("state", true, "the state the authorization URL carried"),
                ("code", false, "the provider's authorization code"),
                ("error", false, "the provider's refusal"),
            ],
            ..s(
                "Where the provider returns the browser; finishes the connection of the session that started it.",
                Caller::Tenant,
                None,
                201,
                Some(named::<Started>()),
            )
        },
        ListCalendarConnections => s(
            "The caller's connected calendars: provider, tier, status, last sync and last error class.",
            Caller::Tenant,
            None,
            200,
            Some(list_of("connections", named::<ConnectionView>())),
        ),
        ListConnectionCalendars => s(
            "The calendars a connection offers, read from the provider now.",
            Caller::Tenant,
            None,
            200,
            Some(list_of("calendars", named::<CalendarChoice>())),
        ),
        SelectConnectionCalendars => s(
            "Chooses the calendars whose busy time is imported; syncs at once.",
            Caller::Tenant,
            Some(named::<SelectInput>()),
            200,
            Some(named::<ConnectionView>()),
        ),
        SyncCalendarConnection => s(
            "Syncs a connection now (at most once a minute).",
            Caller::Tenant,
            None,
            200,
            Some(named::<ConnectionView>()),
        ),
        DisconnectCalendar => s(
            "Disconnects: revokes the grant where the provider allows, deletes the credential and every imported block.",
            Caller::Tenant,
            None,
            204,
            None,
        ),
        GetPlan => s(
            "The business's plan (owners).",
            Caller::Tenant,
            None,
            200,
            Some(plan()),
        ),
        SetPlan => s(
            "Changes the plan (owners); free disconnects every calendar.",
            Caller::Tenant,
            Some(named::<PlanInput>()),
            200,
            Some(plan()),
        ),
        BookPage => Spec {
            query: vec![
                ("service", false, "the chosen service"),
                ("staff", false, "a staff member's id, or any"),
                ("date", false, "the day to show (YYYY-MM-DD)"),
                ("tz", false, "the reader's IANA time zone"),
                ("lang", false, "en, de, fr, ja or ko"),
            ],
            ..s("The public booking page (HTML).", Caller::Anyone, None, 200, None)
        },
        BookPagePost => s(
            "Books from the booking page's form; answers with the confirmation page.",
            Caller::Anyone,
            Some(form_fields(&[
                "service", "staff", "tz", "lang", "date", "start", "name", "email", "phone",
                "idempotency_key",
            ])),
            200,
            None,
        ),
        ManagePage => s("The manage-booking link's page (HTML).", Caller::Anyone, None, 200, None),
        ManagePagePost => s(
            "Shows, moves or cancels the booking of the posted manage token.",
            Caller::Anyone,
            Some(form_fields(&["token", "action", "date", "tz", "start", "lang"])),
            200,
            None,
        ),
        VerifyEmailPage | ResetPasswordPage | AcceptInvitationPage | ConfirmEmailChangePage
        | EmailPreferencesPage => s(
            "The page an emailed link leads to (HTML); the link's secret stays in the fragment.",
            Caller::Anyone,
            None,
            200,
            None,
        ),
        VerifyEmailPagePost | ConfirmEmailChangePagePost => s(
            "Confirms with the posted token; answers with the result page.",
            Caller::Anyone,
            Some(form_fields(&["token", "lang"])),
            200,
            None,
        ),
        ResetPasswordPagePost | AcceptInvitationPagePost => s(
            "Sets the password with the posted token; answers with the result page.",
            Caller::Anyone,
            Some(form_fields(&["token", "password", "lang"])),
            200,
            None,
        ),
        EmailPreferencesPagePost => s(
            "Turns reminders off for the posted signed recipient; answers with the result page.",
            Caller::Anyone,
            Some(form_fields(&["tenant", "recipient", "sig", "lang"])),
            200,
            None,
        ),
        Asset => s(
            "A static file of the pages, by its content-hashed name (cached for a year).",
            Caller::Anyone,
            None,
            200,
            None,
        ),
        Fallback => s(
            "Anything else: 404 or 405.",
            Caller::Anyone,
            None,
            404,
            None,
        ),
    }
}

/// What a created thing's answer leads to (OpenAPI links: create a service,
/// then change it; invite a user, then change their role; create a key, then
/// revoke it), so a stateful client or fuzzer can follow them. Links stay
/// within one credential: a public booking does not lead to tenant routes.
fn links(handler: Handler) -> Vec<(&'static str, Handler, &'static str, &'static str)> {
    use Handler::*;
    match handler {
        CreateService => vec![("UpdateService", UpdateService, "service_id", "id")],
        InviteUser => vec![
            ("ChangeUserRole", ChangeUserRole, "user_id", "user_id"),
            ("DeactivateUser", DeactivateUser, "user_id", "user_id"),
            ("GetSchedule", GetSchedule, "user_id", "user_id"),
        ],
        CreateApiKey => vec![("RevokeApiKey", RevokeApiKey, "key_id", "id")],
        _ => Vec::new(),
    }
}

fn http_method(m: &Method) -> HttpMethod {
    match *m {
        Method::POST => HttpMethod::Post,
        Method::PUT => HttpMethod::Put,
        Method::PATCH => HttpMethod::Patch,
        Method::DELETE => HttpMethod::Delete,
        _ => HttpMethod::Get,
    }
}

/// A page form's fields, all text.
fn form_fields(fields: &[&'static str]) -> RefOr<Schema> {
    let mut o = ObjectBuilder::new();
    for name in fields {
        o = o.property(*name, ObjectBuilder::new().schema_type(Type::String));
    }
    o.into()
}

/// The page routes: HTML answers (errors included) and form posts.
fn is_page(handler: Handler) -> bool {
    use Handler::*;
    matches!(
        handler,
        BookPage
            | BookPagePost
            | ManagePage
            | ManagePagePost
            | VerifyEmailPage
            | VerifyEmailPagePost
            | ResetPasswordPage
            | ResetPasswordPagePost
            | AcceptInvitationPage
            | AcceptInvitationPagePost
            | ConfirmEmailChangePage
            | ConfirmEmailChangePagePost
            | EmailPreferencesPage
            | EmailPreferencesPagePost
    )
}

fn html_content() -> utoipa::openapi::Content {
    json_content(ObjectBuilder::new().schema_type(Type::String).into())
}

fn json_content(schema: RefOr<Schema>) -> utoipa::openapi::Content {
    ContentBuilder::new().schema(Some(schema)).build()
}

fn operation(route: &Route) -> utoipa::openapi::path::Operation {
    let spec = spec(route.handler);
    let mut op = OperationBuilder::new()
        .operation_id(Some(format!("{:?}", route.handler)))
        .summary(Some(spec.summary));
    for name in route
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
    {
        op = op.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .min_length(Some(1))
                        .max_length(Some(64)),
                )),
        );
    }
    for (name, required, description) in &spec.query {
        op = op.parameter(
            ParameterBuilder::new()
                .name(*name)
                .parameter_in(ParameterIn::Query)
                .required(if *required {
                    Required::True
                } else {
                    Required::False
                })
                .description(Some(*description))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String))),
        );
    }
    if spec.idempotency_key {
        op = op.parameter(
            ParameterBuilder::new()
                .name("Idempotency-Key")
                .parameter_in(ParameterIn::Header)
                .required(Required::True)
                .description(Some(
                    "1 to 128 visible characters; the same key and body return the original answer",
                ))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .min_length(Some(1))
                        .max_length(Some(128)),
                )),
        );
    }
    if let Some(body) = spec.body {
        let content_type = if is_page(route.handler) {
            "application/x-www-form-urlencoded"
        } else {
            "application/json"
        };
        op = op.request_body(Some(
            RequestBodyBuilder::new()
                .content(content_type, json_content(body))
                .required(Some(if route.handler == Handler::BeginTotp {
                    Required::False
                } else {
                    Required::True
                }))
                .build(),
        ));
    }
    let mut ok = ResponseBuilder::new().description("Success");
    if let Some(answer) = spec.answer {
        ok = ok.content("application/json", json_content(answer));
    }
    for (name, target, parameter, from) in links(route.handler) {
        ok = ok.link(
            name,
            LinkBuilder::new()
                .operation_id(format!("{target:?}"))
                .parameter(parameter, format!("$response.body#/{from}"))
                .build(),
        );
    }
    if is_page(route.handler) {
        ok = ok.content("text/html", html_content());
    }
    if route.handler == Handler::Asset {
        for kind in ["text/css", "text/javascript", "image/svg+xml"] {
            ok = ok.content(kind, html_content());
        }
    }
    if route.handler == Handler::OpenApi {
        ok = ok.content(
            "application/json",
            json_content(ObjectBuilder::new().schema_type(Type::Object).into()),
        );
    }
    let problem = ResponseBuilder::new()
        .description("A refusal as RFC 9457 problem+json with a stable type; nothing changed")
        .header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::String))
                .description(Some("on 409 idempotency-key-in-progress, 429 and 503"))
                .build(),
        )
        .content(
            "application/problem+json",
            json_content(named::<ProblemDocument>()),
        );
    op = op.response(spec.ok.to_string(), ok.build());
    if route.handler == Handler::CreateBooking {
        op = op.response(
            "200",
            ResponseBuilder::new()
                .description("A retry with the same Idempotency-Key and body: the original booking")
                .content("application/json", json_content(named::<Booked>()))
                .build(),
        );
    }
    let problem = if is_page(route.handler) {
        problem.content("text/html", html_content())
    } else {
        problem
    };
    op = op.response("default", problem.build());
    match spec.caller {
        Caller::Anyone => {}
        Caller::Session => {
            op = op.security(SecurityRequirement::new("session", Vec::<String>::new()));
        }
        Caller::Tenant => {
            op = op
                .security(SecurityRequirement::new("session", Vec::<String>::new()))
                .security(SecurityRequirement::new("api_key", Vec::<String>::new()));
        }
    }
    op.build()
}

/// Adds a type and every type it refers to.
fn add<T: ToSchema>(schemas: &mut Vec<(String, RefOr<Schema>)>) {
    schemas.push((T::name().into_owned(), T::schema()));
    T::schemas(schemas);
}

/// The whole document.
pub fn document() -> OpenApi {
    let mut paths = PathsBuilder::new();
    for route in ROUTES {
        paths = paths.path(
            route.path,
            PathItem::new(http_method(&route.method), operation(route)),
        );
    }
    let mut schemas = Vec::new();
    add::<SignupInput>(&mut schemas);
    add::<Registered>(&mut schemas);
    add::<VerifyEmailInput>(&mut schemas);
    add::<Verified>(&mut schemas);
    add::<ResendInput>(&mut schemas);
    add::<PublicProfile>(&mut schemas);
    add::<LoginInput>(&mut schemas);
    add::<MfaInput>(&mut schemas);
    add::<EmailCodeInput>(&mut schemas);
    add::<SignedIn>(&mut schemas);
    add::<ResetRequestInput>(&mut schemas);
    add::<TokenPasswordInput>(&mut schemas);
    add::<EmailChangeConfirmInput>(&mut schemas);
    add::<UserView>(&mut schemas);
    add::<Closure>(&mut schemas);
    add::<ProfileInput>(&mut schemas);
    add::<PasswordChangeInput>(&mut schemas);
    add::<EmailChangeInput>(&mut schemas);
    add::<SessionView>(&mut schemas);
    add::<ReauthInput>(&mut schemas);
    add::<TotpEnrolment>(&mut schemas);
    add::<CodeInput>(&mut schemas);
    add::<InviteInput>(&mut schemas);
    add::<RoleInput>(&mut schemas);
    add::<KeyView>(&mut schemas);
    add::<CreateKeyInput>(&mut schemas);
    add::<CreatedKey>(&mut schemas);
    add::<AuditEntry>(&mut schemas);
    add::<TenantPolicy>(&mut schemas);
    add::<SettingsInput>(&mut schemas);
    add::<Service>(&mut schemas);
    add::<ServiceInput>(&mut schemas);
    add::<Schedule>(&mut schemas);
    add::<Question>(&mut schemas);
    add::<FormInput>(&mut schemas);
    add::<Booked>(&mut schemas);
    add::<BookingView>(&mut schemas);
    add::<RescheduleInput>(&mut schemas);
    add::<ErasureInput>(&mut schemas);
    add::<Erasure>(&mut schemas);
    add::<Slot>(&mut schemas);
    add::<BookingInput>(&mut schemas);
    add::<ManageInput>(&mut schemas);
    add::<ConnectInput>(&mut schemas);
    add::<Started>(&mut schemas);
    add::<ConnectionView>(&mut schemas);
    add::<CalendarChoice>(&mut schemas);
    add::<SelectInput>(&mut schemas);
    add::<Plan>(&mut schemas);
    add::<PlanInput>(&mut schemas);
    add::<ExportInput>(&mut schemas);
    add::<ExportStatus>(&mut schemas);
    add::<ProblemDocument>(&mut schemas);
    add::<Verification>(&mut schemas);
    add::<Broken>(&mut schemas);
    schemas.sort_by(|a, b| a.0.cmp(&b.0));
    schemas.dedup_by(|a, b| a.0 == b.0);
    let components = ComponentsBuilder::new()
        .schemas_from_iter(schemas)
        .security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                COOKIE_NAME,
                "Set by sign-in. State changes with the cookie need the application's Origin \
                 (or Sec-Fetch-Site: same-origin).",
            ))),
        )
        .security_scheme(
            "api_key",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Bookwarden API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Multi-tenant appointment booking. Every refusal is RFC 9457 problem+json: \
                     400 when the body is not the expected JSON shape, 422 when a value is \
                     refused (with an errors list), and the usual meanings for the rest.",
                ))
                .build(),
        )
        .paths(paths.build())
        .components(Some(components))
        .build()
}

/// The document as pretty JSON, as served and as committed in docs/openapi.json.
pub fn json() -> String {
    let Ok(mut doc) = serde_json::to_value(document()) else {
        return String::new();
    };
    camel_case_links(&mut doc);
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// utoipa 5.5 writes a link's `operationId`, `operationRef` and `requestBody`
/// in snake case; OpenAPI (and every client that follows links) wants camel case.
fn camel_case_links(doc: &mut serde_json::Value) {
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    let links = paths
        .values_mut()
        .filter_map(|item| item.as_object_mut())
        .flat_map(|item| item.values_mut())
        .filter_map(|op| op.get_mut("responses")?.as_object_mut())
        .flat_map(|responses| responses.values_mut())
        .filter_map(|response| response.get_mut("links")?.as_object_mut())
        .flat_map(|links| links.values_mut())
        .filter_map(|link| link.as_object_mut());
    for link in links {
        for (snake, camel) in [
            ("operation_id", "operationId"),
            ("operation_ref", "operationRef"),
            ("request_body", "requestBody"),
        ] {
            if let Some(v) = link.remove(snake) {
                link.insert(camel.to_owned(), v);
            }
        }
    }
}
