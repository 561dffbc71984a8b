//! Lambda function for `PATCH /v1/tenants/{tenant_id}/me`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("UpdateMe", route!(handlers::me::update)).await
}
