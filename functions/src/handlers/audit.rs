//! `GET /v1/tenants/{tenant_id}/audit?limit=&cursor=`: newest first; and
//! `GET /v1/tenants/{tenant_id}/audit/verification`: the chain checked (AUD-2).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use bookwarden_shared::audit;
use bookwarden_shared::auth::Permission;
use bookwarden_shared::http::{json_response, FieldError, Problem, RequestMeta};
use bookwarden_shared::Platform;
use lambda_http::{Request, RequestExt};

use super::{authorize, Outcome};

const DEFAULT_LIMIT: i32 = 50;
const MAX_LIMIT: i32 = 100;

fn invalid(field: &'static str, message: &str) -> Problem {
    Problem::Validation(vec![FieldError {
        field,
        message: message.to_owned(),
    }])
}

/// One page of the audit log.
pub async fn list(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (_, scope) = authorize(p, req, meta, Permission::ReadAudit).await?;
    let query = req.query_string_parameters();
    let limit = match query.first("limit") {
        None => DEFAULT_LIMIT,
        Some(v) => v
            .parse::<i32>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| invalid("limit", "must be a number from 1 to 100"))?,
    };
    let cursor = match query.first("cursor") {
        None => None,
        Some(c) => Some(
            URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .filter(|c| !c.is_empty())
                .ok_or_else(|| invalid("cursor", "is not a cursor this API returned"))?,
        ),
    };
    let (events, next) = audit::page(&p.store, &scope, limit, cursor.as_deref())
        .await
        .map_err(|_| Problem::ServiceUnavailable)?;
    let next_cursor = next.map(|n| URL_SAFE_NO_PAD.encode(n));
    Ok(json_response(
        200,
        &serde_json::json!({ "events": events, "next_cursor": next_cursor }),
    ))
}

/// `GET /v1/tenants/{tenant_id}/audit/verification` (AUD-2): links what is
/// waiting, then walks the tenant's chain and checks it against every anchor.
/// A person's check (owners and admins, no restricted session, no API key);
/// it takes no input, so a retry or a parallel request only walks again.
pub async fn verify(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (_, scope) = authorize(p, req, meta, Permission::VerifyAudit).await?;
    if !req.query_string_parameters().is_empty() {
        return Err(invalid("query", "takes no parameters"));
    }
    let unavailable = |_| Problem::ServiceUnavailable;
    audit::chain::sequence(&p.store, &scope, audit::chain::LATE_SECS, None)
        .await
        .map_err(unavailable)?;
    let anchors = audit::chain::anchors(
        &p.s3,
        &p.config.audit_anchor_bucket,
        scope.tenant_id().as_str(),
    )
    .await
    .map_err(unavailable)?;
    let report = audit::chain::verify(&p.store, &scope, &anchors)
        .await
        .map_err(unavailable)?;
    if let Some(broken) = &report.first_broken {
        tracing::error!(
            tenant = %scope.tenant_id(),
            seq = broken.seq,
            reason = broken.reason,
            "audit chain verification failed"
        );
    }
    Ok(json_response(200, &report))
}
