//! Lambda function for `GET /v1/tenants/{tenant_id}/services`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("ListServices", route!(handlers::bookings::list_services)).await
}
