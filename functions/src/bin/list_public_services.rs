//! Lambda function for `GET /v1/public/tenants/{slug}/services`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(
        "ListPublicServices",
        route!(handlers::bookings::list_public_services),
    )
    .await
}
