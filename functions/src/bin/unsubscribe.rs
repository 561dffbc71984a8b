//! Lambda function for `POST /v1/public/tenants/{slug}/unsubscribe`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("Unsubscribe", route!(handlers::bookings::unsubscribe)).await
}
