//! Lambda function for `POST /v1/auth/login/mfa/email`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(
        "LoginMfaEmailCode",
        route!(handlers::auth::login_mfa_email_code),
    )
    .await
}
