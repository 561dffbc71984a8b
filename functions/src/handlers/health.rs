//! Liveness: the function starts and answers; it touches no dependency so that a
//! load balancer's probe never costs a DynamoDB or KMS call.

use bookwarden_shared::http::{json_response, Problem};
use lambda_http::{Body, Response};

/// `GET /health`
pub fn get() -> Result<Response<Body>, Problem> {
    Ok(json_response(200, &serde_json::json!({ "status": "ok" })))
}
