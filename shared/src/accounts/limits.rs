//! Limits on the unauthenticated doors of identity (AUTH-2, MAIL-4): per client
//! address, per recipient of verification mail, and a floor on how soon an
//! answer may leave so that its timing does not tell whether an account exists.

use std::time::{Duration, Instant};

use super::AccountsError;
use crate::clock::{now_unix, TypicalDuration};
use crate::crypto::{LookupKey, WrappedKey};
use crate::email::EmailAddress;
use crate::http::RequestMeta;
use crate::store::ThrottleKey;
use crate::Platform;

/// A limit: how many hits per window.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    /// Hits allowed per window.
    pub hits: i64,
    /// Window length in seconds.
    pub window_secs: i64,
}

/// Sign-ups one client address may make per hour.
pub const SIGNUPS_PER_CLIENT: Limit = Limit {
    hits: 10,
    window_secs: 3600,
};
/// Requests for a new verification link one client address may make per hour.
pub const VERIFICATION_RESENDS_PER_CLIENT: Limit = Limit {
    hits: 10,
    window_secs: 3600,
};
/// Verification messages (sign-up and resend together) one address may
/// receive per day, whoever asks: our domain must not become a mail cannon.
pub const VERIFICATION_MAILS_PER_RECIPIENT: Limit = Limit {
    hits: 3,
    window_secs: 86_400,
};

/// Counts one hit for `subject` under `action`; `false` past the limit.
async fn hit(
    p: &Platform,
    action: &str,
    subject: &str,
    limit: Limit,
) -> Result<bool, AccountsError> {
    let now = now_unix();
    let key = ThrottleKey {
        action,
        client: subject,
        window_start: now - now % limit.window_secs,
    };
    Ok(p.store.throttle(key, limit.hits, limit.window_secs).await?)
}

/// Counts one request from this client; 429 past the limit.
pub async fn per_client(
    p: &Platform,
    action: &str,
    meta: &RequestMeta,
    limit: Limit,
) -> Result<(), AccountsError> {
    if hit(p, action, &meta.client_addr, limit).await? {
        Ok(())
    } else {
        tracing::warn!(action, "client throttled");
        Err(AccountsError::TooManyRequests)
    }
}

/// Counts one verification message to `to`; `false` once the address has had
/// its share. The address appears in the counter's key only as a keyed hash.
pub async fn verification_mail_allowed(
    p: &Platform,
    to: &EmailAddress,
) -> Result<bool, AccountsError> {
    let digest = platform_lookup_key(p).await?.digest(&to.lookup_form());
    hit(
        p,
        "verification-mail",
        &digest,
        VERIFICATION_MAILS_PER_RECIPIENT,
    )
    .await
}

/// The platform's key for hashing addresses that belong to no tenant yet,
/// created (through KMS) on first use and kept wrapped in the table.
async fn platform_lookup_key(p: &Platform) -> Result<LookupKey, AccountsError> {
    if let Some(wrapped) = p.store.platform_lookup_key().await? {
        return Ok(p.envelope.platform_lookup_key(&WrappedKey(wrapped)).await?);
    }
    let (key, wrapped) = p.envelope.new_platform_lookup_key().await?;
    if p.store.create_platform_lookup_key(wrapped.0).await? {
        return Ok(key);
    }
    // Another request created it first: everyone must use the same key.
    let stored = p
        .store
        .platform_lookup_key()
        .await?
        .ok_or(AccountsError::Internal)?;
    Ok(p.envelope.platform_lookup_key(&WrappedKey(stored)).await?)
}

/// Holds an answer back until a floor after the request began, so the path
/// that found an account and did work (a transaction, a signature, a send) and
/// the path that found nothing leave at the same moment.
///
/// The floor is the larger of [`ACCOUNT_QUIET_ANSWER`] and twice the recent
/// typical duration of the work (a moving average per process): when the
/// dependencies slow down, both answers slow down together instead of the
/// working path standing out.
pub struct AnswerFloor(Instant);

/// The least time an answer that must not reveal an account takes. It sits
/// well above the work in normal operation (a few DynamoDB round trips, a KMS
/// signature and an SES call: tens of milliseconds).
pub const ACCOUNT_QUIET_ANSWER: Duration = Duration::from_millis(300);

static TYPICAL_WORK: TypicalDuration = TypicalDuration::new();

impl AnswerFloor {
    /// Starts the clock at the beginning of the request.
    pub fn start() -> Self {
        Self(Instant::now())
    }

    /// Records how long the real work took (call it on the path that did it).
    pub fn worked(&self) {
        TYPICAL_WORK.record(self.0.elapsed());
    }

    /// Waits until the floor has passed since the start.
    pub async fn wait(self) {
        let typical = TYPICAL_WORK.get();
        let floor = ACCOUNT_QUIET_ANSWER.max(typical.saturating_mul(2));
        tokio::time::sleep_until((self.0 + floor).into()).await;
    }
}
