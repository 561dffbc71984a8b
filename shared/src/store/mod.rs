//! The single DynamoDB table (ISO-1, ISO-2, ISO-4).
//!
//! # Layout
//! Every item has string keys `PK` and `SK`, an `expires_at` number where it
//! expires (the table's TTL attribute), and a `tenant_id` attribute.
//!
//! Tenant data (keys always begin with `T#<tenant_id>`, 26 fixed characters):
//!
//! | item | PK | SK |
//! |---|---|---|
//! | tenant profile and security policy | `T#<tenant>` | `TENANT` |
//! | user | `T#<tenant>` | `USER#<user>` |
//! | user by keyed email hash | `T#<tenant>` | `EMAIL#<hmac>` |
//! | API key (listing entry) | `T#<tenant>` | `APIKEY#<key id>` |
//! | login waiting for a second factor | `T#<tenant>` | `MFA#<challenge id>` |
//! | session (listing entry) | `T#<tenant>#SESS#<user>` | `<session id>` |
//! | audit event (on the due index until chained) | `T#<tenant>#AUDIT` | `<rfc3339 µs>#<random>` |
//! | audit chain head (on the due index until anchored) | `T#<tenant>#AUDITHEAD` | `HEAD` |
//! | service | `T#<tenant>` | `TENANT#SERVICE#<id>` |
//! | staff working hours | `T#<tenant>` | `TENANT#SCHEDULE#<user>` |
//! | booking-form questions | `T#<tenant>` | `TENANT#FORM` |
//! | booking (on the timeline index) | `T#<tenant>` | `BOOKING#<id>` |
//! | unsubscribed recipient | `T#<tenant>` | `UNSUB#<hmac>` |
//! | suppressed recipient (bounce, complaint) | `T#<tenant>` | `SUPPRESS#<hmac>` |
//! | idempotency record | `T#<tenant>` | `IDEM#<sha256(key)>` |
//! | claimed 5-minute unit | `T#<tenant>#CLAIM#<staff>` | `<unix secs, 12 digits>` |
//! | busy block (on the timeline index) | `T#<tenant>#BUSY#<staff>` | `<unix secs>#<id>` |
//! | outbox message (on the due index until sent) | `T#<tenant>#OUTBOX` | `<id>` |
//! | data export (on the due index until done) | `T#<tenant>` | `EXPORT#<id>` |
//! | the running export of a subject | `T#<tenant>` | `EXPORTLOCK#<subject>` |
//!
//! Named global lookups, the only items whose key does not start with a
//! tenant. Each holds the minimal pointer (a tenant id, and where needed a user
//! id and an item id); tokens are found by their SHA-256. Two of them are more
//! than a pointer: the session and API key records are the credentials
//! themselves, holding what authentication needs (user, role, session
//! restriction and lifetimes, key scopes and expiry; no personal data, no
//! secret), so that one read authenticates a request (see `auth::session`,
//! `auth::api_keys`):
//!
//! | lookup | PK | SK |
//! |---|---|---|
//! | tenant by public slug | `SLUG#<slug>` | `POINTER` |
//! | email verification token | `EVT#<hash>` | `POINTER` |
//! | session record | `SESS#<hash>` | `POINTER` |
//! | pending second factor | `MFA#<hash>` | `POINTER` |
//! | password reset token | `PWR#<hash>` | `POINTER` |
//! | invitation token | `INV#<hash>` | `POINTER` |
//! | API key record | `KEY#<hash>` | `POINTER` |
//! | email change confirmation | `EMC#<hash>` | `POINTER` |
//! | manage-booking link | `MBK#<hash>` | `POINTER` |
//!
//! Two sparse global secondary indexes (`store/index.rs`) list bookings and busy
//! time by start (`Timeline`) and work that falls due (`Due`).
//!
//! Rate-limit counters per client address or keyed recipient hash
//! (`THR#<action>#<subject>#<window>`) are not tenant data and carry no tenant.
//! The platform's KMS-wrapped lookup key (`PLATFORM#LOOKUP`, `KEY`) keys the
//! hashes of addresses that belong to no tenant yet (sign-up limits).
//!
//! # Access patterns
//! - resolve a slug or token to a tenant: one GetItem on the pointer;
//! - read a tenant item: GetItem by typed key, tenant attribute verified;
//! - everything booking needs of a tenant (profile, services, hours, form):
//!   one Query on `T#<tenant>`, sort keys beginning with `TENANT`;
//! - what occupies staff in a window: one Query on the timeline index;
//! - authenticate a request: one GetItem on the session or API key record;
//! - list users, API keys, a user's sessions, the audit log: one Query per page;
//! - count failures: one UpdateItem with ADD, returning the new values;
//! - multi-item changes: one TransactWriteItems with conditions (at most
//!   [`MAX_TRANSACTION_WRITES`] writes).
//!
//! Nothing outside this module writes a key or an expression string; expressions
//! are built here with placeholders only.
//!
//! # Credentials (ISO-6)
//! Tenant items are read and written with the tenant's own credentials from
//! [`TenantClients`]; global lookups, counters and the `Due` index with the
//! function's own (see `store/scoped.rs` for the exact split).

