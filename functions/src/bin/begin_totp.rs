//! Lambda function for `POST /v1/tenants/{tenant_id}/me/mfa/totp`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("BeginTotp", route!(handlers::me::begin_totp)).await
}
