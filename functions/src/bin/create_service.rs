//! Lambda function for `POST /v1/tenants/{tenant_id}/services`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("CreateService", route!(handlers::bookings::create_service)).await
}
