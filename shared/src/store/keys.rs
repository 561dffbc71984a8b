//! Typed keys. A [`TenantKey`] can only be made from a [`TenantScope`], so a
//! tenant-less read or write of tenant data does not compile (ISO-2).

use crate::crypto::TokenHash;
use crate::tenancy::{Slug, TenantId, TenantScope, UserId};

/// The kinds of item a tenant owns.
#[derive(Clone, Copy, Debug)]
pub enum Entity<'a> {
    /// The tenant's own profile and security policy.
    Profile,
    /// One user.
    User(&'a UserId),
    /// A user's keyed email hash, pointing at the user.
    UserEmail(&'a str),
    /// One API key, by its public id.
    ApiKey(&'a str),
    /// One session of a user, by its public id.
    Session(&'a UserId, &'a str),
    /// A login waiting for its second factor, by its public id.
    MfaChallenge(&'a str),
    /// One audit event, by its sort key.
    AuditEvent(&'a str),
    /// The head of the tenant's audit chain (AUD-2): last sequence number and
    /// hash, the high-water sort key and what was anchored.
    AuditHead,
    /// One bookable service.
    Service(&'a str),
    /// A staff member's working hours.
    Schedule(&'a UserId),
    /// The tenant's extra booking-form questions.
    BookingForm,
    /// One booking.
    Booking(&'a str),
    /// A booking request's idempotency record, by the key's hash.
    Idempotency(&'a str),
    /// One claimed 5-minute unit of a staff member's time (BOOK-1).
    Claim(&'a UserId, i64),
    /// An imported busy block of a staff member.
    BusyBlock(&'a UserId, i64, &'a str),
    /// A message waiting in the durable outbox (MAIL-5).
    OutboxEntry(&'a str),
    /// A staff member's connected calendar, by id (CAL-1).
    CalendarConnection(&'a str),
    /// A calendar authorization waiting for the provider's callback, by the
    /// keyed hash of its `state` (CAL-1).
    CalendarAuthorization(&'a str),
    /// One busy block imported by a connection: connection id, block id.
    CalendarBlock(&'a str, &'a str),
    /// A recipient who unsubscribed from reminder-type mail, by keyed hash.
    Unsubscribed(&'a str),
    /// A recipient whose mail bounced permanently or who complained, by keyed
    /// hash: nothing more is sent to them (MAIL-4).
    Suppressed(&'a str),
    /// A data export (PRIV-1): its status, counts and resumable progress.
    Export(&'a str),
    /// The one running export of a subject (`tenant`, or `customer#<hash>`)
    /// of a tenant, naming it, so that a retry finds it instead of starting
    /// another (PRIV-1).
    ExportLock(&'a str),
}

/// Sort keys that order by time: zero-padded seconds.
pub fn time_key(secs: i64) -> String {
    format!("{secs:012}")
}

/// A listable set of a tenant's items: one partition, optionally narrowed to a
/// sort-key prefix.
#[derive(Clone, Copy, Debug)]
pub enum Collection<'a> {
    /// All users.
    Users,
    /// All API keys.
    ApiKeys,
    /// One user's sessions.
    Sessions(&'a UserId),
    /// Logins of any user waiting for their second factor.
    MfaChallenges,
    /// The audit log, newest first.
    Audit,
    /// The audit log, oldest first (sequencing and verifying the chain).
    AuditOldestFirst,
    /// All services.
    Services,
    /// What booking needs of a tenant in one Query: the profile, services,
    /// staff hours and booking form, whose sort keys all begin with `TENANT`.
    TenantContext,
    /// A staff member's claimed units, by time.
    Claims(&'a UserId),
    /// A staff member's busy blocks, by start time.
    BusyBlocks(&'a UserId),
    /// Every calendar connection of the tenant.
    CalendarConnections,
    /// The busy blocks one connection imported.
    CalendarBlocks(&'a str),
    /// Every booking of the tenant, by id (exports page through them).
    Bookings,
    /// The tenant's outbox: queued, sent and given-up messages.
    Outbox,
}

impl Collection<'_> {
    pub(crate) fn pk(self, scope: &TenantScope) -> String {
        let t = scope.tenant_id();
        match self {
            Collection::Users | Collection::ApiKeys | Collection::MfaChallenges => format!("T#{t}"),
            Collection::Sessions(u) => format!("T#{t}#SESS#{u}"),
            Collection::Audit | Collection::AuditOldestFirst => format!("T#{t}#AUDIT"),
            Collection::Services | Collection::TenantContext | Collection::Bookings => {
                format!("T#{t}")
            }
            Collection::Outbox => format!("T#{t}#OUTBOX"),
            Collection::Claims(u) => format!("T#{t}#CLAIM#{u}"),
            Collection::BusyBlocks(u) => format!("T#{t}#BUSY#{u}"),
            Collection::CalendarConnections => format!("T#{t}#CAL"),
            Collection::CalendarBlocks(c) => format!("T#{t}#CAL#{c}"),
        }
    }

    pub(crate) fn sk_prefix(self) -> &'static str {
        match self {
            Collection::Users => "USER#",
            Collection::ApiKeys => "APIKEY#",
            Collection::Services => "TENANT#SERVICE#",
            Collection::TenantContext => "TENANT",
            Collection::MfaChallenges => "MFA#",
            Collection::CalendarConnections => "CONN#",
            Collection::Bookings => "BOOKING#",
            Collection::Sessions(_)
            | Collection::Outbox
            | Collection::Audit
            | Collection::AuditOldestFirst
            | Collection::Claims(_)
            | Collection::BusyBlocks(_)
            | Collection::CalendarBlocks(_) => "",
        }
    }

    /// Newest first where sort keys are times; stable order otherwise.
    pub(crate) fn newest_first(self) -> bool {
        matches!(self, Collection::Audit)
    }
}

/// The key of an item of tenant data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantKey {
    tenant: TenantId,
    pk: String,
    sk: String,
}

impl TenantKey {
    /// The key of `entity` inside the scope's tenant.
    pub fn new(scope: &TenantScope, entity: Entity<'_>) -> Self {
        let t = scope.tenant_id();
        let core = format!("T#{t}");
        let (pk, sk) = match entity {
            Entity::Profile => (core, "TENANT".to_owned()),
            Entity::User(u) => (core, format!("USER#{u}")),
            Entity::UserEmail(h) => (core, format!("EMAIL#{h}")),
            Entity::ApiKey(id) => (core, format!("APIKEY#{id}")),
            Entity::MfaChallenge(id) => (core, format!("MFA#{id}")),
            Entity::Session(u, id) => (Collection::Sessions(u).pk(scope), id.to_owned()),
            Entity::AuditEvent(sk) => (Collection::Audit.pk(scope), sk.to_owned()),
            Entity::AuditHead => (format!("T#{t}#AUDITHEAD"), "HEAD".to_owned()),
            Entity::Service(id) => (core, format!("TENANT#SERVICE#{id}")),
            Entity::Schedule(u) => (core, format!("TENANT#SCHEDULE#{u}")),
            Entity::BookingForm => (core, "TENANT#FORM".to_owned()),
            Entity::Booking(id) => (core, format!("BOOKING#{id}")),
            Entity::Idempotency(h) => (core, format!("IDEM#{h}")),
            Entity::Export(id) => (core, format!("EXPORT#{id}")),
            Entity::ExportLock(subject) => (core, format!("EXPORTLOCK#{subject}")),
            Entity::Claim(u, unit) => (Collection::Claims(u).pk(scope), time_key(unit)),
            Entity::Unsubscribed(h) => (core.clone(), format!("UNSUB#{h}")),
            Entity::Suppressed(h) => (core.clone(), format!("SUPPRESS#{h}")),
            Entity::OutboxEntry(id) => (format!("T#{t}#OUTBOX"), id.to_owned()),
            Entity::CalendarConnection(id) => (
                Collection::CalendarConnections.pk(scope),
                format!("CONN#{id}"),
            ),
            Entity::CalendarAuthorization(h) => (
                Collection::CalendarConnections.pk(scope),
                format!("AUTHZ#{h}"),
            ),
            Entity::CalendarBlock(c, id) => {
                (Collection::CalendarBlocks(c).pk(scope), id.to_owned())
            }
            Entity::BusyBlock(u, start, id) => (
                Collection::BusyBlocks(u).pk(scope),
                format!("{}#{id}", time_key(start)),
            ),
        };
        Self {
            tenant: t.clone(),
            pk,
            sk,
        }
    }

    /// The key of an item found in one of the scope's partitions (the purge
    /// deletes items it did not name); `None` when the partition is not the
    /// scope's.
    pub(crate) fn found(scope: &TenantScope, pk: &str, sk: &str) -> Option<Self> {
        let own = format!("T#{}", scope.tenant_id());
        let inside = pk == own
            || pk
                .strip_prefix(&own)
                .is_some_and(|rest| rest.starts_with('#'));
        inside.then(|| Self {
            tenant: scope.tenant_id().clone(),
            pk: pk.to_owned(),
            sk: sk.to_owned(),
        })
    }

    /// Partition key.
    pub fn pk(&self) -> String {
        self.pk.clone()
    }

    /// Sort key.
    pub fn sk(&self) -> String {
        self.sk.clone()
    }

    /// Partition key as a borrowed string, for binding ciphertexts to the item.
    pub fn pk_str(&self) -> &str {
        &self.pk
    }

    /// Sort key as a borrowed string.
    pub fn sk_str(&self) -> &str {
        &self.sk
    }

    /// The owning tenant.
    pub fn tenant_id(&self) -> &TenantId {
        &self.tenant
    }
}

/// The named global lookups (ISO-2): the only keys not under a tenant. Each
/// pointer holds a tenant id and at most a user id and an item id, except the
/// session and API key records, which hold what authenticating needs.
#[derive(Clone, Debug)]
pub enum GlobalKey {
    /// Public slug to tenant.
    Slug(Slug),
    /// Email verification token hash to tenant and user.
    EmailVerification(TokenHash),
    /// Session token hash to the session record (tenant, user, session id,
    /// role, restriction, lifetimes).
    Session(TokenHash),
    /// Pending second-factor token hash to tenant, user and challenge id.
    MfaChallenge(TokenHash),
    /// Password reset token hash to tenant and user.
    PasswordReset(TokenHash),
    /// Invitation token hash to tenant and user.
    Invitation(TokenHash),
    /// API key secret hash to the key record (tenant, creator, key id, role,
    /// scopes, expiry).
    ApiKey(TokenHash),
    /// Email change confirmation token hash to tenant and user.
    EmailChange(TokenHash),
    /// A customer's manage-booking token hash to tenant and booking id.
    ManageBooking(TokenHash),
}

impl GlobalKey {
    pub(crate) fn pk(&self) -> String {
        match self {
            GlobalKey::Slug(s) => format!("SLUG#{}", s.as_str()),
            GlobalKey::EmailVerification(h) => format!("EVT#{}", h.as_str()),
            GlobalKey::Session(h) => format!("SESS#{}", h.as_str()),
            GlobalKey::MfaChallenge(h) => format!("MFA#{}", h.as_str()),
            GlobalKey::PasswordReset(h) => format!("PWR#{}", h.as_str()),
            GlobalKey::Invitation(h) => format!("INV#{}", h.as_str()),
            GlobalKey::ApiKey(h) => format!("KEY#{}", h.as_str()),
            GlobalKey::EmailChange(h) => format!("EMC#{}", h.as_str()),
            GlobalKey::ManageBooking(h) => format!("MBK#{}", h.as_str()),
        }
    }

    pub(crate) fn sk(&self) -> String {
        "POINTER".to_owned()
    }
}

/// A rate-limit counter for one client address in one time window. Not tenant
/// data: it carries no tenant and is named here so that it is listed.
#[derive(Clone, Copy, Debug)]
pub struct ThrottleKey<'a> {
    /// What is limited, e.g. `login`.
    pub action: &'a str,
    /// The client address.
    pub client: &'a str,
    /// The window's start, in seconds.
    pub window_start: i64,
}

impl ThrottleKey<'_> {
    pub(crate) fn pk(&self) -> String {
        format!("THR#{}#{}#{}", self.action, self.client, self.window_start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tenant_key_starts_with_its_tenant() {
        let scope = TenantScope::for_new_tenant();
        let user = UserId::generate();
        for entity in [
            Entity::Profile,
            Entity::User(&user),
            Entity::UserEmail("abc"),
            Entity::ApiKey("k"),
            Entity::Session(&user, "s"),
            Entity::MfaChallenge("m"),
            Entity::AuditEvent("x"),
            Entity::AuditHead,
        ] {
            let key = TenantKey::new(&scope, entity);
            assert!(
                key.pk().starts_with(&format!("T#{}", scope.tenant_id())),
                "{key:?}"
            );
            assert_eq!(key.tenant_id(), scope.tenant_id());
        }
    }
}