mod index;
mod item;
mod keys;
mod purge;
mod scoped;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};

pub use index::{Due, DueQueue, TimelineEntry, INDEXES, MAX_TIMELINE_SPAN_SECS};
pub use item::{Attrs, Record};
pub use keys::{time_key, Collection, Entity, GlobalKey, TenantKey, ThrottleKey};
pub use purge::{PurgedPage, TenantPartition};
pub use scoped::{
    tenant_leading_keys, TenantClients, TenantCredentials, CACHE_CAPACITY, FUNCTION_ROLE,
    FUNCTION_ROLE_PREFIXES, REFRESH_BEFORE, SESSION_SECS, TENANT_ACTIONS_VAR, TENANT_DATA_ACTIONS,
    TENANT_ROLE_VAR, TENANT_TAG, TRANSACTION_GLOBAL_PREFIXES,
};

use crate::tenancy::{ResolvedTenant, Slug, TenantId, TenantScope, UserId};

/// Where the platform's wrapped lookup key lives: not tenant data, holds only
/// a KMS-wrapped key.
const PLATFORM_LOOKUP_KEY: (&str, &str) = ("PLATFORM#LOOKUP", "KEY");

/// How long an admission counter must sit untouched at its limit, with no lock,
/// before it is treated as left behind by attempts that never resolved.
pub const STALE_ADMISSION_SECS: i64 = 120;

/// The most writes one transaction may hold (DynamoDB's limit).
pub const MAX_TRANSACTION_WRITES: usize = 100;

/// Attribute that names the owning tenant on every item (ISO-1).
pub const TENANT_ATTR: &str = "tenant_id";
/// The table's TTL attribute; readers also treat a past value as absent.
pub const EXPIRES_ATTR: &str = "expires_at";

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A write's condition did not hold; nothing was written.
    #[error("condition failed")]
    Conflict,
    /// DynamoDB could not be reached or refused the call.
    #[error("table unavailable")]
    Unavailable,
    /// An item came back that does not belong to the scope that asked (ISO-4),
    /// or is malformed. Logged; never returned to a client.
    #[error("integrity violation")]
    Integrity,
}

