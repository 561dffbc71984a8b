//! Lambda function for `POST /v1/public/bookings/reschedule`.

use bookwarden_functions::{lambda, routes::Handler};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(Handler::RescheduleManagedBooking).await
}
