//! The Lambda entry point of every route function.

use bookwarden_shared::{telemetry, Platform};
use lambda_http::{service_fn, Error, Request};

use crate::handlers::RouteFn;
use crate::routes::serve_route;

/// Builds the platform once per cold start, then serves `route` (named `name`
/// in logs) for every invocation of this function.
pub async fn run(name: &'static str, route: RouteFn) -> Result<(), Error> {
    telemetry::init();
    let platform = Platform::from_env().await?;
    let platform = &platform;
    lambda_http::run(service_fn(move |req: Request| async move {
        Ok::<_, std::convert::Infallible>(serve_route(platform, name, route, req).await)
    }))
    .await
}
