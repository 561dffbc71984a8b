//! Lambda function for `POST /v1/tenants/{tenant_id}/bookings/{booking_id}/cancel`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("CancelBooking", route!(handlers::bookings::cancel_booking)).await
}
