//! Lambda function for the `Fallback` route.

use bookwarden_functions::{lambda, routes::Handler};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(Handler::Fallback).await
}
