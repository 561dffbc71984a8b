//! Lambda function for `PATCH /v1/tenants/{tenant_id}/users/{user_id}`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("ChangeUserRole", route!(handlers::users::change_role)).await
}
