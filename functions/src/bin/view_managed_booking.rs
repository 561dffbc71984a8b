//! Lambda function for `POST /v1/public/bookings/view`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(
        "ViewManagedBooking",
        route!(handlers::bookings::view_managed),
    )
    .await
}
