//! RFC 9457 problem details with stable types and no internal detail.

use lambda_http::{Body, Response};
use serde::Serialize;

use super::RequestMeta;

/// Stable prefix of every problem type URI.
const TYPE_PREFIX: &str = "https://bookwarden.dev/problems/";

/// One invalid field in a request body.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    /// JSON field name.
    pub field: &'static str,
    /// What is wrong, safe to show.
    pub message: String,
}

/// Parses one field of a request, recording why it was refused so that a
/// validation problem can name every bad field at once.
pub fn parse_field<T>(errors: &mut Vec<FieldError>, field: &'static str, value: &str) -> Option<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|e: T::Err| {
            errors.push(FieldError {
                field,
                message: e.to_string(),
            })
        })
        .ok()
}

/// Every way a request can be refused. The variants are the API's stable error
/// vocabulary; causes are logged where they happen, never carried here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The body is not valid JSON or not the expected shape.
    MalformedBody(String),
    /// The body is JSON of the right shape but fails validation.
    Validation(Vec<FieldError>),
    /// The Content-Type is not `application/json`.
    UnsupportedMediaType,
    /// The body exceeds the limit.
    PayloadTooLarge,
    /// No such resource, or not visible to the caller.
    NotFound,
    /// No valid session or API key.
    Unauthenticated,
    /// Authenticated, but the role or key scope does not allow this.
    Forbidden,
    /// A cookie-authenticated state change from another origin (WEB-2).
    CrossSiteRequest,
    /// The session must first enrol a second factor or change its password.
    StepRequired,
    /// The business lives in another region (PRIV-4): the request is
    /// answered with a 307 to the same path at that region's address (the
    /// handler names the address; the route runner adds the path).
    InRegion(String),
    /// The business is closed (PRIV-3): until an owner restores it, a
    /// session may only look at itself and an owner may restore.
    BusinessClosed,
    /// Login refused; the same answer for every reason (no account enumeration).
    InvalidCredentials,
    /// Too many attempts from this client; retry later.
    TooManyRequests,
    /// The password was right but the account's email address is not verified
    /// yet; nothing can be done with it until it is.
    EmailUnverified,
    /// The second factor was wrong or the pending login expired.
    InvalidCode,
    /// The new password does not meet the policy.
    WeakPassword(String),
    /// The operation needs the current password or a second-factor code.
    ReauthenticationRequired,
    /// The change would leave the tenant without an owner.
    LastOwner,
    /// A user with this email already belongs to the tenant.
    EmailTaken,
    /// The request conflicts with the current state; the slug names why
    /// (`slot-taken`, `idempotency-key-reused`, `too-late-to-change`).
    Conflict(&'static str),
    /// The route exists but not with this method.
    MethodNotAllowed(Vec<&'static str>),
    /// The public slug is already in use.
    SlugTaken,
    /// A link token is unknown, used or expired.
    InvalidToken,
    /// A dependency (KMS, DynamoDB, SES) is unavailable; retry later.
    ServiceUnavailable,
    /// A bug or integrity violation; details are in the logs under the request id.
    Internal,
}

/// An RFC 9457 problem document as sent: a stable type URI, a title, the
/// status, a client-safe detail, the request's URN, and for 422 the fields.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProblemDocument<'a> {
    /// `https://bookwarden.dev/problems/<kind>`, stable across releases.
    #[serde(rename = "type")]
    #[schema(format = "uri")]
    pub kind: String,
    /// Short, human-readable summary of the kind.
    pub title: &'a str,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, without internal detail.
    pub detail: String,
    /// `urn:request:<id>`, matching `x-request-id` and the logs.
    pub instance: String,
    /// For `validation`: each refused field and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<&'a [FieldError]>,
}

