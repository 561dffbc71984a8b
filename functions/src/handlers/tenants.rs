//! `POST /v1/tenants` and `GET /v1/public/tenants/{slug}`.

use bookwarden_shared::accounts::{self, NewTenant, SignupInput};
use bookwarden_shared::http::{json_response, parse_json, Problem, RequestMeta};
use bookwarden_shared::tenancy::Slug;
use bookwarden_shared::Platform;
use lambda_http::Request;

use super::{path_param, Outcome};

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
