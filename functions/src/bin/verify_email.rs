//! Lambda function for the `VerifyEmail` route.

use bookwarden_functions::{lambda, routes::Handler};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(Handler::VerifyEmail).await
}
