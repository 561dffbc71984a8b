//! Lambda function for SES bounce and complaint events: suppresses the
//! recipients for the sending tenant (MAIL-4).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    bookwarden_functions::jobs::run_feedback_lambda().await
}
