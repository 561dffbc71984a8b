//! Lambda function for `POST /v1/auth/login/mfa/email`.

use bookwarden_functions::{lambda, routes::Handler};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(Handler::LoginMfaEmailCode).await
}
