//! Lambda function for `PUT /v1/tenants/{tenant_id}/staff/{user_id}/schedule`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("SetSchedule", route!(handlers::bookings::set_schedule)).await
}
