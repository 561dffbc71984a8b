//! `/v1/tenants/{tenant_id}/exports…`: data exports (PRIV-1), owners only,
//! signed in (never an API key, never a restricted session).

use bookwarden_shared::auth::Permission;
use bookwarden_shared::export::{self, ExportError, ExportInput};
use bookwarden_shared::http::{json_response, parse_json, Problem, RequestMeta};
use bookwarden_shared::Platform;
use lambda_http::Request;

use super::{authorize, path_param, Outcome};

fn problem(e: ExportError) -> Problem {
    match e {
        ExportError::Invalid(errors) => Problem::Validation(errors),
        ExportError::Unavailable => Problem::ServiceUnavailable,
        ExportError::Internal => Problem::Internal,
    }
}

/// Start an export, or get the one already running for the same subject:
/// 202 either way, with its id and status, and its address in `Location`.
pub async fn create(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::ExportData).await?;
    let input: ExportInput = parse_json(req)?;
    let (status, _) = export::request(p, &scope, &caller, input, meta)
        .await
        .map_err(problem)?;
    let mut response = json_response(202, &status);
    let location = format!(
        "/v1/tenants/{}/exports/{}",
        scope.tenant_id(),
        status.export_id
    );
    if let Ok(v) = http::HeaderValue::from_str(&location) {
        response.headers_mut().insert(http::header::LOCATION, v);
    }
    Ok(response)
}

/// An export's status, with a fresh 15-minute download link once ready.
pub async fn get(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (_, scope) = authorize(p, req, meta, Permission::ExportData).await?;
    let id = path_param(req, "export_id")?;
    match export::status(p, &scope, &id).await.map_err(problem)? {
        Some(status) => Ok(json_response(200, &status)),
        None => Err(Problem::NotFound),
    }
}