impl Problem {
    fn parts(&self) -> (u16, &'static str, &'static str, String) {
        match self {
            Problem::MalformedBody(d) => {
                (400, "malformed-body", "Malformed request body", d.clone())
            }
            Problem::Validation(_) => (
                422,
                "validation",
                "Invalid request",
                "One or more fields are invalid.".into(),
            ),
            Problem::UnsupportedMediaType => (
                415,
                "unsupported-media-type",
                "Unsupported media type",
                "Send the body as application/json.".into(),
            ),
            Problem::PayloadTooLarge => (
                413,
                "payload-too-large",
                "Payload too large",
                format!("The body may be at most {} bytes.", super::MAX_BODY_BYTES),
            ),
            Problem::NotFound => (404, "not-found", "Not found", "No such resource.".into()),
            Problem::MethodNotAllowed(_) => (
                405,
                "method-not-allowed",
                "Method not allowed",
                "This route does not serve that method.".into(),
            ),
            Problem::Unauthenticated => (
                401,
                "unauthenticated",
                "Authentication required",
                "Sign in, or send a valid API key.".into(),
            ),
            Problem::Forbidden => (
                403,
                "forbidden",
                "Forbidden",
                "Your role or key does not allow this.".into(),
            ),
            Problem::CrossSiteRequest => (
                403,
                "cross-site-request",
                "Cross-site request refused",
                "State changes must come from the application's own origin.".into(),
            ),
            Problem::StepRequired => (
                403,
                "step-required",
                "Action required first",
                "Enrol a second factor or change your password before doing anything else.".into(),
            ),
            Problem::InRegion(_) => (
                307,
                "in-another-region",
                "Served in another region",
                "This business's data lives in another region; repeat the request at the address in Location.".into(),
            ),
            Problem::BusinessClosed => (
                403,
                "business-closed",
                "Business closed",
                "This business was closed. An owner can restore it until its data is deleted.".into(),
            ),
            Problem::InvalidCredentials => (
                401,
                "invalid-credentials",
                "Sign-in failed",
                "The business, email or password is wrong, or the account is temporarily locked."
                    .into(),
            ),
            Problem::TooManyRequests => (
                429,
                "too-many-requests",
                "Too many requests",
                "Too many attempts from this address; retry later.".into(),
            ),
            Problem::EmailUnverified => (
                403,
                "email-unverified",
                "Email not verified",
                "Confirm your email address with the link we sent (you can ask for a new one) \
                 before signing in."
                    .into(),
            ),
            Problem::InvalidCode => (
                401,
                "invalid-code",
                "Invalid code",
                "The code is wrong, used or expired; sign in again if it keeps failing.".into(),
            ),
            Problem::WeakPassword(reason) => (
                422,
                "weak-password",
                "Password refused",
                format!("The password {reason}."),
            ),
            Problem::ReauthenticationRequired => (
                401,
                "reauthentication-required",
                "Confirm it is you",
                "Send your current password (or a second-factor code) with this request.".into(),
            ),
            Problem::LastOwner => (
                409,
                "last-owner",
                "Last owner",
                "The business must keep at least one active owner.".into(),
            ),
            Problem::EmailTaken => (
                409,
                "email-taken",
                "Email in use",
                "A user with this email already belongs to the business.".into(),
            ),
            Problem::Conflict(kind) => (
                409,
                kind,
                "Conflict",
                match *kind {
                    "slot-taken" => "That time is no longer available; choose another.".into(),
                    "idempotency-key-reused" => {
                        "This Idempotency-Key was already used for a different request.".into()
                    }
                    "idempotency-key-in-progress" => {
                        "The first request with this Idempotency-Key is still being processed; \
                         retry shortly for its answer."
                            .into()
                    }
                    "erasure-in-progress" => {
                        "Another erasure of this customer is changing the same bookings; \
                         retry shortly to finish it."
                            .into()
                    }
                    "too-late-to-change" => {
                        "The booking is too close to change online; contact the business.".into()
                    }
                    "plan-required" => {
                        "Connected calendars are part of the paid plan; the owner can change the plan."
                            .into()
                    }
                    "provider-not-configured" => {
                        "This calendar provider is not set up for this service.".into()
                    }
                    "sync-in-progress" => {
                        "This calendar was synced moments ago or is syncing now; try again in a minute."
                            .into()
                    }
                    "connection-broken" => {
                        "The calendar's access was revoked or expired; disconnect and connect it again."
                            .into()
                    }
                    _ => "The request conflicts with the current state.".into(),
                },
            ),
            Problem::SlugTaken => (
                409,
                "slug-taken",
                "Slug taken",
                "Another business already uses this slug.".into(),
            ),
            Problem::InvalidToken => (
                400,
                "invalid-token",
                "Invalid or expired link",
                "The link is unknown, already used or expired.".into(),
            ),
            Problem::ServiceUnavailable => (
                503,
                "service-unavailable",
                "Service unavailable",
                "A dependency is unavailable; nothing was changed. Retry later.".into(),
            ),
            Problem::Internal => (
                500,
                "internal",
                "Internal error",
                "Something went wrong on our side; quote the request id.".into(),
            ),
        }
    }

    /// The HTTP status of this problem.
    pub fn status(&self) -> u16 {
        self.parts().0
    }

    /// The stable type URI of this problem.
    pub fn type_uri(&self) -> String {
        format!("{TYPE_PREFIX}{}", self.parts().1)
    }

    /// The problem+json response.
    pub fn into_response(self, meta: &RequestMeta) -> Response<Body> {
        let (status, slug, title, detail) = self.parts();
        let errors = match &self {
            Problem::Validation(e) => Some(e.as_slice()),
            _ => None,
        };
        let body = ProblemDocument {
            kind: format!("{TYPE_PREFIX}{slug}"),
            title,
            status,
            detail,
            instance: format!("urn:request:{}", meta.request_id),
            errors,
        };
        let mut builder = Response::builder().status(status).header(
            http::header::CONTENT_TYPE,
            "application/problem+json; charset=utf-8",
        );
        if let Problem::MethodNotAllowed(allow) = &self {
            builder = builder.header(http::header::ALLOW, allow.join(", "));
        }
        if let Problem::InRegion(location) = &self {
            builder = builder.header(http::header::LOCATION, location.as_str());
        }
        match self {
            Problem::ServiceUnavailable => builder = builder.header(http::header::RETRY_AFTER, "5"),
            Problem::TooManyRequests => builder = builder.header(http::header::RETRY_AFTER, "900"),
            Problem::Conflict("idempotency-key-in-progress") => {
                builder = builder.header(http::header::RETRY_AFTER, "1")
            }
            Problem::Conflict("sync-in-progress") => {
                builder = builder.header(http::header::RETRY_AFTER, "60")
            }
            Problem::Conflict("erasure-in-progress") => {
                builder = builder.header(http::header::RETRY_AFTER, "1")
            }
            Problem::Unauthenticated => {
                builder = builder.header(http::header::WWW_AUTHENTICATE, "Bearer")
            }
            _ => {}
        }
        // A problem is plain data and the parts above are constants; should
        // either ever fail, a bare 500 still answers instead of a crash.
        let text = serde_json::to_string(&body).unwrap_or_default();
        builder.body(Body::Text(text)).unwrap_or_else(|_| {
            let mut bare = Response::new(Body::Empty);
            *bare.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            bare
        })
    }
}
