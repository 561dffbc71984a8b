//! Lambda function for `DELETE /v1/tenants/{tenant_id}/me/sessions/{session_id}`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("EndSession", route!(handlers::me::end_session)).await
}
