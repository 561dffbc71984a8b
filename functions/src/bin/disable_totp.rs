//! Lambda function for `DELETE /v1/tenants/{tenant_id}/me/mfa/totp`.

use bookwarden_functions::{lambda, routes::Handler};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(Handler::DisableTotp).await
}
