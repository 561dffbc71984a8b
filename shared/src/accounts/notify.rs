//! Security notifications (ACC-3, AUTH-2) and account links: important changes
//! are announced to the account's registered address so an owner notices what
//! they did not do. Every message comes from the catalog and leaves through
//! the outbox (MAIL-5); a notice is written in the transaction of the change
//! it reports wherever the change is one transaction here.

use super::user::User;
use super::AccountsError;
use crate::email::outbox::Queued;
use crate::email::EmailAddress;
use crate::i18n::{Mail, SecurityEvent, When};
use crate::store::Write;
use crate::tenancy::TenantScope;
use crate::Platform;

fn notice(event: SecurityEvent) -> Mail {
    Mail::Security {
        // The sender fills in the name, the business and its zone.
        name: String::new(),
        business: String::new(),
        at: When {
            unix: crate::clock::now_unix(),
            zone: chrono_tz::Tz::UTC,
        },
        event,
    }
}

/// The outbox write of a notice to `user` about `event`, for the transaction
/// of the change it reports: the notice exists exactly when the change does.
/// The sender mails it only to an address the user has proven (AUTH-4).
pub async fn security_notice(
    p: &Platform,
    scope: &TenantScope,
    user: &User,
    event: SecurityEvent,
) -> Result<Write, AccountsError> {
    Ok(
        crate::email::outbox::entry(p, scope, &[Queued::notice_to_user(&user.id, notice(event))])
            .await?,
    )
}

/// The outbox write of a notice to an address the user is leaving (an email
/// change is reported to the old inbox).
pub async fn security_notice_to(
    p: &Platform,
    scope: &TenantScope,
    to: &EmailAddress,
    name: &str,
    event: SecurityEvent,
) -> Result<Write, AccountsError> {
    Ok(
        crate::email::outbox::entry(p, scope, &[Queued::account_mail(to, name, notice(event))])
            .await?,
    )
}

/// Queues a notice about a change that committed in a transaction of its own
/// (a session rotation after it); a failure is logged and does not undo the
/// change, which is already committed and audited.
pub async fn queue_security_notice(
    p: &Platform,
    scope: &TenantScope,
    user: &User,
    event: SecurityEvent,
) {
    let queued = match security_notice(p, scope, user, event).await {
        Ok(write) => p
            .store
            .transact(vec![write])
            .await
            .map_err(AccountsError::from),
        Err(e) => Err(e),
    };
    if let Err(e) = queued {
        tracing::error!(user_id = %user.id, error = %e, "security notification not queued");
    }
}

/// The outbox write of an account message (link or code) to `to`.
pub async fn account_mail(
    p: &Platform,
    scope: &TenantScope,
    to: &EmailAddress,
    name: &str,
    mail: Mail,
) -> Result<Write, AccountsError> {
    Ok(crate::email::outbox::entry(p, scope, &[Queued::account_mail(to, name, mail)]).await?)
}

/// The outbox write of one notice to each of `users` (every owner, when the
/// business as a whole is concerned), for the transaction of the change.
pub async fn notice_to_users(
    p: &Platform,
    scope: &TenantScope,
    users: &[crate::tenancy::UserId],
    event: SecurityEvent,
) -> Result<Write, AccountsError> {
    let messages: Vec<Queued> = users
        .iter()
        .map(|u| Queued::notice_to_user(u, notice(event.clone())))
        .collect();
    Ok(crate::email::outbox::entry(p, scope, &messages).await?)
}
