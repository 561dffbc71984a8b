//! Strict JSON bodies (WEB-3): media type, size, UTF-8 and shape are checked
//! before a handler sees anything; unknown fields are refused by the request
//! types (`#[serde(deny_unknown_fields)]`).

use lambda_http::{Body, Request, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::Problem;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

fn is_json_media_type(value: &str) -> bool {
    let mut parts = value.split(';').map(str::trim);
    let essence = parts.next().unwrap_or_default();
    if !essence.eq_ignore_ascii_case("application/json") {
        return false;
    }
    parts.all(|p| {
        p.is_empty()
            || p.eq_ignore_ascii_case("charset=utf-8")
            || p.eq_ignore_ascii_case("charset=\"utf-8\"")
    })
}

/// Parses a request body into `T`, refusing anything that is not exactly a
/// small UTF-8 JSON document of `T`'s shape.
pub fn parse_json<T: DeserializeOwned>(req: &Request) -> Result<T, Problem> {
    let content_type = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !is_json_media_type(content_type) {
        return Err(Problem::UnsupportedMediaType);
    }
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(Problem::PayloadTooLarge);
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Problem::MalformedBody("The body is not valid UTF-8.".into()))?;
    serde_json::from_str(text).map_err(|e| Problem::MalformedBody(describe(&e)))
}

/// Like [`parse_json`], for routes whose body is optional: an empty body is
/// `T::default()`, anything else must be valid JSON of `T`'s shape.
pub fn parse_optional_json<T: DeserializeOwned + Default>(req: &Request) -> Result<T, Problem> {
    let body: &[u8] = req.body().as_ref();
    if body.is_empty() {
        return Ok(T::default());
    }
    parse_json(req)
}

/// A client-safe description of a JSON error: category and position, plus the
/// offending field name for unknown or missing fields (never a value).
fn describe(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let msg = e.to_string();
    let field = msg
        .split('`')
        .nth(1)
        .filter(|f| f.len() <= 64 && f.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    match (e.classify(), field) {
        (Category::Data, Some(f)) if msg.starts_with("unknown field") => {
            format!("Unknown field `{f}`.")
        }
        (Category::Data, Some(f)) if msg.starts_with("missing field") => {
            format!("Missing field `{f}`.")
        }
        (Category::Data, _) => format!(
            "A field has the wrong type (line {}, column {}).",
            e.line(),
            e.column()
        ),
        (Category::Eof, _) => "The body ends too early.".into(),
        _ => format!(
            "The body is not valid JSON (line {}, column {}).",
            e.line(),
            e.column()
        ),
    }
}

/// A JSON response with the given status.
pub fn json_response<T: Serialize>(status: u16, body: &T) -> Response<Body> {
    let Ok(text) = serde_json::to_string(body) else {
        // Response types are plain data; should one ever fail to serialise,
        // the client gets a problem, not a crashed invocation.
        tracing::error!("response body did not serialise");
        let meta = super::RequestMeta {
            request_id: super::RequestMeta::fresh_id(),
            client_addr: String::new(),
            user_agent: String::new(),
        };
        return Problem::Internal.into_response(&meta);
    };
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_json_media_types_are_accepted() {
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON;charset=UTF-8",
        ] {
            assert!(is_json_media_type(ok), "{ok}");
        }
        for bad in [
            "",
            "text/plain",
            "application/json; charset=latin1",
            "application/jsonx",
            "multipart/form-data",
        ] {
            assert!(!is_json_media_type(bad), "{bad}");
        }
    }
}
