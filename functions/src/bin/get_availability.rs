//! Lambda function for `GET /v1/public/tenants/{slug}/availability`.

use bookwarden_functions::{lambda, routes::Handler};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(Handler::GetAvailability).await
}
