//! Prints the DNS records the sending domain needs (MAIL-2): the DKIM key record
//! derived from the KMS public key, SPF for SES, and DMARC with `p=reject`.
//!
//! Reads the same configuration as the functions (`MAIL_DOMAIN`, `DKIM_KEY_ID`,
//! `DKIM_SELECTOR`, AWS credentials; `AWS_ENDPOINT_URL` for the local stack).

use bookwarden_shared::email::dns_records;
use bookwarden_shared::Platform;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let platform = Platform::from_env().await?;
    let public_key = platform.mailer.dkim_public_key().await?;
    let config = &platform.config;
    for record in dns_records(&config.mail_domain, &config.dkim_selector, &public_key) {
        println!(
            "; {}\n{}. 3600 IN TXT \"{}\"\n",
            record.purpose, record.name, record.value
        );
    }
    Ok(())
}
