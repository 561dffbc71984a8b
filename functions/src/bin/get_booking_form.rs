//! Lambda function for `GET /v1/tenants/{tenant_id}/booking-form`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(
        "GetBookingForm",
        route!(handlers::bookings::get_booking_form),
    )
    .await
}
