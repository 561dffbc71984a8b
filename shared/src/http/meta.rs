//! Request metadata taken from the API Gateway event: the request id that ties a
//! response to its log lines, and the client address for audit records.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

/// What the platform knows about who sent a request, before authentication.
#[derive(Clone, Debug)]
pub struct RequestMeta {
    /// API Gateway's request id (echoed as `x-request-id`).
    pub request_id: String,
    /// The client address API Gateway saw.
    pub client_addr: String,
    /// The client's User-Agent, truncated, for the session list.
    pub user_agent: String,
}

impl RequestMeta {
    /// Reads the API Gateway request context; a request without one (never in
    /// AWS) gets a fresh id so logs still correlate.
    pub fn from_request(req: &Request) -> Self {
        let user_agent: String = req
            .headers()
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect();
        let (request_id, client_addr) = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV1(ctx)) => (
                ctx.request_id.clone().unwrap_or_else(Self::fresh_id),
                ctx.identity.source_ip.clone().unwrap_or_default(),
            ),
            _ => (Self::fresh_id(), String::new()),
        };
        Self {
            request_id,
            client_addr,
            user_agent,
        }
    }

    /// A random request id, for requests that arrive without one and for the
    /// local gateway, which plays API Gateway's part.
    pub fn fresh_id() -> String {
        crate::crypto::hex(&crate::crypto::random_bytes::<16>())
    }
}
