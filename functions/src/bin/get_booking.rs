//! Lambda function for `GET /v1/tenants/{tenant_id}/bookings/{booking_id}`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("GetBooking", route!(handlers::bookings::get_booking)).await
}
