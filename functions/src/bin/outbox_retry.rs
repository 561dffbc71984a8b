//! Scheduled Lambda function: retries messages waiting in the outbox (MAIL-5).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    bookwarden_functions::jobs::run_outbox_lambda().await
}
