//! Lambda function for `POST /v1/auth/logout`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("Logout", route!(handlers::auth::logout)).await
}
