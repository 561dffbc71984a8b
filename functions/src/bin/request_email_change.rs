//! Lambda function for `POST /v1/tenants/{tenant_id}/me/email`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(
        "RequestEmailChange",
        route!(handlers::me::request_email_change),
    )
    .await
}
