//! `/v1/tenants/{tenant_id}/me/calendar-connections…`, the OAuth callback
//! `/v1/calendar-connections/oauth/callback`, and the tenant's plan.

use bookwarden_shared::auth::{authenticate, Permission};
use bookwarden_shared::calendar::connect::{
    self, CallbackQuery, ConnectInput, PlanInput, SelectInput,
};
use bookwarden_shared::http::{json_response, parse_json, RequestMeta};
use bookwarden_shared::Platform;
use lambda_http::{Request, RequestExt};

use super::{authorize, no_content, path_param, Outcome};

/// Start a connection: OAuth answers with the provider's URL; CalDAV and
/// ICS connect at once.
pub async fn start(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ManageOwnCalendars).await?;
    let input: ConnectInput = parse_json(req)?;
    let (status, started) = connect::start(p, &scope, &caller, input, meta).await?;
    Ok(json_response(status, &started))
}

/// The provider sends the browser back here with a code and our state.
pub async fn finish(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let q = req.query_string_parameters();
    let query = CallbackQuery {
        state: q.first("state").map(str::to_owned),
        code: q.first("code").map(str::to_owned),
        error: q.first("error").map(str::to_owned),
    };
    let caller = authenticate(p, req).await?;
    let scope = caller.scope();
    caller.require(Permission::ManageOwnCalendars)?;
    let (status, started) = connect::finish(p, &scope, &caller, query, meta).await?;
    Ok(json_response(status, &started))
}

/// The caller's connections with their status.
pub async fn list(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ManageOwnCalendars).await?;
    Ok(json_response(
        200,
        &serde_json::json!({ "connections": connect::list(p, &scope, &caller).await? }),
    ))
}

/// The calendars a connection offers, read from the provider now.
pub async fn calendars(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ManageOwnCalendars).await?;
    let id = path_param(req, "connection_id")?;
    Ok(json_response(
        200,
        &serde_json::json!({ "calendars": connect::calendars(p, &scope, &caller, &id).await? }),
    ))
}

/// Choose the calendars whose busy time is imported.
pub async fn select(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ManageOwnCalendars).await?;
    let id = path_param(req, "connection_id")?;
    let input: SelectInput = parse_json(req)?;
    Ok(json_response(
        200,
        &connect::select(p, &scope, &caller, &id, input, meta).await?,
    ))
}

/// Sync now.
pub async fn sync(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ManageOwnCalendars).await?;
    let id = path_param(req, "connection_id")?;
    Ok(json_response(
        200,
        &connect::sync_now(p, &scope, &caller, &id).await?,
    ))
}

/// Disconnect: revoke, delete credentials and imported blocks.
pub async fn disconnect(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ManageOwnCalendars).await?;
    let id = path_param(req, "connection_id")?;
    connect::disconnect(p, &scope, &caller, &id, meta).await?;
    Ok(no_content())
}

/// The tenant's plan.
pub async fn get_plan(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (_, scope) = authorize(p, req, meta, Permission::ManageSettings).await?;
    Ok(json_response(
        200,
        &serde_json::json!({ "plan": connect::plan_of(p, &scope).await? }),
    ))
}

/// Change the plan; `free` disconnects every calendar of the tenant.
pub async fn set_plan(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ManageSettings).await?;
    let input: PlanInput = parse_json(req)?;
    Ok(json_response(
        200,
        &serde_json::json!({ "plan": connect::set_plan(p, &scope, &caller, input, meta).await? }),
    ))
}
