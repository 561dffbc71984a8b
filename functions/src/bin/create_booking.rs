//! Lambda function for `POST /v1/public/tenants/{slug}/bookings`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("CreateBooking", route!(handlers::bookings::create_booking)).await
}
