//! `/v1/tenants/{tenant_id}/users…`: user management by owners and admins.

use bookwarden_shared::accounts::users::{self, DeleteUserInput, InviteInput, RoleInput};
use bookwarden_shared::auth::Permission;
use bookwarden_shared::http::{json_response, parse_json, RequestMeta};
use bookwarden_shared::Platform;
use lambda_http::Request;

use super::{authorize, no_content, path_param, Outcome};

/// All users.
pub async fn list(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (_, scope) = authorize(p, req, meta, Permission::ListUsers).await?;
    Ok(json_response(
        200,
        &serde_json::json!({ "users": users::list(p, &scope).await? }),
    ))
}

/// Invite a user by email.
pub async fn invite(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ManageUsers).await?;
    let input: InviteInput = parse_json(req)?;
    Ok(json_response(
        201,
        &users::invite(p, &scope, &caller, input, meta).await?,
    ))
}

/// Change a user's role.
pub async fn change_role(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ManageUsers).await?;
    let input: RoleInput = parse_json(req)?;
    let target = path_param(req, "user_id")?;
    Ok(json_response(
        200,
        &users::change_role(p, &scope, &caller, &target, input, meta).await?,
    ))
}

/// Deactivate a user.
pub async fn deactivate(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ManageUsers).await?;
    let target = path_param(req, "user_id")?;
    Ok(json_response(
        200,
        &users::deactivate(p, &scope, &caller, &target, meta).await?,
    ))
}

/// Delete a user permanently (re-authenticated).
pub async fn delete(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ManageUsers).await?;
    let input: DeleteUserInput = parse_json(req)?;
    users::delete(
        p,
        &scope,
        &caller,
        &path_param(req, "user_id")?,
        input,
        meta,
    )
    .await?;
    Ok(no_content())
}
