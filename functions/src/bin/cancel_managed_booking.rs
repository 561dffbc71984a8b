//! Lambda function for `POST /v1/public/bookings/cancel`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(
        "CancelManagedBooking",
        route!(handlers::bookings::cancel_managed),
    )
    .await
}
