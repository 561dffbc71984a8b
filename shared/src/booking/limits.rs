//! Send limits (MAIL-4): a public booking route must not become a way to flood
//! someone's inbox or burn a tenant's sending reputation.

use super::bookings::BookingError;
use crate::email::EmailAddress;
use crate::store::ThrottleKey;
use crate::tenancy::TenantScope;
use crate::Platform;

/// Messages one recipient may get from one tenant per hour.
pub const PER_RECIPIENT_PER_HOUR: i64 = 10;
/// Messages one tenant may send per hour.
pub const PER_TENANT_PER_HOUR: i64 = 1000;
const HOUR: i64 = 3600;

/// Counts one message; refuses it past either limit. Recipients are counted by
/// the tenant's keyed hash, so no address (nor a hash anyone could recompute
/// from a guessed address) appears in a key.
pub async fn allow(
    p: &Platform,
    scope: &TenantScope,
    to: &EmailAddress,
) -> Result<(), BookingError> {
    let now = crate::clock::now_unix();
    let window_start = now - now % HOUR;
    let key = super::preferences::lookup(p, scope).await?;
    let recipient = super::preferences::recipient(&key, to);
    let per_recipient = ThrottleKey {
        action: "mail-recipient",
        client: &recipient,
        window_start,
    };
    let per_tenant = ThrottleKey {
        action: "mail-tenant",
        client: scope.tenant_id().as_str(),
        window_start,
    };
    if !p
        .store
        .throttle(per_recipient, PER_RECIPIENT_PER_HOUR, HOUR)
        .await?
        || !p
            .store
            .throttle(per_tenant, PER_TENANT_PER_HOUR, HOUR)
            .await?
    {
        tracing::warn!("message dropped by send limits");
        return Err(BookingError::TooManyRequests);
    }
    Ok(())
}
