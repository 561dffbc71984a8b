//! Lambda function for `GET /v1/tenants/{tenant_id}/audit`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("ListAudit", route!(handlers::audit::list)).await
}
