//! Lambda function for `POST /v1/tenants/{tenant_id}/users/{user_id}/deactivate`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("DeactivateUser", route!(handlers::users::deactivate)).await
}
