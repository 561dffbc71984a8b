//! Liveness: the function starts and answers; it touches no dependency so that a
//! load balancer's probe never costs a DynamoDB or KMS call.

use bookwarden_shared::http::{json_response, RequestMeta};
use bookwarden_shared::Platform;
use lambda_http::Request;

use super::Outcome;

/// `GET /health`
pub async fn get(_p: &Platform, _req: &Request, _meta: &RequestMeta) -> Outcome {
    Ok(json_response(200, &serde_json::json!({ "status": "ok" })))
}

/// `GET /openapi.json`: the API's description, public like the API's shape.
pub async fn openapi(_p: &Platform, _req: &Request, _meta: &RequestMeta) -> Outcome {
    let mut response = lambda_http::Response::new(lambda_http::Body::Text(crate::openapi::json()));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    Ok(response)
}
