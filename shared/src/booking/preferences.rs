//! One-click unsubscribe (RFC 8058) from reminder-type mail. Links name the
//! recipient by a keyed hash and carry a signature made with the tenant's
//! lookup key, so nobody can unsubscribe someone else or learn an address.

use super::bookings::BookingError;
use crate::accounts::user;
use crate::audit::{AuditEvent, Outcome};
use crate::email::EmailAddress;
use crate::store::{Attrs, Condition, Entity, TenantKey, Write};
use crate::tenancy::TenantScope;
use crate::Platform;

/// The tenant's key for keyed hashes of its recipients' addresses.
pub(crate) async fn lookup(
    p: &Platform,
    scope: &TenantScope,
) -> Result<crate::crypto::LookupKey, BookingError> {
    let tenant = user::tenant(p, scope)
        .await
        .map_err(|_| BookingError::Unavailable)?;
    tenant
        .lookup_key(p, scope)
        .await
        .map_err(|_| BookingError::Unavailable)
}

/// A recipient's keyed hash: how every stored derivative of an address names it.
pub(crate) fn recipient(key: &crate::crypto::LookupKey, email: &EmailAddress) -> String {
    key.digest(&format!("recipient:{}", email.lookup_form()))
}

fn signature(key: &crate::crypto::LookupKey, recipient: &str) -> String {
    key.digest(&format!("unsubscribe:{recipient}"))
}

/// The links that turn a recipient's reminders off.
pub struct UnsubscribeLinks {
    /// RFC 8058 one-click address for `List-Unsubscribe` (POSTed by the
    /// mail client).
    pub one_click: String,
    /// The email-preferences page, with the signed recipient in the
    /// fragment, for the link in the message's text.
    pub page: String,
}

/// The unsubscribe links for a recipient of this tenant.
pub async fn unsubscribe_links(
    p: &Platform,
    scope: &TenantScope,
    email: &EmailAddress,
) -> Result<UnsubscribeLinks, BookingError> {
    let key = lookup(p, scope).await?;
    let slug = user::tenant(p, scope)
        .await
        .map_err(|_| BookingError::Unavailable)?
        .profile
        .optional_string("slug")
        .unwrap_or_default()
        .to_owned();
    let r = recipient(&key, email);
    let sig = signature(&key, &r);
    let base = p.config.app_base_url.trim_end_matches('/');
    Ok(UnsubscribeLinks {
        one_click: format!("{base}/v1/public/tenants/{slug}/unsubscribe?recipient={r}&sig={sig}"),
        page: format!("{base}/email-preferences#tenant={slug}&recipient={r}&sig={sig}"),
    })
}

/// Whether the recipient unsubscribed from this tenant's reminders.
pub async fn is_unsubscribed(
    p: &Platform,
    scope: &TenantScope,
    email: &EmailAddress,
) -> Result<bool, BookingError> {
    let key = lookup(p, scope).await?;
    let r = recipient(&key, email);
    Ok(p.store
        .get(scope, &TenantKey::new(scope, Entity::Unsubscribed(&r)))
        .await?
        .is_some())
}

/// Records an unsubscribe from a signed link; a wrong signature is `NotFound`.
pub async fn unsubscribe(
    p: &Platform,
    scope: &TenantScope,
    recipient_hash: &str,
    sig: &str,
    client_addr: &str,
) -> Result<(), BookingError> {
    let key = lookup(p, scope).await?;
    let well_formed =
        recipient_hash.len() == 64 && recipient_hash.bytes().all(|b| b.is_ascii_hexdigit());
    let expected = signature(&key, recipient_hash);
    // Constant-time comparison of the two hex strings.
    let matches = expected.len() == sig.len()
        && expected
            .bytes()
            .zip(sig.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !well_formed || !matches {
        return Err(BookingError::NotFound);
    }
    p.store
        .transact(vec![
            Write::Put(
                TenantKey::new(scope, Entity::Unsubscribed(recipient_hash)),
                Attrs::new().number("at", crate::clock::now_unix()),
                Condition::None,
            ),
            AuditEvent {
                kind: "mail",
                action: "mail.unsubscribed",
                actor: "recipient".into(),
                target: recipient_hash.chars().take(16).collect(),
                client_addr: client_addr.to_owned(),
                outcome: Outcome::Success,
            }
            .write(scope),
        ])
        .await?;
    Ok(())
}
