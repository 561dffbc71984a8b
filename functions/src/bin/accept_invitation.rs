//! Lambda function for `POST /v1/auth/invitations/accept`.

use bookwarden_functions::{handlers, lambda, route};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(
        "AcceptInvitation",
        route!(handlers::auth::accept_invitation),
    )
    .await
}
