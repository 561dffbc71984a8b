//! Lambda function for `POST /v1/public/bookings/reschedule`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(
        "RescheduleManagedBooking",
        route!(handlers::bookings::reschedule_managed),
    )
    .await
}
