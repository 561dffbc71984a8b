//! Lambda function for `POST /v1/auth/login`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("Login", route!(handlers::auth::login)).await
}
