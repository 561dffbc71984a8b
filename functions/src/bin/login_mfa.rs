//! Lambda function for `POST /v1/auth/login/mfa`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("LoginMfa", route!(handlers::auth::login_mfa)).await
}
