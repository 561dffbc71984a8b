//! Lambda function for `POST /v1/auth/email-change/confirm`.

use bookwarden_functions::{lambda, routes::Handler};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(Handler::ConfirmEmailChange).await
}
