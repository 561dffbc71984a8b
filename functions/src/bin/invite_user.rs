//! Lambda function for `POST /v1/tenants/{tenant_id}/users`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run("InviteUser", route!(handlers::users::invite)).await
}
