//! Lambda function for `PATCH /v1/tenants/{tenant_id}/me`.

use bookwarden_functions::{lambda, routes::Handler};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(Handler::UpdateMe).await
}
