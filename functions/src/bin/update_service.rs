//! Lambda function for `PATCH /v1/tenants/{tenant_id}/services/{service_id}`.

use bookwarden_functions::{lambda, routes::Handler};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(Handler::UpdateService).await
}
