//! Security notifications (ACC-3, AUTH-2): important changes are announced to
//! the account's registered address so an owner notices what they did not do.

use super::user::User;
use super::AccountsError;
use crate::email::outbox::Queued;
use crate::tenancy::TenantScope;
use crate::Platform;

/// Emails the user about a security-relevant change. A failure is logged and
/// does not undo the change: the change is already committed and audited.
/// Addresses nobody has proven to own get nothing (AUTH-4): an account signed
/// up with someone else's address must not make us mail that person.
pub async fn security_notice(
    p: &Platform,
    scope: &TenantScope,
    user: &User,
    subject: &str,
    what_happened: &str,
) {
    if !user.record.flag("email_verified") {
        tracing::info!(user_id = %user.id, "security notice not sent: address unverified");
        return;
    }
    if let Err(e) = send(p, scope, user, subject, what_happened).await {
        tracing::error!(user_id = %user.id, error = %e, "security notification not sent");
    }
}

async fn send(
    p: &Platform,
    scope: &TenantScope,
    user: &User,
    subject: &str,
    what_happened: &str,
) -> Result<(), AccountsError> {
    let to = user.email(p, scope).await?;
    let to_name = user.open_text(p, scope, "name").await?;
    let text = format!(
        "Hello {to_name},\r\n\r\n{what_happened}\r\n\r\n\
         If this was you, nothing else is needed. If it was not, reset your password now and \
         tell your business's owner.\r\n\r\n\
         You receive this message because it concerns the security of your account; it cannot \
         be unsubscribed.\r\n",
    );
    send_link(p, scope, to, to_name, subject, text).await
}

/// Queues one plain-text message (links, codes, notices) in the tenant's
/// outbox: the sender signs and sends it within a second, retries it when SES
/// or KMS fail, and the request never waits for either.
pub async fn send_link(
    p: &Platform,
    scope: &TenantScope,
    to: crate::email::EmailAddress,
    to_name: String,
    subject: &str,
    text: String,
) -> Result<(), AccountsError> {
    let message = Queued::to_address(&to, &to_name, subject.to_owned(), text);
    let entry = crate::email::outbox::entry(p, scope, &[message])
        .await
        .map_err(AccountsError::from)?;
    p.store.transact(vec![entry]).await?;
    Ok(())
}
