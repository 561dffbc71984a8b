//! Prints the DNS records the sending domain needs (MAIL-2): SES's identity
//! verification CNAMEs (from SES v2 `GetEmailIdentity`), the DKIM key record
//! derived from the KMS public key, SPF, DMARC with `p=reject`, and the custom
//! MAIL FROM records when one is configured. Each record comes with its
//! purpose; `--json` prints the same records as JSON.
//!
//! Reads the same configuration as the functions (`MAIL_DOMAIN`, `DKIM_KEY_ID`,
//! `DKIM_SELECTOR`, AWS credentials; `AWS_ENDPOINT_URL` for the local stack),
//! plus the optional `DMARC_RUA`, a mailbox for DMARC aggregate reports.

use bookwarden_shared::email::{dns_records, EmailAddress, SesIdentity};
use bookwarden_shared::{aws, config::Config, Platform};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let json = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--json") => true,
        Some(_) => return Err("usage: dns_records [--json]".into()),
    };
    let dmarc_reports = match std::env::var("DMARC_RUA") {
        Ok(v) if !v.trim().is_empty() => Some(
            v.trim()
                .trim_start_matches("mailto:")
                .parse::<EmailAddress>()
                .map_err(|_| "DMARC_RUA is not an email address")?,
        ),
        _ => None,
    };
    let config = Config::from_env()?;
    let clients = aws::Clients::from_sdk_config(&aws::load_sdk_config().await);
    let ses = clients.ses.clone();
    let platform = Platform::new(config, clients);
    let config = &platform.config;
    let public_key = platform.mailer.dkim_public_key().await?;
    // Without the identity the SES records cannot be listed: fail rather than
    // print a listing that looks complete.
    let identity = SesIdentity::lookup(&ses, &config.mail_domain).await?;
    let records = dns_records(
        &config.mail_domain,
        &config.dkim_selector,
        &public_key,
        &identity,
        dmarc_reports.as_ref().map(EmailAddress::as_str),
    );
    let notes = identity.notes();

    if json {
        let out = serde_json::json!({
            "domain": config.mail_domain,
            "ses_identity": identity,
            "notes": notes,
            "records": records,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "; DNS records for the mail domain {} (SES region {}).",
        config.mail_domain, identity.region
    );
    println!(
        "; SES identity: verified for sending: {}; DKIM verification: {}; SES's own signing: {}.",
        if identity.verified_for_sending {
            "yes"
        } else {
            "no"
        },
        identity.dkim_status.as_deref().unwrap_or("unknown"),
        if identity.ses_signing {
            "on"
        } else {
            "off (Bookwarden signs through KMS)"
        }
    );
    for note in &notes {
        println!("; NOTE: {note}");
    }
    for record in &records {
        println!("\n; {}\n{}", record.purpose, record.zone_line());
    }
    Ok(())
}
