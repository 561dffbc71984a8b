//! Lambda function for `POST /v1/auth/email-change/confirm`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(
        "ConfirmEmailChange",
        route!(handlers::auth::confirm_email_change),
    )
    .await
}
