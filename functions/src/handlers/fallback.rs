//! Answers for requests no route serves (WEB-4).

use bookwarden_shared::http::Problem;
use lambda_http::Request;

use crate::routes::{match_route, Match};

/// 405 with `Allow` for a known path with the wrong method, 404 otherwise.
pub fn refuse(req: &Request) -> Problem {
    match match_route(req.method(), req.uri().path()) {
        Match::MethodNotAllowed(allow) => Problem::MethodNotAllowed(allow),
        Match::Found(..) | Match::NotFound => Problem::NotFound,
    }
}

/// The fallback route as a handler.
pub async fn handle(
    _p: &bookwarden_shared::Platform,
    req: &Request,
    _meta: &bookwarden_shared::http::RequestMeta,
) -> super::Outcome {
    Err(refuse(req))
}
