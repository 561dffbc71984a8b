//! Lambda function for every request no route serves: 404 or 405.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("Fallback", route!(handlers::fallback::handle)).await
}
