//! Lambda function for `DELETE /v1/tenants/{tenant_id}/api-keys/{key_id}`.

use bookwarden_functions::{lambda, routes::Handler};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(Handler::RevokeApiKey).await
}