/// A guard on a write. Every write that depends on what the caller read states
/// the state it expects, so a concurrent change makes it fail instead of being
/// overwritten.
#[derive(Clone, Debug)]
pub enum Condition {
    /// Write unconditionally.
    None,
    /// The item must not exist yet.
    NotExists,
    /// The item must not exist, or must have expired by this time (an expired
    /// item that TTL has not deleted yet does not block its successor).
    AbsentOrExpiredAt(i64),
    /// The item must exist.
    Exists,
    /// The item must exist and its `expires_at` must be later than this time.
    ExistsUnexpiredAt(i64),
    /// The item must exist and the number attribute must equal the value (an
    /// absent attribute counts as 0).
    ExistsWithNumber(&'static str, i64),
    /// The item must exist and the number attribute must be absent or at most
    /// the value (e.g. a lock that has run out by now).
    ExistsWithNumberAtMost(&'static str, i64),
    /// The item must exist and the string attribute must equal the value.
    ExistsWithString(&'static str, String),
    /// The item must exist and the string attribute must equal the value, or
    /// be absent when the value is `None` (a mark that may never have been set).
    ExistsWithOptionalString(&'static str, Option<String>),
    /// Every one of these must hold (one item can carry only one condition in
    /// a transaction).
    All(Vec<Condition>),
}

/// One write in a transaction.
#[derive(Clone, Debug)]
pub enum Write {
    /// Create or replace a tenant item.
    Put(TenantKey, Attrs, Condition),
    /// Set (or, with [`Attrs::remove`], remove) attributes on an existing tenant item.
    Update(TenantKey, Attrs, Condition),
    /// Delete a tenant item.
    Delete(TenantKey, Condition),
    /// Create a global pointer to a tenant.
    PutPointer(GlobalKey, TenantId, Attrs, Condition),
    /// Set (or remove) attributes on an existing global item that names this
    /// tenant: a session's last use, an API key's. The tenant is a guard, as
    /// on tenant items (ISO-4).
    UpdatePointer(GlobalKey, TenantId, Attrs, Condition),
    /// Remove a global pointer.
    DeletePointer(GlobalKey, Condition),
    /// Count one hit against a per-client limit, only while fewer than the
    /// limit were counted in the window (the transaction fails otherwise).
    /// Build it with [`Write::count`].
    Count {
        /// The counter's partition key.
        pk: String,
        /// Hits allowed in the window.
        limit: i64,
        /// When the counter expires (its window's end).
        expires: i64,
    },
}

impl Write {
    /// The tenant this write acts for, if any (its key's, or the pointer's).
    fn tenant(&self) -> Option<&TenantId> {
        match self {
            Write::Put(key, ..) | Write::Update(key, ..) | Write::Delete(key, _) => {
                Some(key.tenant_id())
            }
            Write::PutPointer(_, tenant, ..) | Write::UpdatePointer(_, tenant, ..) => Some(tenant),
            Write::DeletePointer(..) | Write::Count { .. } => None,
        }
    }

    /// Counts one hit against `key`'s limit for its window, in a transaction.
    pub fn count(key: ThrottleKey<'_>, limit: i64, window_secs: i64) -> Self {
        Write::Count {
            pk: key.pk(),
            limit,
            expires: key.window_start + window_secs,
        }
    }
}

/// Why a transaction did not apply.
#[derive(Debug)]
pub enum TxError {
    /// Conditions failed or another transaction touched the same items; for
    /// each write in order, whether its own condition was what failed.
    Cancelled(Vec<bool>),
    /// DynamoDB could not be reached or refused the call.
    Store(StoreError),
}

/// What a global lookup points at.
#[derive(Clone, Debug)]
pub struct Pointer {
    /// The tenant the pointer belongs to.
    pub tenant: ResolvedTenant,
    /// The user, for tokens issued to a user.
    pub user_id: Option<UserId>,
    /// The item within the tenant (a session, key or challenge id), where there is one.
    pub item: Option<String>,
}

/// What a filtered listing keeps of the items it reads (DynamoDB applies it
/// after reading, so it saves transfer, not reads).
#[derive(Clone, Copy, Debug)]
pub enum Filter<'a> {
    /// The string attribute equals the value.
    Equals(&'a str, &'a str),
    /// The attribute is present.
    Present(&'a str),
}

/// One page of a listing.
#[derive(Clone, Debug)]
pub struct Page {
    /// The items, in the collection's order.
    pub records: Vec<Record>,
    /// Opaque cursor for the next page, if there is one.
    pub next: Option<String>,
}

/// The table, reached through typed keys only.
#[derive(Clone, Debug)]
pub struct Store {
    /// The function's own client: global items only (ISO-6).
    ddb: aws_sdk_dynamodb::Client,
    /// Clients for tenant items, one per tenant where credentials are scoped.
    tenants: TenantClients,
    table: String,
}

fn unavailable<E: std::error::Error + 'static>(op: &'static str) -> impl FnOnce(E) -> StoreError {
    move |e| {
        tracing::error!(operation = op, error = %aws_sdk_dynamodb::error::DisplayErrorContext(&e), "dynamodb call failed");
        StoreError::Unavailable
    }
}

impl Store {
    /// A store over `table`.
    pub fn new(ddb: aws_sdk_dynamodb::Client, table: String) -> Self {
        Self {
            tenants: TenantClients::function_role(ddb.clone()),
            ddb,
            table,
        }
    }

    /// The same store reaching tenant items through `tenants` (ISO-6); global
    /// items stay with the client `tenants` was built over.
    pub fn with_tenant_clients(self, tenants: TenantClients) -> Self {
        Self {
            ddb: tenants.function_client().clone(),
            tenants,
            table: self.table,
        }
    }

    /// Where tenant items get their credentials.
    pub fn tenant_clients(&self) -> &TenantClients {
        &self.tenants
    }

    /// Reads one tenant item, refusing anything whose tenant attribute is not the
    /// scope's (ISO-4). Expired items read as absent.
    pub async fn get(
        &self,
        scope: &TenantScope,
        key: &TenantKey,
    ) -> Result<Option<Record>, StoreError> {
        let ddb = self.tenants.client(scope).await?;
        match self.get_raw(&ddb, key.pk(), key.sk()).await? {
            None => Ok(None),
            Some(record) => verified(scope, record),
        }
    }

    async fn get_raw(
        &self,
        ddb: &aws_sdk_dynamodb::Client,
        pk: String,
        sk: String,
    ) -> Result<Option<Record>, StoreError> {
        let out = ddb
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_map(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable("GetItem"))?;
        Ok(out.item.map(Record::from_item))
    }

    /// Lists a collection of a tenant, one page at a time. The cursor is only a
    /// sort key: the partition always comes from the scope, so a cursor cannot
    /// reach another tenant.
    pub async fn list(
        &self,
        scope: &TenantScope,
        collection: Collection<'_>,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page, StoreError> {
        self.list_page(scope, collection, None, limit, cursor).await
    }

    /// Lists the items of a collection that pass `filter`, one page at a
    /// time. `limit` bounds the items read, not those kept, so a page may be
    /// empty and still have a cursor: memory stays bounded however large the
    /// collection, and the caller goes on until there is no cursor.
    pub async fn list_where(
        &self,
        scope: &TenantScope,
        collection: Collection<'_>,
        filter: Filter<'_>,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page, StoreError> {
        self.list_page(scope, collection, Some(filter), limit, cursor)
            .await
    }

    async fn list_page(
        &self,
        scope: &TenantScope,
        collection: Collection<'_>,
        filter: Option<Filter<'_>>,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page, StoreError> {
        let pk = collection.pk(scope);
        let prefix = collection.sk_prefix();
        let start = match cursor {
            Some(c) if !c.is_empty() && c.starts_with(prefix) && c.len() <= 256 => {
                Some(key_map(pk.clone(), c.to_owned()))
            }
            Some(_) => {
                return Ok(Page {
                    records: Vec::new(),
                    next: None,
                })
            }
            None => None,
        };
        let mut query = self
            .tenants
            .client(scope)
            .await?
            .query()
            .table_name(&self.table)
            .expression_attribute_names("#pk", "PK")
            .expression_attribute_values(":pk", AttributeValue::S(pk));
        query = if prefix.is_empty() {
            query.key_condition_expression("#pk = :pk")
        } else {
            query
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#sk", "SK")
                .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned()))
        };
        query = match filter {
            None => query,
            Some(Filter::Equals(name, value)) => query
                .filter_expression("#f = :f")
                .expression_attribute_names("#f", name)
                .expression_attribute_values(":f", AttributeValue::S(value.to_owned())),
            Some(Filter::Present(name)) => query
                .filter_expression("attribute_exists(#f)")
                .expression_attribute_names("#f", name),
        };
        let out = query
            .scan_index_forward(!collection.newest_first())
            .limit(limit)
            .set_exclusive_start_key(start)
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable("Query"))?;
        page_of(scope, out)
    }

