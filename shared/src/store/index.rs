//! The table's two global secondary indexes, both sparse: an item is in an
//! index only while it carries that index's key attributes.
//!
//! - `Timeline` (`TL_PK` = `T#<tenant>#TIMELINE`, `TL_SK` = `<start>#<kind>#…`):
//!   bookings and busy blocks of a tenant by start time, so that everything
//!   that occupies staff in a window is one Query (availability, booking) and
//!   bookings list by start. Busy blocks longer than [`MAX_TIMELINE_SPAN_SECS`]
//!   are stored in pieces, so a window needs to look back only that far.
//! - `Due` (`DUE_PK`, `DUE_SK` = `<due>#<tenant>#<id>`): work that falls due at a
//!   time, across tenants. Outbox messages use one partition (`DUE#OUTBOX`,
//!   left as soon as a message is sent, so it stays small); reminders use one
//!   partition per hour of their due time (`DUE#REMIND#<yyyymmddhh>`), so the
//!   scheduled job reads only the hours it has to.
//!
//! Index reads are eventually consistent. That is enough for both: the
//! timeline only proposes slots (the claims of the booking transaction decide),
//! and due work is claimed with a conditional write before it is done.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{unavailable, Attrs, Record, Store, StoreError, TENANT_ATTR};
use crate::tenancy::{ResolvedTenant, TenantScope, UserId};

/// Longest stretch one timeline entry may cover (a booking with buffers is at
/// most 8 hours; longer busy blocks are split), so a window's query starts
/// this far before the window.
pub const MAX_TIMELINE_SPAN_SECS: i64 = 8 * 3600;

const TIMELINE_INDEX: &str = "Timeline";
const TL_PK: &str = "TL_PK";
const TL_SK: &str = "TL_SK";
const DUE_INDEX: &str = "Due";
const DUE_PK: &str = "DUE_PK";
const DUE_SK: &str = "DUE_SK";
/// Distinguishes bookings from busy blocks on the timeline.
const KIND_ATTR: &str = "kind";

/// What an item on the timeline is.
#[derive(Clone, Copy, Debug)]
pub enum TimelineEntry<'a> {
    /// A booking, by id.
    Booking(&'a str),
    /// A piece of a staff member's imported busy time, by id.
    Busy(&'a UserId, &'a str),
}

/// A queue of work read through the `Due` index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DueQueue {
    /// Outbox messages waiting for the scheduled safety net.
    Outbox,
    /// Bookings with a reminder to send.
    Reminders,
    /// Calendar connections waiting for their next scheduled sync.
    CalendarSync,
    /// Closed businesses whose restore window ends (PRIV-3).
    Purge,
    /// Data exports waiting for (more of) their archive to be written (PRIV-1).
    Exports,
    /// Audit events not yet linked into their tenant's chain (AUD-2).
    AuditChain,
    /// Audit chain heads that moved since their last anchor (AUD-2).
    AuditAnchor,
}

impl DueQueue {
    fn partition(self, due: i64) -> String {
        match self {
            DueQueue::Outbox => "DUE#OUTBOX".to_owned(),
            DueQueue::CalendarSync => "DUE#CALSYNC".to_owned(),
            DueQueue::Purge => "DUE#PURGE".to_owned(),
            DueQueue::Exports => "DUE#EXPORT".to_owned(),
            DueQueue::AuditChain => "DUE#AUDIT".to_owned(),
            DueQueue::AuditAnchor => "DUE#ANCHOR".to_owned(),
            DueQueue::Reminders => format!("DUE#REMIND#{}", hour_bucket(due)),
        }
    }
}

/// `yyyymmddhh` of a time (UTC), or a fixed far bucket for times chrono cannot
/// represent: such an item is simply never due.
fn hour_bucket(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y%m%d%H").to_string())
        .unwrap_or_else(|| "9999999999".to_owned())
}

/// One item found due.
#[derive(Clone, Debug)]
pub struct Due {
    /// Its tenant.
    pub tenant: ResolvedTenant,
    /// The item's id (outbox message id or booking id).
    pub id: String,
    /// When it fell due.
    pub at: i64,
}

impl Attrs {
    /// Puts the item on its tenant's timeline at `start`.
    pub fn on_timeline(self, scope: &TenantScope, start: i64, entry: TimelineEntry<'_>) -> Self {
        let (kind, sk) = match entry {
            TimelineEntry::Booking(id) => ("booking", format!("{}#B#{id}", super::time_key(start))),
            TimelineEntry::Busy(staff, id) => {
                ("busy", format!("{}#X#{staff}#{id}", super::time_key(start)))
            }
        };
        self.string(TL_PK, timeline_pk(scope))
            .string(TL_SK, sk)
            .string(KIND_ATTR, kind)
    }

