//! `POST /v1/auth/verify-email`.

use bookwarden_shared::accounts;
use bookwarden_shared::crypto::SecretToken;
use bookwarden_shared::http::{json_response, parse_json, Problem, RequestMeta};
use bookwarden_shared::Platform;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyEmailInput {
    token: String,
}

/// Consumes an email verification token once.
pub async fn verify_email(
    p: &Platform,
    req: &Request,
    meta: &RequestMeta,
) -> Result<Response<Body>, Problem> {
    let input: VerifyEmailInput = parse_json(req)?;
    let token = SecretToken::parse(&input.token).ok_or(Problem::InvalidToken)?;
    let verified = accounts::verify_email(p, &token, meta)
        .await
        .map_err(super::problem)?;
    Ok(json_response(200, &verified))
}
