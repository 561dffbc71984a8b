//! Lambda function for `GET /openapi.json`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("OpenApi", route!(handlers::health::openapi)).await
}
