//! Lambda function for `GET /v1/tenants/{tenant_id}/me/sessions`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("ListSessions", route!(handlers::me::list_sessions)).await
}
