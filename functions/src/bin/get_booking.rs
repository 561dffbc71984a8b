//! Lambda function for `GET /v1/tenants/{tenant_id}/bookings/{booking_id}`.

use bookwarden_functions::{lambda, routes::Handler};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(Handler::GetBooking).await
}
