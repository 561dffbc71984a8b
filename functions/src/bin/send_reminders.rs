//! Scheduled Lambda function: queues the reminders that are due (MAIL-3).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    bookwarden_functions::jobs::run_reminder_lambda().await
}
