//! Deleting every item of a tenant (PRIV-3): the only code that removes
//! items it did not name, one partition at a time, in bounded pages.
//!
//! Each call deletes the first page of a partition and reports whether the
//! partition is now empty, so a purge interrupted anywhere simply continues
//! where the items still are: there is no cursor to lose.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{unavailable, Condition, GlobalKey, Record, Store, StoreError, TenantKey, Write};
use crate::crypto::TokenHash;
use crate::tenancy::{TenantScope, UserId};

/// The profile's sort key: the purge deletes it last, so an interrupted
/// purge is found again through the profile's place in the `Due` index.
const PROFILE_SK: &str = "TENANT";

/// A partition of a tenant's items.
#[derive(Clone, Copy, Debug)]
pub enum TenantPartition<'a> {
    /// The main partition, every item but the profile.
    Core,
    /// The profile alone.
    Profile,
    /// One user's sessions.
    Sessions(&'a UserId),
    /// One staff member's claimed units.
    Claims(&'a UserId),
    /// One staff member's imported busy blocks.
    BusyBlocks(&'a UserId),
    /// Calendar connections and pending authorizations.
    Calendars,
    /// The busy blocks one connection imported.
    CalendarBlocks(&'a str),
    /// The outbox.
    Outbox,
    /// The audit log.
    Audit,
    /// The audit chain's head (AUD-2).
    AuditHead,
}

impl TenantPartition<'_> {
    fn pk(self, scope: &TenantScope) -> String {
        let t = scope.tenant_id();
        match self {
            TenantPartition::Core | TenantPartition::Profile => format!("T#{t}"),
            TenantPartition::Sessions(u) => format!("T#{t}#SESS#{u}"),
            TenantPartition::Claims(u) => format!("T#{t}#CLAIM#{u}"),
            TenantPartition::BusyBlocks(u) => format!("T#{t}#BUSY#{u}"),
            TenantPartition::Calendars => format!("T#{t}#CAL"),
            TenantPartition::CalendarBlocks(c) => format!("T#{t}#CAL#{c}"),
            TenantPartition::Outbox => format!("T#{t}#OUTBOX"),
            TenantPartition::Audit => format!("T#{t}#AUDIT"),
            TenantPartition::AuditHead => format!("T#{t}#AUDITHEAD"),
        }
    }
}

/// What one page of a purge did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PurgedPage {
    /// Items deleted (global pointers they held included).
    pub deleted: usize,
    /// Whether the partition is empty now.
    pub done: bool,
}

/// Items deleted per transaction: each may take its global pointer along,
/// within DynamoDB's 100 actions.
const PER_TRANSACTION: usize = 25;

impl Store {
    /// Reads up to `limit` items of the partition (records kept for the
    /// caller: the purge learns staff and connection ids from them).
    pub async fn partition_page(
        &self,
        scope: &TenantScope,
        partition: TenantPartition<'_>,
        limit: i32,
    ) -> Result<Vec<Record>, StoreError> {
        let ddb = self.tenants.client(scope).await?;
        let mut query = ddb
            .query()
            .table_name(&self.table)
            .expression_attribute_names("#pk", "PK")
            .expression_attribute_values(":pk", AttributeValue::S(partition.pk(scope)))
            .consistent_read(true)
            .limit(limit);
        query = match partition {
            TenantPartition::Core => query
                // Everything but the profile: sort keys before and after it.
                .key_condition_expression("#pk = :pk AND #sk > :profile")
                .expression_attribute_names("#sk", "SK")
                .expression_attribute_values(":profile", AttributeValue::S(PROFILE_SK.into())),
            TenantPartition::Profile => query
                .key_condition_expression("#pk = :pk AND #sk = :profile")
                .expression_attribute_names("#sk", "SK")
                .expression_attribute_values(":profile", AttributeValue::S(PROFILE_SK.into())),
            _ => query.key_condition_expression("#pk = :pk"),
        };
        let mut records = Vec::new();
        for item in query
            .send()
            .await
            .map_err(unavailable("Query"))?
            .items
            .unwrap_or_default()
        {
            records.push(Record::from_item(item));
        }
        if matches!(partition, TenantPartition::Core) && (records.len() as i32) < limit {
            // Sort keys before the profile's ("BOOKING#…", "EMAIL#…").
            let before = ddb
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk AND #sk < :profile")
                .expression_attribute_names("#pk", "PK")
                .expression_attribute_names("#sk", "SK")
                .expression_attribute_values(":pk", AttributeValue::S(partition.pk(scope)))
                .expression_attribute_values(":profile", AttributeValue::S(PROFILE_SK.into()))
                .consistent_read(true)
                .limit(limit - records.len() as i32)
                .send()
                .await
                .map_err(unavailable("Query"))?;
            records.extend(
                before
                    .items
                    .unwrap_or_default()
                    .into_iter()
                    .map(Record::from_item),
            );
        }
        Ok(records)
    }

    /// Deletes the first `limit` items of the partition with the global
    /// pointers they own (a session's, an API key's, a booking's manage
    /// link), and says whether the partition is empty now.
    pub async fn purge_page(
        &self,
        scope: &TenantScope,
        partition: TenantPartition<'_>,
        limit: i32,
    ) -> Result<PurgedPage, StoreError> {
        let records = self.partition_page(scope, partition, limit).await?;
        let done = (records.len() as i32) < limit;
        let mut deleted = 0;
        for chunk in records.chunks(PER_TRANSACTION) {
            let mut writes = Vec::with_capacity(chunk.len() * 2);
            for r in chunk {
                let pk = r.string("PK")?;
                let sk = r.string("SK")?;
                let key = TenantKey::found(scope, pk, sk).ok_or(StoreError::Integrity)?;
                writes.push(Write::Delete(key, Condition::None));
                if let Some(pointer) = owned_pointer(r) {
                    writes.push(Write::DeletePointer(pointer, Condition::None));
                }
            }
            deleted += writes.len();
            self.transact(writes).await?;
        }
        Ok(PurgedPage { deleted, done })
    }
}

/// The global pointer an item owns, if any, by the attribute that names it.
fn owned_pointer(r: &Record) -> Option<GlobalKey> {
    let hash = |attr: &str| {
        r.optional_string(attr)
            .map(|h| TokenHash::from_stored(h.to_owned()))
    };
    let sk = r.optional_string("SK").unwrap_or_default();
    let pk = r.optional_string("PK").unwrap_or_default();
    if sk.starts_with("BOOKING#") {
        hash("manage_token_hash").map(GlobalKey::ManageBooking)
    } else if sk.starts_with("APIKEY#") {
        hash("secret_hash").map(GlobalKey::ApiKey)
    } else if pk.contains("#SESS#") {
        hash("token_hash").map(GlobalKey::Session)
    } else {
        None
    }
}
