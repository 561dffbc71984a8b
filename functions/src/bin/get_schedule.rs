//! Lambda function for `GET /v1/tenants/{tenant_id}/staff/{user_id}/schedule`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("GetSchedule", route!(handlers::bookings::get_schedule)).await
}
