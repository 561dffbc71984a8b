//! Lambda function for `PATCH /v1/tenants/{tenant_id}/services/{service_id}`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("UpdateService", route!(handlers::bookings::update_service)).await
}
