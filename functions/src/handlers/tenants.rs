//! `POST /v1/tenants` and `GET /v1/public/tenants/{slug}`.

use bookwarden_shared::accounts::{self, NewTenant, SignupInput};
use bookwarden_shared::http::{json_response, parse_json, Problem, RequestMeta};
use bookwarden_shared::tenancy::Slug;
use bookwarden_shared::Platform;
use lambda_http::{Body, Request, RequestExt, Response};

use super::problem;

/// A business signs up.
pub async fn create(
    p: &Platform,
    req: &Request,
    meta: &RequestMeta,
) -> Result<Response<Body>, Problem> {
    let input: SignupInput = parse_json(req)?;
    let new = NewTenant::parse(input).map_err(Problem::Validation)?;
    let registered = accounts::register_tenant(p, new, meta)
        .await
        .map_err(problem)?;
    Ok(json_response(201, &registered))
}

/// The public profile of a verified tenant.
pub async fn get_public(p: &Platform, req: &Request) -> Result<Response<Body>, Problem> {
    let params = req.path_parameters();
    let slug: Slug = params
        .first("slug")
        .and_then(|s| s.parse().ok())
        .ok_or(Problem::NotFound)?;
    match accounts::public_profile(p, &slug).await.map_err(problem)? {
        Some(profile) => Ok(json_response(200, &profile)),
        None => Err(Problem::NotFound),
    }
}
