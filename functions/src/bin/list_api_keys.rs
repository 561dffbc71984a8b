//! Lambda function for `GET /v1/tenants/{tenant_id}/api-keys`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("ListApiKeys", route!(handlers::api_keys::list)).await
}
