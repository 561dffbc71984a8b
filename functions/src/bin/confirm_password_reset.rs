//! Lambda function for `POST /v1/auth/password-reset/confirm`.

use bookwarden_functions::{lambda, routes::Handler};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(Handler::ConfirmPasswordReset).await
}
