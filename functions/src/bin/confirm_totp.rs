//! Lambda function for `POST /v1/tenants/{tenant_id}/me/mfa/totp/confirm`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("ConfirmTotp", route!(handlers::me::confirm_totp)).await
}
