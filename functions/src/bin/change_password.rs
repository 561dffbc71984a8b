//! Lambda function for `POST /v1/tenants/{tenant_id}/me/password`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("ChangePassword", route!(handlers::me::change_password)).await
}
