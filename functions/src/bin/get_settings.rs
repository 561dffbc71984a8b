//! Lambda function for `GET /v1/tenants/{tenant_id}/settings`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("GetSettings", route!(handlers::settings::get)).await
}
