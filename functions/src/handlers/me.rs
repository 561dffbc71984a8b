//! `/v1/tenants/{tenant_id}/me…`: the caller's own account.

use bookwarden_shared::accounts::me::{
    self, CodeInput, PasswordChangeInput, ProfileInput, ReauthInput,
};
use bookwarden_shared::auth::Permission;
use bookwarden_shared::http::{json_response, parse_json, parse_optional_json, RequestMeta};
use bookwarden_shared::Platform;
use lambda_http::Request;

use super::{authorize, no_content, path_param, with_cookie, Outcome};

/// Own profile.
pub async fn get(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ViewSelf).await?;
    Ok(json_response(200, &me::profile(p, &scope, &caller).await?))
}

/// Rename oneself.
pub async fn update(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ManageSelf).await?;
    let input: ProfileInput = parse_json(req)?;
    Ok(json_response(
        200,
        &me::update_profile(p, &scope, &caller, input).await?,
    ))
}

/// Delete one's own account and everything personal of it (PRIV-2,
/// re-authenticated); every session ends, this one's cookie is cleared. The
/// last owner cannot: the business would be left without one.
pub async fn delete_account(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ManageSelf).await?;
    let input: bookwarden_shared::accounts::users::DeleteUserInput = parse_json(req)?;
    let own = caller.user_id().to_string();
    bookwarden_shared::accounts::users::delete(p, &scope, &caller, &own, input, meta).await?;
    Ok(with_cookie(
        no_content(),
        &bookwarden_shared::auth::session::clear_cookie(),
    ))
}

/// Change one's password (re-authenticated); the session is rotated.
pub async fn change_password(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ManageSelf).await?;
    let input: PasswordChangeInput = parse_json(req)?;
    let session = me::change_password(p, &scope, &caller, input, meta).await?;
    Ok(with_cookie(no_content(), &session.cookie()))
}

/// Own live sessions (never to API keys: they show addresses and browsers).
pub async fn list_sessions(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ViewSessions).await?;
    Ok(json_response(
        200,
        &serde_json::json!({ "sessions": me::sessions(p, &scope, &caller).await? }),
    ))
}

/// End one of one's sessions.
pub async fn end_session(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ManageSelf).await?;
    me::end_session(p, &scope, &caller, &path_param(req, "session_id")?, meta).await?;
    Ok(no_content())
}

/// Start TOTP enrolment; replacing an enrolled authenticator carries the
/// password or a current code in the body.
pub async fn begin_totp(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ManageSelf).await?;
    let reauth: ReauthInput = parse_optional_json(req)?;
    Ok(json_response(
        201,
        &me::begin_totp(p, &scope, &caller, reauth).await?,
    ))
}

/// Confirm TOTP enrolment with a first code.
pub async fn confirm_totp(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ManageSelf).await?;
    let input: CodeInput = parse_json(req)?;
    let confirmed = me::confirm_totp(p, &scope, &caller, input, meta).await?;
    let body = serde_json::json!({ "recovery_codes": confirmed.recovery_codes });
    Ok(with_cookie(
        json_response(200, &body),
        &confirmed.session.cookie(),
    ))
}

/// Remove the authenticator (re-authenticated).
pub async fn disable_totp(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ManageSelf).await?;
    let input: ReauthInput = parse_json(req)?;
    me::disable_totp(p, &scope, &caller, input, meta).await?;
    Ok(no_content())
}

/// Replace the recovery codes (re-authenticated).
pub async fn regenerate_recovery_codes(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ManageSelf).await?;
    let input: ReauthInput = parse_json(req)?;
    let codes = me::regenerate_recovery_codes(p, &scope, &caller, input, meta).await?;
    Ok(json_response(
        200,
        &serde_json::json!({ "recovery_codes": codes }),
    ))
}

/// Start moving the account to another email address (re-authenticated).
pub async fn request_email_change(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ManageSelf).await?;
    let input: bookwarden_shared::accounts::me::EmailChangeInput = parse_json(req)?;
    me::request_email_change(p, &scope, &caller, input, meta).await?;
    Ok(json_response(
        202,
        &serde_json::json!({ "status": "confirm from the new address" }),
    ))
}
