//! Lambda function for `POST /v1/tenants/{tenant_id}/me/mfa/recovery-codes`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(
        "RegenerateRecoveryCodes",
        route!(handlers::me::regenerate_recovery_codes),
    )
    .await
}
