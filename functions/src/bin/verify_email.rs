//! Lambda function for `POST /v1/auth/verify-email`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("VerifyEmail", route!(handlers::auth::verify_email)).await
}
