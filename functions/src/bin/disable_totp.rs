//! Lambda function for `DELETE /v1/tenants/{tenant_id}/me/mfa/totp`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("DisableTotp", route!(handlers::me::disable_totp)).await
}
