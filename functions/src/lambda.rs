//! The Lambda entry point shared by every route binary.

use bookwarden_shared::{telemetry, Platform};
use lambda_http::{service_fn, Error, Request};

use crate::routes::{serve, Handler};

/// Builds the platform once per cold start, then serves `handler` for every
/// invocation of this function.
pub async fn run(handler: Handler) -> Result<(), Error> {
    telemetry::init();
    let platform = Platform::from_env().await?;
    let platform = &platform;
    lambda_http::run(service_fn(move |req: Request| async move {
        Ok::<_, std::convert::Infallible>(serve(platform, handler, req).await)
    }))
    .await
}
