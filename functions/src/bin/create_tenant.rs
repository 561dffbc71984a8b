//! Lambda function for `POST /v1/tenants`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("CreateTenant", route!(handlers::tenants::create)).await
}
