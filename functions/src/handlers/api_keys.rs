//! `/v1/tenants/{tenant_id}/api-keys…`

use bookwarden_shared::accounts::keys::{self, CreateKeyInput};
use bookwarden_shared::auth::Permission;
use bookwarden_shared::http::{json_response, parse_json, RequestMeta};
use bookwarden_shared::Platform;
use lambda_http::Request;

use super::{authorize, no_content, path_param, Outcome};

/// The tenant's keys (no secrets).
pub async fn list(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (_, scope) = authorize(p, req, meta, Permission::ManageApiKeys).await?;
    Ok(json_response(
        200,
        &serde_json::json!({ "api_keys": keys::list(p, &scope).await? }),
    ))
}

/// Create a key; its secret is in this answer only.
pub async fn create(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ManageApiKeys).await?;
    let input: CreateKeyInput = parse_json(req)?;
    Ok(json_response(
        201,
        &keys::create(p, &scope, &caller, input, meta).await?,
    ))
}

/// Revoke a key.
pub async fn revoke(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ManageApiKeys).await?;
    keys::revoke(p, &scope, &caller, &path_param(req, "key_id")?, meta).await?;
    Ok(no_content())
}