    /// Items of a collection whose sort keys lie between `from` and `to`
    /// (inclusive), in order; all pages.
    pub async fn list_between(
        &self,
        scope: &TenantScope,
        collection: Collection<'_>,
        from: &str,
        to: &str,
    ) -> Result<Vec<Record>, StoreError> {
        self.query_between(
            scope,
            None,
            ("PK", "SK"),
            collection.pk(scope),
            from.to_owned(),
            to.to_owned(),
        )
        .await
    }

    /// Every item of partition `pk` (of the table, or of `index`) whose sort
    /// key lies between `from` and `to`, all pages, each verified against the
    /// scope. Reads of the table are strongly consistent; index reads cannot be.
    pub(crate) async fn query_between(
        &self,
        scope: &TenantScope,
        index: Option<&str>,
        (pk_name, sk_name): (&str, &str),
        pk: String,
        from: String,
        to: String,
    ) -> Result<Vec<Record>, StoreError> {
        let ddb = self.tenants.client(scope).await?;
        let mut all = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let out = ddb
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(str::to_owned))
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
                .expression_attribute_names("#pk", pk_name)
                .expression_attribute_names("#sk", sk_name)
                .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
                .expression_attribute_values(":from", AttributeValue::S(from.clone()))
                .expression_attribute_values(":to", AttributeValue::S(to.clone()))
                .set_exclusive_start_key(start)
                .set_consistent_read(index.is_none().then_some(true))
                .send()
                .await
                .map_err(unavailable("Query"))?;
            for item in out.items.unwrap_or_default() {
                if let Some(r) = verified(scope, Record::from_item(item))? {
                    all.push(r);
                }
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(all);
            }
        }
    }

    /// Every item of a collection (for the small ones: a user's sessions, API keys).
    pub async fn list_all(
        &self,
        scope: &TenantScope,
        collection: Collection<'_>,
    ) -> Result<Vec<Record>, StoreError> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.list(scope, collection, 100, cursor.as_deref()).await?;
            all.extend(page.records);
            match page.next {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
    }

    /// Adds `delta` to a number attribute of an existing tenant item atomically and
    /// returns the item as it is afterwards (concurrent callers each see their own
    /// increment).
    pub async fn add(
        &self,
        scope: &TenantScope,
        key: &TenantKey,
        field: &str,
        delta: i64,
    ) -> Result<Record, StoreError> {
        let out = self
            .tenants
            .client(scope)
            .await?
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key.pk(), key.sk())))
            .update_expression("ADD #f :d")
            .condition_expression("attribute_exists(PK) AND #tenant = :tenant")
            .expression_attribute_names("#f", field)
            .expression_attribute_names("#tenant", TENANT_ATTR)
            .expression_attribute_values(":d", AttributeValue::N(delta.to_string()))
            .expression_attribute_values(
                ":tenant",
                AttributeValue::S(scope.tenant_id().to_string()),
            )
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        match out {
            Ok(out) => verified(scope, Record::from_item(out.attributes.unwrap_or_default()))?
                .ok_or(StoreError::Conflict),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Err(StoreError::Conflict)
            }
            Err(e) => Err(unavailable("UpdateItem")(e)),
        }
    }

    /// Counts one attempt against an item's counter, atomically and only while it
    /// is admissible: the counter is below `limit` and the item's `gate` time
    /// (a lock) is not later than `now`. Returns the count including this
    /// attempt, or `None` when the attempt is refused, so a burst of concurrent
    /// attempts admits at most `limit` of them (AUTH-2).
    ///
    /// Every admission stamps `<counter>_at`. Admitted attempts normally resolve
    /// within a request (a failure is counted, a success resets the counter);
    /// one that never resolved (a crashed invocation) would leave the counter
    /// full with no lock. Such a counter, untouched for [`STALE_ADMISSION_SECS`],
    /// starts over instead of refusing forever.
    pub async fn admit(
        &self,
        scope: &TenantScope,
        key: &TenantKey,
        counter: &str,
        limit: i64,
        gate: &str,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let stamp = format!("{counter}_at");
        let ddb = self.tenants.client(scope).await?;
        let attempt = |fresh: bool| {
            let (update, admissible) = if fresh {
                (
                    "ADD #c :one SET #at = :now",
                    "(attribute_not_exists(#c) OR #c < :limit)",
                )
            } else {
                (
                    "SET #c = :one, #at = :now",
                    "#c >= :limit AND (attribute_not_exists(#at) OR #at <= :stale)",
                )
            };
            ddb.update_item()
                .table_name(&self.table)
                .set_key(Some(key_map(key.pk(), key.sk())))
                .update_expression(update)
                .condition_expression(format!(
                    "attribute_exists(PK) AND #tenant = :tenant AND {admissible} \
                     AND (attribute_not_exists(#gate) OR #gate <= :now)"
                ))
                .expression_attribute_names("#c", counter)
                .expression_attribute_names("#at", stamp.as_str())
                .expression_attribute_names("#gate", gate)
                .expression_attribute_names("#tenant", TENANT_ATTR)
                .set_expression_attribute_values(Some({
                    // DynamoDB refuses values the expressions do not use.
                    let mut values = HashMap::from([
                        (":one".to_owned(), number(1)),
                        (":now".to_owned(), number(now)),
                        (":limit".to_owned(), number(limit)),
                        (
                            ":tenant".to_owned(),
                            AttributeValue::S(scope.tenant_id().to_string()),
                        ),
                    ]);
                    if !fresh {
                        values.insert(":stale".to_owned(), number(now - STALE_ADMISSION_SECS));
                    }
                    values
                }))
                .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
                .send()
        };
        for fresh in [true, false] {
            match attempt(fresh).await {
                Ok(out) => {
                    return Ok(Some(
                        Record::from_item(out.attributes.unwrap_or_default()).number(counter)?,
                    ))
                }
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) => {}
                Err(e) => return Err(unavailable("UpdateItem")(e)),
            }
        }
        Ok(None)
    }

    /// The platform's wrapped lookup key (for keyed hashes of values that
    /// belong to no tenant yet, such as a sign-up's address), if created.
    pub async fn platform_lookup_key(&self) -> Result<Option<Vec<u8>>, StoreError> {
        let (pk, sk) = PLATFORM_LOOKUP_KEY;
        Ok(self
            .get_raw(&self.ddb, pk.to_owned(), sk.to_owned())
            .await?
            .and_then(|r| r.optional_bytes("wrapped").map(<[u8]>::to_vec)))
    }

    /// Stores the platform's wrapped lookup key once; `false` when another
    /// request stored one first (use that one).
    pub async fn create_platform_lookup_key(&self, wrapped: Vec<u8>) -> Result<bool, StoreError> {
        let (pk, sk) = PLATFORM_LOOKUP_KEY;
        let mut item = key_map(pk.to_owned(), sk.to_owned());
        item.insert("wrapped".into(), AttributeValue::B(wrapped.into()));
        match self
            .ddb
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(unavailable("PutItem")(e)),
        }
    }

    /// Counts one hit against a per-client limit for the current window; `false`
    /// once `limit` hits have been counted. The counter expires with its window.
    pub async fn throttle(
        &self,
        key: ThrottleKey<'_>,
        limit: i64,
        window_secs: i64,
    ) -> Result<bool, StoreError> {
        let out = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key.pk(), "COUNTER".to_owned())))
            .update_expression("ADD #hits :one SET #exp = :exp")
            .condition_expression("attribute_not_exists(#hits) OR #hits < :limit")
            .expression_attribute_names("#hits", "hits")
            .expression_attribute_names("#exp", EXPIRES_ATTR)
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":limit", AttributeValue::N(limit.to_string()))
            .expression_attribute_values(
                ":exp",
                AttributeValue::N((key.window_start + window_secs).to_string()),
            )
            .send()
            .await;
        match out {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(unavailable("UpdateItem")(e)),
        }
    }

    /// Deletes a counter, for a limit keyed by a person who asked to be
    /// forgotten (PRIV-2). Absent counters are no error.
    pub async fn forget_count(&self, key: ThrottleKey<'_>) -> Result<(), StoreError> {
        self.ddb
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key.pk(), "COUNTER".to_owned())))
            .send()
            .await
            .map_err(unavailable("DeleteItem"))?;
        Ok(())
    }

    /// Counts one hit in a window and returns the count so far (unconditional;
    /// for aggregating events rather than refusing requests).
    pub async fn count_hit(
        &self,
        key: ThrottleKey<'_>,
        window_secs: i64,
    ) -> Result<i64, StoreError> {
        let out = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key.pk(), "COUNTER".to_owned())))
            .update_expression("ADD #hits :one SET #exp = :exp")
            .expression_attribute_names("#hits", "hits")
            .expression_attribute_names("#exp", EXPIRES_ATTR)
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(
                ":exp",
                AttributeValue::N((key.window_start + window_secs).to_string()),
            )
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(unavailable("UpdateItem"))?;
        Record::from_item(out.attributes.unwrap_or_default()).number("hits")
    }

    /// Resolves a public slug to its tenant through the named slug lookup.
    pub async fn resolve_slug(&self, slug: &Slug) -> Result<Option<ResolvedTenant>, StoreError> {
        let Some(record) = self.get_pointer(&GlobalKey::Slug(slug.clone())).await? else {
            return Ok(None);
        };
        Ok(Some(ResolvedTenant::from_store(record.tenant_id()?)))
    }

    /// Follows a named global lookup. Expired pointers read as absent.
    pub async fn pointer(&self, key: &GlobalKey) -> Result<Option<Pointer>, StoreError> {
        let Some(record) = self.get_pointer(key).await? else {
            return Ok(None);
        };
        let user_id = match record.optional_string("user_id") {
            Some(u) => Some(u.parse().map_err(|_| StoreError::Integrity)?),
            None => None,
        };
        Ok(Some(Pointer {
            tenant: ResolvedTenant::from_store(record.tenant_id()?),
            user_id,
            item: record.optional_string("item").map(str::to_owned),
        }))
    }

    /// Reads a credential record (a session or an API key, the only global
    /// items that are more than a pointer) with everything authentication
    /// needs, and the tenant it belongs to. Expired records read as absent;
    /// any other lookup is refused.
    pub async fn credential(
        &self,
        key: &GlobalKey,
    ) -> Result<Option<(ResolvedTenant, Record)>, StoreError> {
        if !matches!(key, GlobalKey::Session(_) | GlobalKey::ApiKey(_)) {
            return Err(StoreError::Integrity);
        }
        let Some(record) = self.get_pointer(key).await? else {
            return Ok(None);
        };
        Ok(Some((
            ResolvedTenant::from_store(record.tenant_id()?),
            record,
        )))
    }

    async fn get_pointer(&self, key: &GlobalKey) -> Result<Option<Record>, StoreError> {
        let now = crate::clock::now_unix();
        Ok(self
            .get_raw(&self.ddb, key.pk(), key.sk())
            .await?
            .filter(|r| !r.expired_at(now)))
    }

    /// Applies all writes atomically, or none of them.
    pub async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        self.transact_detailed(writes).await.map_err(|e| match e {
            TxError::Cancelled(_) => StoreError::Conflict,
            TxError::Store(e) => e,
        })
    }

    /// Applies all writes atomically, or none of them, saying which write's
    /// condition refused a cancelled transaction.
    pub async fn transact_detailed(&self, writes: Vec<Write>) -> Result<(), TxError> {
        let ddb = self
            .transaction_client(&writes)
            .await
            .map_err(TxError::Store)?;
        let items = writes
            .into_iter()
            .map(|w| self.transact_item(w))
            .collect::<Result<Vec<_>, _>>()
            .map_err(TxError::Store)?;
        match ddb
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c)) => {
                    Err(TxError::Cancelled(
                        c.cancellation_reasons()
                            .iter()
                            .map(|r| r.code() == Some("ConditionalCheckFailed"))
                            .collect(),
                    ))
                }
                _ => Err(TxError::Store(unavailable("TransactWriteItems")(e))),
            },
        }
    }

    /// Updates one tenant item under a condition and returns it as it is
    /// afterwards, or `None` when the condition did not hold (one round trip
    /// for claim-then-use work such as sending an outbox message).
    pub async fn update_returning(
        &self,
        scope: &TenantScope,
        key: &TenantKey,
        attrs: Attrs,
        cond: Condition,
    ) -> Result<Option<Record>, StoreError> {
        let (guard, mut names, mut values) = tenant_guarded(
            cond,
            key.tenant_id(),
            "attribute_exists(PK) AND #tenant = :tenant",
        );
        let update = update_expression(attrs, &mut names, &mut values);
        let out = self
            .tenants
            .client(scope)
            .await?
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key.pk(), key.sk())))
            .update_expression(update)
            .condition_expression(guard)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        match out {
            Ok(out) => verified(scope, Record::from_item(out.attributes.unwrap_or_default())),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(unavailable("UpdateItem")(e)),
        }
    }

    /// The credentials a transaction is signed with (ISO-6): those of the one
    /// tenant its writes name, or the function's own when they name none. A
    /// transaction naming two tenants is refused unsent.
    async fn transaction_client(
        &self,
        writes: &[Write],
    ) -> Result<aws_sdk_dynamodb::Client, StoreError> {
        let mut tenants = writes.iter().filter_map(Write::tenant);
        let Some(first) = tenants.next() else {
            return Ok(self.ddb.clone());
        };
        if tenants.any(|t| t != first) {
            tracing::error!(tenant = %first, "a transaction named more than one tenant");
            return Err(StoreError::Integrity);
        }
        self.tenants.for_tenant(first).await
    }

    fn put(
        &self,
        item: HashMap<String, AttributeValue>,
        cond: Condition,
    ) -> Result<TransactWriteItem, StoreError> {
        let (expr, names, values) = condition(cond);
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(expr)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::None)
            .build()
            .map_err(|_| StoreError::Integrity)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn delete(
        &self,
        pk: String,
        sk: String,
        expr: Option<String>,
        names: Names,
        values: Values,
    ) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key_map(pk, sk)))
            .set_condition_expression(expr)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .build()
            .map_err(|_| StoreError::Integrity)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// An update of an existing item that must name `tenant` (ISO-4).
    fn update(
        &self,
        pk: String,
        sk: String,
        tenant: &TenantId,
        attrs: Attrs,
        cond: Condition,
    ) -> Result<TransactWriteItem, StoreError> {
        let (guard, mut names_map, mut values_map) =
            tenant_guarded(cond, tenant, "attribute_exists(PK) AND #tenant = :tenant");
        let update = update_expression(attrs, &mut names_map, &mut values_map);
        Ok(TransactWriteItem::builder()
            .update(
                Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_map(pk, sk)))
                    .update_expression(update)
                    .condition_expression(guard)
                    .set_expression_attribute_names(Some(names_map))
                    .set_expression_attribute_values(Some(values_map))
                    .build()
                    .map_err(|_| StoreError::Integrity)?,
            )
            .build())
    }

    fn transact_item(&self, write: Write) -> Result<TransactWriteItem, StoreError> {
        let built = match write {
            Write::Put(key, attrs, cond) => {
                self.put(attrs.into_item(key.pk(), key.sk(), key.tenant_id()), cond)?
            }
            Write::PutPointer(key, tenant, attrs, cond) => {
                self.put(attrs.into_item(key.pk(), key.sk(), &tenant), cond)?
            }
            Write::Update(key, attrs, cond) => {
                self.update(key.pk(), key.sk(), key.tenant_id(), attrs, cond)?
            }
            Write::UpdatePointer(key, tenant, attrs, cond) => {
                self.update(key.pk(), key.sk(), &tenant, attrs, cond)?
            }
            Write::Delete(key, cond) => {
                let (guard, names, values) = tenant_guarded(
                    cond,
                    key.tenant_id(),
                    "attribute_not_exists(PK) OR #tenant = :tenant",
                );
                self.delete(key.pk(), key.sk(), Some(guard), Some(names), Some(values))?
            }
            Write::Count { pk, limit, expires } => TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_map(pk, "COUNTER".to_owned())))
                        .update_expression("ADD #hits :one SET #exp = :exp")
                        .condition_expression("attribute_not_exists(#hits) OR #hits < :limit")
                        .expression_attribute_names("#hits", "hits")
                        .expression_attribute_names("#exp", EXPIRES_ATTR)
                        .expression_attribute_values(":one", number(1))
                        .expression_attribute_values(":limit", number(limit))
                        .expression_attribute_values(":exp", number(expires))
                        .build()
                        .map_err(|_| StoreError::Integrity)?,
                )
                .build(),
            Write::DeletePointer(key, cond) => {
                let (expr, names, values) = condition(cond);
                self.delete(key.pk(), key.sk(), expr, names, values)?
            }
        };
        Ok(built)
    }
}

