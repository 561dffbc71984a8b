//! Lambda function for `POST /v1/auth/password-reset`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(
        "RequestPasswordReset",
        route!(handlers::auth::request_password_reset),
    )
    .await
}
