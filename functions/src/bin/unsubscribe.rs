//! Lambda function for `POST /v1/public/tenants/{slug}/unsubscribe`.

use bookwarden_functions::{lambda, routes::Handler};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(Handler::Unsubscribe).await
}
