//! `POST /v1/tenants`, `GET /v1/public/tenants/{slug}`, and closing and
//! restoring a business (PRIV-3).

use bookwarden_shared::accounts::me::ReauthInput;
use bookwarden_shared::accounts::{self, closure, NewTenant, SignupInput};
use bookwarden_shared::auth::Permission;
use bookwarden_shared::http::{json_response, parse_json, Problem, RequestMeta};
use bookwarden_shared::tenancy::Slug;
use bookwarden_shared::Platform;
use lambda_http::Request;

use super::{authorize, no_content, path_param, with_cookie, Outcome};

/// A business signs up.
pub async fn create(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let input: SignupInput = parse_json(req)?;
    let new = NewTenant::parse(input).map_err(Problem::Validation)?;
    let registered = accounts::register_tenant(p, new, meta).await?;
    Ok(json_response(201, &registered))
}

/// The public profile of a verified tenant.
pub async fn get_public(p: &Platform, req: &Request, _meta: &RequestMeta) -> Outcome {
    let slug: Slug = path_param(req, "slug")?
        .parse()
        .map_err(|_| Problem::NotFound)?;
    match accounts::public_profile(p, &slug).await? {
        Some(profile) => Ok(json_response(200, &profile)),
        None => Err(Problem::NotFound),
    }
}

/// An owner closes the business (re-authenticated); every session ends, the
/// caller's cookie included.
pub async fn close(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::CloseBusiness).await?;
    let input: ReauthInput = parse_json(req)?;
    let closure = closure::close(p, &scope, &caller, input, meta).await?;
    Ok(with_cookie(
        json_response(200, &closure),
        &bookwarden_shared::auth::session::clear_cookie(),
    ))
}

/// An owner restores a closed business within its restore window.
pub async fn restore(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::CloseBusiness).await?;
    let input: ReauthInput = parse_json(req)?;
    closure::restore(p, &scope, &caller, input, meta).await?;
    Ok(with_cookie(
        no_content(),
        &bookwarden_shared::auth::session::clear_cookie(),
    ))
}
