//! Lambda function for `GET /v1/public/tenants/{slug}`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("GetPublicTenant", route!(handlers::tenants::get_public)).await
}
