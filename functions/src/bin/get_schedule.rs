//! Lambda function for `GET /v1/tenants/{tenant_id}/staff/{user_id}/schedule`.

use bookwarden_functions::{lambda, routes::Handler};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(Handler::GetSchedule).await
}