/// One page of a tenant Query: its items verified against the scope, and
/// the sort key to continue after.
fn page_of(
    scope: &TenantScope,
    out: aws_sdk_dynamodb::operation::query::QueryOutput,
) -> Result<Page, StoreError> {
    let next = out
        .last_evaluated_key
        .as_ref()
        .and_then(|k| k.get("SK"))
        .and_then(|v| v.as_s().ok())
        .cloned();
    let records = out
        .items
        .unwrap_or_default()
        .into_iter()
        .filter_map(|item| verified(scope, Record::from_item(item)).transpose())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page { records, next })
}

/// `SET`/`REMOVE` clauses for `attrs`, adding their placeholders.
fn update_expression(
    attrs: Attrs,
    names: &mut HashMap<String, String>,
    values: &mut HashMap<String, AttributeValue>,
) -> String {
    let mut sets = Vec::new();
    let mut removes = Vec::new();
    for (i, (name, value)) in attrs.into_pairs().into_iter().enumerate() {
        names.insert(format!("#u{i}"), name);
        if matches!(value, AttributeValue::Null(_)) {
            removes.push(format!("#u{i}"));
        } else {
            values.insert(format!(":u{i}"), value);
            sets.push(format!("#u{i} = :u{i}"));
        }
    }
    let mut expression = String::new();
    if !sets.is_empty() {
        expression.push_str(&format!("SET {}", sets.join(", ")));
    }
    if !removes.is_empty() {
        expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
    }
    expression.trim_start().to_owned()
}

