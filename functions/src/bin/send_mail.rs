//! Stream-driven Lambda function: signs and sends what the outbox holds (MAIL-5).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    bookwarden_functions::jobs::run_sender_lambda().await
}
