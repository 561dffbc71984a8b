//! Lambda function for `POST /v1/auth/password-reset/confirm`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(
        "ConfirmPasswordReset",
        route!(handlers::auth::confirm_password_reset),
    )
    .await
}
