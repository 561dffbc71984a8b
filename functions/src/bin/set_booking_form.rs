//! Lambda function for `PUT /v1/tenants/{tenant_id}/booking-form`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(
        "SetBookingForm",
        route!(handlers::bookings::set_booking_form),
    )
    .await
}
