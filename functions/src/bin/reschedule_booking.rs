//! Lambda function for `POST /v1/tenants/{tenant_id}/bookings/{booking_id}/reschedule`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(
        "RescheduleBooking",
        route!(handlers::bookings::reschedule_booking),
    )
    .await
}
