//! Lambda function for `POST /v1/auth/verify-email/resend`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(
        "ResendVerification",
        route!(handlers::auth::resend_verification),
    )
    .await
}