/// A condition on a tenant item, extended so the item's tenant attribute must
/// be the key's tenant (ISO-4). `otherwise` applies when there is no condition.
fn tenant_guarded(
    cond: Condition,
    tenant: &TenantId,
    otherwise: &str,
) -> (
    String,
    HashMap<String, String>,
    HashMap<String, AttributeValue>,
) {
    let (expr, names, values) = condition(cond);
    let mut names = names.unwrap_or_default();
    let mut values = values.unwrap_or_default();
    names.insert("#tenant".into(), TENANT_ATTR.into());
    values.insert(":tenant".into(), AttributeValue::S(tenant.as_str().into()));
    let guard = match expr {
        Some(c) => format!("({c}) AND #tenant = :tenant"),
        None => otherwise.to_owned(),
    };
    (guard, names, values)
}

type Names = Option<HashMap<String, String>>;
type Values = Option<HashMap<String, AttributeValue>>;

fn condition(cond: Condition) -> (Option<String>, Names, Values) {
    condition_tagged(cond, "")
}

/// Builds one condition with placeholders suffixed by `tag`, so that several
/// can be combined in one expression ([`Condition::All`]).
fn condition_tagged(cond: Condition, tag: &str) -> (Option<String>, Names, Values) {
    let (name, value) = (format!("#cf{tag}"), format!(":cv{tag}"));
    let on_field = |expr: &str, field: &str, v: AttributeValue| {
        (
            Some(expr.replace("#cf", &name).replace(":cv", &value)),
            Some(HashMap::from([(name.clone(), field.to_owned())])),
            Some(HashMap::from([(value.clone(), v)])),
        )
    };
    match cond {
        Condition::None => (None, None, None),
        Condition::NotExists => (Some("attribute_not_exists(PK)".into()), None, None),
        Condition::AbsentOrExpiredAt(now) => on_field(
            "attribute_not_exists(PK) OR #cf <= :cv",
            EXPIRES_ATTR,
            AttributeValue::N(now.to_string()),
        ),
        Condition::Exists => (Some("attribute_exists(PK)".into()), None, None),
        Condition::ExistsUnexpiredAt(now) => on_field(
            "attribute_exists(PK) AND #cf > :cv",
            EXPIRES_ATTR,
            AttributeValue::N(now.to_string()),
        ),
        Condition::ExistsWithNumber(field, 0) => on_field(
            "attribute_exists(PK) AND (attribute_not_exists(#cf) OR #cf = :cv)",
            field,
            AttributeValue::N("0".into()),
        ),
        Condition::ExistsWithNumber(field, v) => on_field(
            "attribute_exists(PK) AND #cf = :cv",
            field,
            AttributeValue::N(v.to_string()),
        ),
        Condition::ExistsWithNumberAtMost(field, v) => on_field(
            "attribute_exists(PK) AND (attribute_not_exists(#cf) OR #cf <= :cv)",
            field,
            AttributeValue::N(v.to_string()),
        ),
        Condition::ExistsWithString(field, v)
        | Condition::ExistsWithOptionalString(field, Some(v)) => on_field(
            "attribute_exists(PK) AND #cf = :cv",
            field,
            AttributeValue::S(v),
        ),
        Condition::ExistsWithOptionalString(field, None) => (
            Some(format!(
                "attribute_exists(PK) AND attribute_not_exists({name})"
            )),
            Some(HashMap::from([(name.clone(), field.to_owned())])),
            None,
        ),
        Condition::All(mut parts) if parts.len() == 1 => {
            // One part needs no grouping (DynamoDB refuses redundant parentheses).
            condition_tagged(parts.remove(0), tag)
        }
        Condition::All(parts) => {
            let mut exprs = Vec::new();
            let mut names = HashMap::new();
            let mut values = HashMap::new();
            for (i, part) in parts.into_iter().enumerate() {
                let (e, n, v) = condition_tagged(part, &format!("{tag}_{i}"));
                exprs.extend(e.map(|e| format!("({e})")));
                names.extend(n.unwrap_or_default());
                values.extend(v.unwrap_or_default());
            }
            (
                (!exprs.is_empty()).then(|| exprs.join(" AND ")),
                (!names.is_empty()).then_some(names),
                (!values.is_empty()).then_some(values),
            )
        }
    }
}

fn number(n: i64) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

fn key_map(pk: String, sk: String) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("PK".into(), AttributeValue::S(pk)),
        ("SK".into(), AttributeValue::S(sk)),
    ])
}

/// Defence in depth (ISO-4): whatever the key said, the item must name the
/// scope's tenant. A mismatch is logged as an integrity violation and never
/// returned.
fn verified(scope: &TenantScope, record: Record) -> Result<Option<Record>, StoreError> {
    let owner = record.tenant_id().ok();
    if owner.as_ref() != Some(scope.tenant_id()) {
        tracing::error!(
            scope_tenant = %scope.tenant_id(),
            "store returned an item whose tenant attribute does not match the scope"
        );
        return Err(StoreError::Integrity);
    }
    if record.expired_at(crate::clock::now_unix()) {
        return Ok(None);
    }
    Ok(Some(record))
}
