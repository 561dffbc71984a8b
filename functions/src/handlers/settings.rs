//! `/v1/tenants/{tenant_id}/settings`: the tenant's security policy (owner).

use bookwarden_shared::accounts::settings::{self, SettingsInput};
use bookwarden_shared::auth::Permission;
use bookwarden_shared::http::{json_response, parse_json, RequestMeta};
use bookwarden_shared::Platform;
use lambda_http::Request;

use super::{authorize, Outcome};

/// The current policy.
pub async fn get(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (_, scope) = authorize(p, req, meta, Permission::ManageSettings).await?;
    Ok(json_response(200, &settings::get(p, &scope).await?))
}

/// Change the policy.
pub async fn update(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ManageSettings).await?;
    let input: SettingsInput = parse_json(req)?;
    Ok(json_response(
        200,
        &settings::update(p, &scope, caller.user_id(), input, meta).await?,
    ))
}
