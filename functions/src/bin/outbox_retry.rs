//! Scheduled Lambda function: the outbox safety net, sending what the stream
//! sender has not (MAIL-5).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    bookwarden_functions::jobs::run_outbox_lambda().await
}
