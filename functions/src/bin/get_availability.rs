//! Lambda function for `GET /v1/public/tenants/{slug}/availability`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(
        "GetAvailability",
        route!(handlers::bookings::get_availability),
    )
    .await
}
