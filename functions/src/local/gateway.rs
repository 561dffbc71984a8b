//! A local stand-in for API Gateway: routes HTTP requests to the in-process
//! handlers exactly as template.yaml routes them to functions in AWS.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;

use bookwarden_shared::Platform;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayProxyRequestContext, ApiGatewayRequestIdentity,
};
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};
use tokio::net::TcpListener;

use crate::routes::{fallback_routes, match_route, serve, Handler, Match, ROUTES};

/// API Gateway's own payload limit; handlers apply their stricter limits.
const GATEWAY_BODY_LIMIT: usize = 10 * 1024 * 1024;

/// The (method, path) pairs this gateway serves: every route plus the fallback
/// function's catch-alls, in template.yaml's terms.
pub fn served_routes() -> Vec<(String, String)> {
    let mut routes: Vec<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.as_str().to_owned(), r.path.to_owned()))
        .collect();
    routes.extend(fallback_routes());
    routes
}

/// Serves connections from `listener` until the task is dropped.
pub async fn run(listener: TcpListener, platform: Platform) -> std::io::Result<()> {
    let platform = std::sync::Arc::new(platform);
    loop {
        let (stream, peer) = listener.accept().await?;
        let platform = platform.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let platform = platform.clone();
                async move { Ok::<_, Infallible>(handle(&platform, req, peer).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(
    platform: &Platform,
    req: hyper::Request<Incoming>,
    peer: SocketAddr,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let bytes = match Limited::new(body, GATEWAY_BODY_LIMIT).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return plain(413, "Request Entity Too Large"),
    };
    let response = dispatch(platform, parts, bytes.to_vec(), peer).await;
    let (parts, body) = response.into_parts();
    hyper::Response::from_parts(parts, Full::new(Bytes::from(body.to_vec())))
}

/// Turns an HTTP request into the event API Gateway would deliver (request id,
/// source address, path parameters) and runs the function that serves it.
pub async fn dispatch(
    platform: &Platform,
    parts: http::request::Parts,
    body: Vec<u8>,
    peer: SocketAddr,
) -> lambda_http::Response<Body> {
    let body = match String::from_utf8(body) {
        Ok(text) if text.is_empty() => Body::Empty,
        Ok(text) => Body::Text(text),
        Err(e) => Body::Binary(e.into_bytes()),
    };
    let (handler, params) = match match_route(&parts.method, parts.uri.path()) {
        Match::Found(route, params) => (route.handler, params),
        _ => (Handler::Fallback, HashMap::new()),
    };
    let mut context = ApiGatewayProxyRequestContext::default();
    context.request_id = Some(bookwarden_shared::http::RequestMeta::fresh_id());
    let mut identity = ApiGatewayRequestIdentity::default();
    identity.source_ip = Some(peer.ip().to_string());
    context.identity = identity;
    let query: HashMap<String, String> = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let request = lambda_http::Request::from_parts(parts, body)
        .with_query_string_parameters(query)
        .with_path_parameters(params)
        .with_request_context(RequestContext::ApiGatewayV1(context));
    serve(platform, handler, request).await
}

fn plain(status: u16, text: &'static str) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    response
}
