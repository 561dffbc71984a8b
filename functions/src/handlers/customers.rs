//! `/v1/tenants/{tenant_id}/customers/…`: a business acting on one of its end
//! customers as a whole (PRIV-2).

use bookwarden_shared::auth::Permission;
use bookwarden_shared::booking::customers::{self, ErasureError, ErasureInput, Requester};
use bookwarden_shared::http::{json_response, parse_json, Problem, RequestMeta};
use bookwarden_shared::Platform;
use lambda_http::Request;

use super::{authorize, Outcome};

/// `POST /customers/erasure` {email}: erases every trace of the customer
/// behind the address; 200 with the count, 0 when there was nothing (left).
pub async fn erase(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let (caller, scope) = authorize(p, req, meta, Permission::EraseCustomers).await?;
    let input: ErasureInput = parse_json(req)?;
    let email = input.address().map_err(|e| Problem::Validation(vec![e]))?;
    let by = Requester {
        actor: caller.actor(),
        client_addr: &meta.client_addr,
    };
    let erasure = customers::erase(p, &scope, &email, &by)
        .await
        .map_err(|e| match e {
            ErasureError::Booking(e) => super::bookings::booking_problem(e),
            ErasureError::InProgress => Problem::Conflict("erasure-in-progress"),
        })?;
    Ok(json_response(200, &erasure))
}
