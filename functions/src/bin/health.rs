//! Lambda function for `GET /health`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("Health", route!(handlers::health::get)).await
}