    /// Makes the item due in `queue` at `at`.
    pub fn due_in(self, queue: DueQueue, scope: &TenantScope, id: &str, at: i64) -> Self {
        self.string(DUE_PK, queue.partition(at)).string(
            DUE_SK,
            format!("{}#{}#{id}", super::time_key(at), scope.tenant_id()),
        )
    }

    /// Takes the item out of whatever `Due` queue it was in.
    pub fn not_due(self) -> Self {
        self.remove(DUE_PK).remove(DUE_SK)
    }
}

impl Store {
    /// Every timeline item of the tenant starting in `[from, to]`, all pages.
    pub async fn timeline(
        &self,
        scope: &TenantScope,
        from: i64,
        to: i64,
    ) -> Result<Vec<Record>, StoreError> {
        self.query_between(
            scope,
            Some(TIMELINE_INDEX),
            (TL_PK, TL_SK),
            timeline_pk(scope),
            super::time_key(from),
            format!("{}~", super::time_key(to)),
        )
        .await
    }

    /// Items of `queue` due at or before `now`, oldest first, from the buckets
    /// that cover the last `lookback` seconds (the outbox has one bucket).
    pub async fn due(
        &self,
        queue: DueQueue,
        now: i64,
        lookback: i64,
        limit: i32,
    ) -> Result<Vec<Due>, StoreError> {
        let mut partitions = vec![queue.partition(now)];
        if queue == DueQueue::Reminders {
            let mut at = now - lookback;
            while at < now {
                let p = queue.partition(at);
                if !partitions.contains(&p) {
                    partitions.insert(partitions.len() - 1, p);
                }
                at += 3600;
            }
        }
        let mut found = Vec::new();
        for pk in partitions {
            let out = self
                .ddb
                .query()
                .table_name(&self.table)
                .index_name(DUE_INDEX)
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
                .expression_attribute_names("#pk", DUE_PK)
                .expression_attribute_names("#sk", DUE_SK)
                .expression_attribute_values(":pk", AttributeValue::S(pk))
                .expression_attribute_values(
                    ":from",
                    AttributeValue::S(super::time_key(now - lookback)),
                )
                .expression_attribute_values(
                    ":to",
                    AttributeValue::S(format!("{}~", super::time_key(now))),
                )
                .limit(limit)
                .send()
                .await
                .map_err(unavailable("Query"))?;
            for item in out.items.unwrap_or_default() {
                let r = Record::from_item(item);
                let sk = r.string(DUE_SK)?;
                let mut parts = sk.splitn(3, '#');
                let (Some(at), Some(_), Some(id)) = (parts.next(), parts.next(), parts.next())
                else {
                    return Err(StoreError::Integrity);
                };
                found.push(Due {
                    tenant: ResolvedTenant::from_store(r.tenant_id()?),
                    id: id.to_owned(),
                    at: at.parse().map_err(|_| StoreError::Integrity)?,
                });
            }
        }
        found.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(found)
    }
}

/// The partition of a tenant's timeline in the `Timeline` index.
fn timeline_pk(scope: &TenantScope) -> String {
    format!("T#{}#TIMELINE", scope.tenant_id())
}

/// The indexes as the local stack and the template create them: name, key
/// attributes, and the attributes copied in besides the keys.
pub const INDEXES: [(&str, &str, &str, &[&str]); 2] = [
    (TIMELINE_INDEX, TL_PK, TL_SK, &TIMELINE_PROJECTION),
    (DUE_INDEX, DUE_PK, DUE_SK, &[TENANT_ATTR]),
];

/// Attributes copied into the timeline index besides the keys: what slot
/// computation and booking listings read, and nothing personal.
const TIMELINE_PROJECTION: [&str; 10] = [
    TENANT_ATTR,
    KIND_ATTR,
    "booking_id",
    "service_id",
    "staff_id",
    "start",
    "end",
    "span_start",
    "span_end",
    "status",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hour_buckets_are_utc_hours_and_never_panic() {
        assert_eq!(hour_bucket(0), "1970010100");
        assert_eq!(hour_bucket(3599), "1970010100");
        assert_eq!(hour_bucket(3600), "1970010101");
        assert_eq!(hour_bucket(i64::MAX), "9999999999");
        assert_eq!(hour_bucket(i64::MIN), "9999999999");
    }
}
