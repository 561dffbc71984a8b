//! The HTTP edge (WEB-1, WEB-3, WEB-4): strict request parsing, RFC 9457
//! problem+json errors, and the security headers every response carries.
//!
//! Handlers return `Result<Response, Problem>`; [`finish`] turns either into the
//! final response, so no path (errors, 404, 405 included) can skip the headers.

mod headers;
mod json;
mod meta;
mod problem;

pub use headers::{apply_security_headers, PagePolicy, SECURITY_HEADERS};
pub use json::{json_response, parse_json, parse_optional_json, MAX_BODY_BYTES};
pub use meta::RequestMeta;
pub use problem::{parse_field, FieldError, Problem, ProblemDocument};

use lambda_http::{Body, Response};

/// Applies the security headers and the request id to a handler's outcome.
pub fn finish(outcome: Result<Response<Body>, Problem>, meta: &RequestMeta) -> Response<Body> {
    let mut response = match outcome {
        Ok(r) => r,
        Err(problem) => problem.into_response(meta),
    };
    let page = response.extensions_mut().remove::<PagePolicy>();
    apply_security_headers(response.headers_mut());
    if let Some(page) = page {
        page.apply(response.headers_mut());
    }
    if let Ok(v) = http::HeaderValue::from_str(&meta.request_id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}
