//! Lambda function for `GET /v1/tenants/{tenant_id}/bookings`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("ListBookings", route!(handlers::bookings::list_bookings)).await
}
