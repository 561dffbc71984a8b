//! Lambda function for `DELETE /v1/tenants/{tenant_id}/api-keys/{key_id}`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("RevokeApiKey", route!(handlers::api_keys::revoke)).await
}
