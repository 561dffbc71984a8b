//! Lambda function for `GET /v1/tenants/{tenant_id}/users`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("ListUsers", route!(handlers::users::list)).await
}
