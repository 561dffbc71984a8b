//! Lambda function for `PATCH /v1/tenants/{tenant_id}/settings`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("UpdateSettings", route!(handlers::settings::update)).await
}
