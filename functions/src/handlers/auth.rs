//! Public authentication routes under `/v1/auth/`.

use bookwarden_shared::accounts::login::{
    self, EmailCodeInput, LoginInput, LoginOutcome, MfaInput,
};
use bookwarden_shared::accounts::reset::{self, ResetRequestInput, TokenPasswordInput};
use bookwarden_shared::accounts::{self, users};
use bookwarden_shared::auth::{authenticate, session};
use bookwarden_shared::crypto::SecretToken;
use bookwarden_shared::http::{json_response, parse_json, Problem, RequestMeta};
use bookwarden_shared::Platform;
use lambda_http::Request;
use serde::Deserialize;

use super::{no_content, with_cookie, Outcome};

/// `POST /v1/auth/verify-email`
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailInput {
    /// The token from the emailed link.
    token: String,
}

/// Consumes an email verification token once.
pub async fn verify_email(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let input: VerifyEmailInput = parse_json(req)?;
    let token = SecretToken::parse(&input.token).ok_or(Problem::InvalidToken)?;
    let verified = accounts::verify_email(p, &token, meta).await?;
    Ok(json_response(200, &verified))
}

/// Sends a fresh verification link to an unverified account; the answer never
/// says whether there is one.
pub async fn resend_verification(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let input: accounts::ResendInput = parse_json(req)?;
    accounts::resend_verification(p, input, meta).await?;
    Ok(json_response(
        202,
        &serde_json::json!({ "status": "if the account waits for verification, a new link is on its way" }),
    ))
}

fn login_response(outcome: LoginOutcome) -> Outcome {
    match outcome {
        LoginOutcome::Session(session, signed_in) => Ok(with_cookie(
            json_response(200, &signed_in),
            &session.cookie(),
        )),
        LoginOutcome::MfaRequired { mfa_token, methods } => Ok(json_response(
            200,
            &serde_json::json!({ "status": "mfa_required", "mfa_token": mfa_token.expose(), "methods": methods }),
        )),
    }
}

/// Password step of sign-in.
pub async fn login(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let input: LoginInput = parse_json(req)?;
    login_response(login::login(p, input, meta).await?)
}

/// Second-factor step of sign-in.
pub async fn login_mfa(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let input: MfaInput = parse_json(req)?;
    login_response(login::verify_mfa(p, input, meta).await?)
}

/// Emails a sign-in code for a pending login.
pub async fn login_mfa_email_code(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let input: EmailCodeInput = parse_json(req)?;
    login::send_email_code(p, input, meta).await?;
    Ok(json_response(202, &serde_json::json!({ "status": "sent" })))
}

/// Ends the current session on the server and clears the cookie.
pub async fn logout(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let caller = authenticate(p, req).await?;
    let session_id = caller.session_id().ok_or(Problem::Forbidden)?.to_owned();
    login::logout(p, &caller.scope(), caller.user_id(), &session_id, meta).await?;
    Ok(with_cookie(no_content(), &session::clear_cookie()))
}

/// Asks for a reset link; the answer never says whether the account exists.
pub async fn request_password_reset(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let input: ResetRequestInput = parse_json(req)?;
    reset::request(p, input, meta).await?;
    Ok(json_response(
        202,
        &serde_json::json!({ "status": "if the account exists, a link is on its way" }),
    ))
}

/// Sets a new password from a reset link.
pub async fn confirm_password_reset(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let input: TokenPasswordInput = parse_json(req)?;
    reset::confirm(p, input, meta).await?;
    Ok(no_content())
}

/// Sets the password of an invited user.
pub async fn accept_invitation(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let input: TokenPasswordInput = parse_json(req)?;
    users::accept_invitation(p, input, meta).await?;
    Ok(no_content())
}

/// Confirms a new email address from the link sent to it.
pub async fn confirm_email_change(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let input: bookwarden_shared::accounts::me::EmailChangeConfirmInput = parse_json(req)?;
    bookwarden_shared::accounts::me::confirm_email_change(p, input, meta).await?;
    Ok(no_content())
}
