//! The tamper-evident audit log (AUD-2): each tenant's audit events form one
//! hash chain, anchored from time to time in an object-locked bucket.
//!
//! # Why events are linked after they are written
//! An event is written inside the transaction of the change it records
//! ([`super::AuditEvent::write`], some fifty call sites), so the record exists
//! exactly when the change does. Linking it there would put the chain head in
//! every one of those transactions: every audited change of a tenant would
//! conflict with every other one, and a transaction that fails for its own
//! reasons would have to be retried for the head's. So events are written
//! unchained, and a *sequencer* links them afterwards:
//!
//! - it reads the head (`T#<t>#AUDITHEAD`: last sequence number and hash, the
//!   newest sort key linked so far), lists the events from a little before that
//!   sort key on, oldest first, and links those that carry no hash yet, up to
//!   [`BATCH`] per transaction;
//! - each transaction sets `seq`, `prev` and `hash` on every event it links,
//!   each under the condition that the event has no hash yet, and moves the head
//!   under the condition that its sequence number is still the one read. Two
//!   sequencers racing cannot fork the chain: one transaction wins, the other is
//!   cancelled whole, re-reads the head and finds the events already linked;
//! - chain order is the order of sequencing, not of sort keys. An event
//!   committed late, with a sort key older than the head's (a transaction built
//!   before slow work, clocks a little apart), is still found, because the
//!   sequencer always looks back [`RECENT_SECS`] behind the newest linked sort
//!   key, the verification route and the scheduled job [`LATE_SECS`] (longer
//!   than a function may run); and every unlinked event also sits on the `Due`
//!   index (`DUE#AUDIT`) until linked, so the scheduled job finds any tenant
//!   with an unlinked event, however old, without scanning the table.
//!
//! The sequencer runs after [`super::AuditEvent::append`] (best effort), at
//! the start of every verification and in the scheduled `SequenceAudit` job.
//!
//! # What the chain proves, and what the anchors add
//! Each link's hash covers a canonical, length-prefixed encoding of the
//! event's fields ([`encode`]), its sequence number and its predecessor's hash.
//! Editing, removing, reordering or duplicating an event breaks the chain at
//! that event. The hash is not keyed: someone able to write the table could
//! rebuild every link after their edit. The anchors close that: the
//! `AnchorAudit` job writes each moved head (sequence number and hash, also in
//! the object's key) to the anchor bucket, where object lock in compliance mode
//! keeps every version for 400 days and the application may neither delete nor
//! shorten retention. Verification checks every anchor against the chain, so
//! rewriting history before the newest anchor, or cutting off the tail behind
//! it, is detected.

use std::collections::{BTreeMap, HashMap};

use aws_lc_rs::digest;
use serde::Serialize;

use crate::crypto::hex;
use crate::store::{
    Attrs, Collection, Condition, DueQueue, Entity, Record, Store, StoreError, TenantKey, Write,
};
use crate::tenancy::TenantScope;

/// The predecessor of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Events linked per transaction (DynamoDB's limit is 100 writes; one is the head).
pub const BATCH: usize = 98;
/// How far behind the newest linked sort key every sequencing run looks for
/// events committed after it (clock differences between functions).
pub const RECENT_SECS: i64 = 60;
/// How far behind the verification route and the scheduled job look: longer
/// than any function runs (15 minutes), so a transaction built early and
/// committed at the end of a slow invocation is still found.
pub const LATE_SECS: i64 = 20 * 60;
/// Events a verification holds that arrived (in sort-key order) before their
/// predecessors. Late events keep this small; a gap makes it grow, and past
/// this bound the missing event is reported, which bounds memory.
pub const MAX_OUT_OF_ORDER: usize = 10_000;
/// Attempts a sequencing run makes when another run moved the head first.
const MAX_ATTEMPTS: usize = 8;
/// Attempts after an append: a request does not wait on a contended head;
/// the run that won it has usually linked this event too, and the scheduled
/// job links whatever is left.
const APPEND_ATTEMPTS: usize = 2;

const SEQ: &str = "seq";
const PREV: &str = "prev";
const HASH: &str = "hash";
const HIGH_WATER: &str = "high_water";
const HIGH_WATER_AT: &str = "high_water_at";
/// Sequence number of the newest anchor written for the head.
pub const ANCHORED_SEQ: &str = "anchored_seq";

/// The chain head of a tenant.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Head {
    exists: bool,
    /// Last sequence number (0: nothing linked yet).
    pub seq: i64,
    /// Hash of the last linked event ([`GENESIS`] before the first).
    pub hash: String,
    /// The newest sort key linked so far.
    high_water: Option<String>,
    /// Its time.
    high_water_at: i64,
    /// Sequence number of the newest anchor written (0: none).
    pub anchored_seq: i64,
}

/// The fields of an event the hash covers, as stored. Absent fields are
/// encoded as absent, so anything in the audit partition can be linked and
/// checked, even an item no code of ours wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Linked<'a> {
    /// The owning tenant.
    pub tenant: &'a str,
    /// Area.
    pub kind: Option<&'a str>,
    /// What happened.
    pub action: Option<&'a str>,
    /// Who did it.
    pub actor: Option<&'a str>,
    /// What it was done to.
    pub target: Option<&'a str>,
    /// Unix time.
    pub at: Option<i64>,
    /// Client address.
    pub client_addr: Option<&'a str>,
    /// `success` or `failure`.
    pub outcome: Option<&'a str>,
    /// The event's sort key.
    pub sort_key: &'a str,
    /// Its sequence number.
    pub seq: i64,
    /// The predecessor's hash, as stored (hex).
    pub prev: &'a str,
}

fn field(out: &mut Vec<u8>, value: Option<&[u8]>) {
    match value {
        None => out.push(0),
        Some(v) => {
            out.push(1);
            out.extend_from_slice(&(v.len() as u64).to_be_bytes());
            out.extend_from_slice(v);
        }
    }
}

/// The canonical encoding a link's hash covers: a version tag, then every
/// field in a fixed order, each as a presence byte and, when present, its
/// length (8 bytes, big-endian) and bytes. No two different events encode
/// alike, so no edit can keep the hash.
pub fn encode(e: &Linked<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    field(&mut out, Some(b"bookwarden/audit-chain/v1"));
    field(&mut out, Some(e.tenant.as_bytes()));
    for s in [e.kind, e.action, e.actor, e.target] {
        field(&mut out, s.map(str::as_bytes));
    }
    field(
        &mut out,
        e.at.map(i64::to_be_bytes).as_ref().map(|b| &b[..]),
    );
    for s in [e.client_addr, e.outcome, Some(e.sort_key)] {
        field(&mut out, s.map(str::as_bytes));
    }
    field(&mut out, Some(&e.seq.to_be_bytes()));
    field(&mut out, Some(e.prev.as_bytes()));
    out
}

/// The link's hash (SHA-256 of [`encode`], hex).
pub fn link_hash(e: &Linked<'_>) -> String {
    hex(digest::digest(&digest::SHA256, &encode(e)).as_ref())
}

fn linked<'a>(tenant: &'a str, r: &'a Record, seq: i64, prev: &'a str) -> Option<Linked<'a>> {
    Some(Linked {
        tenant,
        kind: r.optional_string("kind"),
        action: r.optional_string("action"),
        actor: r.optional_string("actor"),
        target: r.optional_string("target"),
        at: r.number("at").ok(),
        client_addr: r.optional_string("client_addr"),
        outcome: r.optional_string("outcome"),
        sort_key: r.sort_key().ok()?,
        seq,
        prev,
    })
}

fn head_key(scope: &TenantScope) -> TenantKey {
    TenantKey::new(scope, Entity::AuditHead)
}

/// The tenant's chain head (a default one before the first link).
pub async fn head(store: &Store, scope: &TenantScope) -> Result<Head, StoreError> {
    let Some(r) = store.get(scope, &head_key(scope)).await? else {
        return Ok(Head {
            hash: GENESIS.to_owned(),
            ..Head::default()
        });
    };
    Ok(Head {
        exists: true,
        seq: r.number(SEQ)?,
        hash: r.string(HASH)?.to_owned(),
        high_water: r.optional_string(HIGH_WATER).map(str::to_owned),
        high_water_at: r.number_or_zero(HIGH_WATER_AT),
        anchored_seq: r.number_or_zero(ANCHORED_SEQ),
    })
}

/// A sort key just before any event of second `unix`.
fn sort_key_floor(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// Links every unlinked event of the tenant from `behind` seconds before the
/// newest linked one on, and from `since` (a Unix time) on when given.
/// Returns how many this run linked. Safe to run concurrently with itself.
pub async fn sequence(
    store: &Store,
    scope: &TenantScope,
    behind: i64,
    since: Option<i64>,
) -> Result<usize, StoreError> {
    run(store, scope, behind, since, MAX_ATTEMPTS).await
}

/// The sequencing a request does after appending an event: the recent past
/// only, and without waiting long on a contended head.
pub async fn sequence_after_append(
    store: &Store,
    scope: &TenantScope,
) -> Result<usize, StoreError> {
    run(store, scope, RECENT_SECS, None, APPEND_ATTEMPTS).await
}

async fn run(
    store: &Store,
    scope: &TenantScope,
    behind: i64,
    since: Option<i64>,
    attempts: usize,
) -> Result<usize, StoreError> {
    let mut linked_here = 0;
    for attempt in 0..attempts {
        let mut head = head(store, scope).await?;
        let from = head
            .high_water
            .as_ref()
            .map(|_| head.high_water_at.saturating_sub(behind));
        let from = match (from, since) {
            (Some(a), Some(b)) => Some(a.min(b.saturating_sub(1))),
            (Some(a), None) => Some(a),
            // No head yet: everything from the start.
            (None, _) => None,
        };
        let mut cursor = from.map(sort_key_floor);
        let mut raced = false;
        'pages: loop {
            let page = store
                .list(scope, Collection::AuditOldestFirst, 100, cursor.as_deref())
                .await?;
            let pending: Vec<&Record> = page.records.iter().filter(|r| !r.has(HASH)).collect();
            for batch in pending.chunks(BATCH) {
                match link(store, scope, &mut head, batch).await {
                    Ok(n) => linked_here += n,
                    Err(StoreError::Conflict) => {
                        raced = true;
                        break 'pages;
                    }
                    Err(e) => return Err(e),
                }
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        if !raced {
            return Ok(linked_here);
        }
        if attempt + 1 == attempts {
            break;
        }
        // Another run moved the head: back off a little, apart from it.
        let jitter = u64::from(crate::crypto::random_bytes::<1>()[0]) % 20;
        tokio::time::sleep(std::time::Duration::from_millis(
            5 * (attempt as u64 + 1) + jitter,
        ))
        .await;
    }
    tracing::info!(
        linked = linked_here,
        "audit sequencing gave way to concurrent runs"
    );
    Ok(linked_here)
}

/// Links `batch` after `head` in one transaction and advances `head`.
async fn link(
    store: &Store,
    scope: &TenantScope,
    head: &mut Head,
    batch: &[&Record],
) -> Result<usize, StoreError> {
    let tenant = scope.tenant_id().as_str();
    let mut writes = Vec::with_capacity(batch.len() + 1);
    let mut next = head.clone();
    for r in batch {
        let seq = next.seq + 1;
        let Some(l) = linked(tenant, r, seq, &next.hash) else {
            continue;
        };
        let hash = link_hash(&l);
        let sk = l.sort_key.to_owned();
        writes.push(Write::Update(
            TenantKey::new(scope, Entity::AuditEvent(&sk)),
            Attrs::new()
                .number(SEQ, seq)
                .string(PREV, next.hash.clone())
                .string(HASH, hash.clone())
                .not_due(),
            Condition::ExistsWithOptionalString(HASH, None),
        ));
        if next.high_water.as_ref().is_none_or(|hw| sk > *hw) {
            next.high_water_at = l.at.unwrap_or(next.high_water_at);
            next.high_water = Some(sk);
        }
        next.seq = seq;
        next.hash = hash;
    }
    let n = writes.len();
    if n == 0 {
        return Ok(0);
    }
    let attrs = Attrs::new()
        .number(SEQ, next.seq)
        .string(HASH, next.hash.clone())
        .string(HIGH_WATER, next.high_water.clone().unwrap_or_default())
        .number(HIGH_WATER_AT, next.high_water_at)
        // Moved since its last anchor: the anchor job's queue.
        .due_in(
            DueQueue::AuditAnchor,
            scope,
            "HEAD",
            crate::clock::now_unix(),
        );
    writes.push(if head.exists {
        Write::Update(
            head_key(scope),
            attrs,
            Condition::ExistsWithNumber(SEQ, head.seq),
        )
    } else {
        Write::Put(head_key(scope), attrs, Condition::NotExists)
    });
    store.transact(writes).await?;
    next.exists = true;
    *head = next;
    Ok(n)
}

/// Where the chain first breaks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Broken {
    /// The sequence number of the first link that does not hold.
    pub seq: i64,
    /// The sort key of the event found there, or of the event after a gap;
    /// empty when the chain ends before this link.
    pub sort_key: String,
    /// Why: `altered`, `relinked`, `missing`, `duplicate`, `anchor_mismatch`,
    /// `truncated` or `malformed`.
    pub reason: &'static str,
}

/// The result of walking a tenant's chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Verification {
    /// Whether every link, the head and every anchor hold.
    pub valid: bool,
    /// Linked events walked.
    pub events: i64,
    /// The first link that does not hold.
    pub first_broken: Option<Broken>,
    /// The sequence number of the newest anchor (0: none yet).
    pub anchored_through: i64,
    /// Events written but not linked yet (committed during the walk); the
    /// next sequencing run links them.
    pub pending: i64,
}

/// An anchor as the bucket holds it: `anchors/<tenant>/<seq, 12 digits>-<hash>.json`.
pub fn anchor_key(tenant: &str, seq: i64, hash: &str) -> String {
    format!("{}{seq:012}-{hash}.json", anchor_prefix(tenant))
}

fn anchor_prefix(tenant: &str) -> String {
    format!("anchors/{tenant}/")
}

/// Every anchor of the tenant: sequence number to hash, read from the keys
/// (one listing page per thousand anchors; at most one anchor an hour).
pub async fn anchors(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    tenant: &str,
) -> Result<BTreeMap<i64, String>, StoreError> {
    let prefix = anchor_prefix(tenant);
    let mut found = BTreeMap::new();
    let mut token: Option<String> = None;
    loop {
        let out = s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(&prefix)
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| {
                tracing::error!(error = %aws_sdk_s3::error::DisplayErrorContext(&e), "listing audit anchors failed");
                StoreError::Unavailable
            })?;
        for object in out.contents() {
            let Some(name) = object
                .key()
                .and_then(|k| k.strip_prefix(&prefix))
                .and_then(|k| k.strip_suffix(".json"))
            else {
                continue;
            };
            let Some((seq, hash)) = name.split_once('-') else {
                continue;
            };
            let Ok(seq) = seq.parse::<i64>() else {
                continue;
            };
            // Two anchors naming one sequence number with different hashes
            // cannot both match: keep a marker that matches no hash.
            match found.get(&seq) {
                Some(h) if h != hash => {
                    found.insert(seq, String::from("conflicting anchors"));
                }
                _ => {
                    found.insert(seq, hash.to_owned());
                }
            }
        }
        match out.next_continuation_token() {
            Some(t) if out.is_truncated() == Some(true) => token = Some(t.to_owned()),
            _ => return Ok(found),
        }
    }
}

struct Seen {
    sort_key: String,
    prev: String,
    hash: String,
    intact: bool,
}

/// Walks the tenant's chain oldest first, one page at a time, and checks every
/// link, the head and every anchor. Memory is bounded by
/// [`MAX_OUT_OF_ORDER`] events and the anchors.
pub async fn verify(
    store: &Store,
    scope: &TenantScope,
    anchors: &BTreeMap<i64, String>,
) -> Result<Verification, StoreError> {
    let tenant = scope.tenant_id().as_str();
    let head = head(store, scope).await?;
    let mut walk = Walk::new(anchors);
    let mut cursor: Option<String> = None;
    loop {
        let page = store
            .list(scope, Collection::AuditOldestFirst, 100, cursor.as_deref())
            .await?;
        for r in &page.records {
            walk.see(tenant, r);
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(walk.finish(&head))
}

/// The state of a walk: links seen in sort-key order, checked in chain order.
struct Walk<'a> {
    anchors: &'a BTreeMap<i64, String>,
    expected: i64,
    prev: String,
    waiting: BTreeMap<i64, Seen>,
    broken: Option<Broken>,
    events: i64,
    pending: i64,
}

impl<'a> Walk<'a> {
    fn new(anchors: &'a BTreeMap<i64, String>) -> Self {
        Self {
            anchors,
            expected: 1,
            prev: GENESIS.to_owned(),
            waiting: BTreeMap::new(),
            broken: None,
            events: 0,
            pending: 0,
        }
    }

    fn fail(&mut self, seq: i64, sort_key: &str, reason: &'static str) {
        if self.broken.is_none() {
            self.broken = Some(Broken {
                seq,
                sort_key: sort_key.to_owned(),
                reason,
            });
        }
    }

    fn see(&mut self, tenant: &str, r: &Record) {
        let sort_key = r.sort_key().unwrap_or_default().to_owned();
        if !r.has(HASH) && !r.has(SEQ) && !r.has(PREV) {
            self.pending += 1;
            return;
        }
        self.events += 1;
        if self.broken.is_some() {
            return;
        }
        let (Ok(seq), Some(prev), Some(hash)) = (
            r.number(SEQ),
            r.optional_string(PREV),
            r.optional_string(HASH),
        ) else {
            self.fail(self.expected, &sort_key, "malformed");
            return;
        };
        if seq < self.expected || self.waiting.contains_key(&seq) {
            self.fail(seq, &sort_key, "duplicate");
            return;
        }
        let intact = linked(tenant, r, seq, prev).is_some_and(|l| link_hash(&l) == hash);
        self.waiting.insert(
            seq,
            Seen {
                sort_key,
                prev: prev.to_owned(),
                hash: hash.to_owned(),
                intact,
            },
        );
        self.drain();
        if self.broken.is_none() && self.waiting.len() > MAX_OUT_OF_ORDER {
            let after = self
                .waiting
                .values()
                .next()
                .map(|s| s.sort_key.clone())
                .unwrap_or_default();
            self.fail(self.expected, &after, "missing");
        }
    }

    /// Checks every waiting link that is next in the chain.
    fn drain(&mut self) {
        while self.broken.is_none() {
            let Some(seen) = self.waiting.remove(&self.expected) else {
                return;
            };
            let seq = self.expected;
            if !seen.intact {
                self.fail(seq, &seen.sort_key, "altered");
            } else if seen.prev != self.prev {
                self.fail(seq, &seen.sort_key, "relinked");
            } else if self.anchors.get(&seq).is_some_and(|a| *a != seen.hash) {
                self.fail(seq, &seen.sort_key, "anchor_mismatch");
            }
            self.prev = seen.hash;
            self.expected += 1;
        }
    }

    fn finish(mut self, head: &Head) -> Verification {
        if let Some((_, first)) = self.waiting.iter().next() {
            let after = first.sort_key.clone();
            self.fail(self.expected, &after, "missing");
        }
        let last = self.expected - 1;
        let anchored_through = self.anchors.keys().next_back().copied().unwrap_or(0);
        // The tail behind the head or the newest anchor is gone.
        if anchored_through > last || head.seq > last {
            self.fail(last + 1, "", "truncated");
        }
        // The head names the hash its sequence number had when linked.
        if self.broken.is_none() && head.seq > 0 && head.seq == last && head.hash != self.prev {
            self.fail(head.seq, "", "relinked");
        }
        Verification {
            valid: self.broken.is_none(),
            events: self.events,
            first_broken: self.broken,
            anchored_through,
            pending: self.pending,
        }
    }
}

/// What one anchoring pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AnchorReport {
    /// Heads written to the bucket.
    pub anchored: usize,
    /// Heads already anchored, or that could not be read.
    pub skipped: usize,
}

/// Heads a pass takes from the queue.
pub const ANCHOR_BATCH: i32 = 500;

/// Writes every head that moved since its last anchor to the anchor bucket
/// (the `AnchorAudit` job).
pub async fn anchor_due(
    store: &Store,
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    now: i64,
) -> Result<AnchorReport, StoreError> {
    let mut report = AnchorReport::default();
    for due in store
        .due(DueQueue::AuditAnchor, now, now, ANCHOR_BATCH)
        .await?
    {
        let scope = TenantScope::from_resolved(due.tenant);
        match anchor(store, s3, bucket, &scope, now).await {
            Ok(true) => report.anchored += 1,
            Ok(false) => report.skipped += 1,
            Err(StoreError::Unavailable) => return Err(StoreError::Unavailable),
            Err(_) => report.skipped += 1,
        }
    }
    Ok(report)
}

/// Anchors the tenant's head now; `false` when it had nothing new.
pub async fn anchor(
    store: &Store,
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    scope: &TenantScope,
    now: i64,
) -> Result<bool, StoreError> {
    let head = head(store, scope).await?;
    let tenant = scope.tenant_id().as_str();
    if head.seq == 0 || head.seq <= head.anchored_seq {
        // Nothing new: leave the queue.
        if head.exists {
            clear(store, scope, &head).await?;
        }
        return Ok(false);
    }
    let body = serde_json::json!({
        "tenant": tenant,
        "seq": head.seq,
        "hash": head.hash,
        "at": crate::clock::rfc3339(now),
    })
    .to_string();
    s3.put_object()
        .bucket(bucket)
        .key(anchor_key(tenant, head.seq, &head.hash))
        .content_type("application/json")
        // Object lock refuses writes without an integrity checksum.
        .checksum_algorithm(aws_sdk_s3::types::ChecksumAlgorithm::Sha256)
        .body(aws_sdk_s3::primitives::ByteStream::from(body.into_bytes()))
        .send()
        .await
        .map_err(|e| {
            tracing::error!(tenant = %tenant, error = %aws_sdk_s3::error::DisplayErrorContext(&e), "writing an audit anchor failed");
            StoreError::Unavailable
        })?;
    clear(store, scope, &head).await?;
    Ok(true)
}

/// Records that `head` is anchored and takes it off the queue, unless it moved
/// meanwhile (then it stays queued for the next pass).
async fn clear(store: &Store, scope: &TenantScope, head: &Head) -> Result<(), StoreError> {
    match store
        .transact(vec![Write::Update(
            head_key(scope),
            Attrs::new().number(ANCHORED_SEQ, head.seq).not_due(),
            Condition::ExistsWithNumber(SEQ, head.seq),
        )])
        .await
    {
        Ok(()) | Err(StoreError::Conflict) => Ok(()),
        Err(e) => Err(e),
    }
}

/// What one sequencing pass of the scheduled job did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SequenceReport {
    /// Tenants with unlinked events.
    pub tenants: usize,
    /// Events linked.
    pub linked: usize,
}

/// Unlinked events a pass takes from the queue.
pub const SEQUENCE_BATCH: i32 = 1000;

/// Links the unlinked events of every tenant that has some (the
/// `SequenceAudit` job): found on the `Due` index, however late they were
/// committed.
pub async fn sequence_due(store: &Store, now: i64) -> Result<SequenceReport, StoreError> {
    let mut oldest: HashMap<String, (TenantScope, i64)> = HashMap::new();
    for due in store
        .due(DueQueue::AuditChain, now, now, SEQUENCE_BATCH)
        .await?
    {
        let scope = TenantScope::from_resolved(due.tenant);
        oldest
            .entry(scope.tenant_id().to_string())
            .and_modify(|(_, at)| *at = (*at).min(due.at))
            .or_insert((scope, due.at));
    }
    let mut report = SequenceReport {
        tenants: oldest.len(),
        linked: 0,
    };
    for (_, (scope, at)) in oldest {
        report.linked += sequence(store, &scope, LATE_SECS, Some(at)).await?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn event<'a>(parts: &'a [Option<String>; 6], at: Option<i64>, seq: i64) -> Linked<'a> {
        Linked {
            tenant: parts[0].as_deref().unwrap_or(""),
            kind: parts[1].as_deref(),
            action: parts[2].as_deref(),
            actor: parts[3].as_deref(),
            target: parts[4].as_deref(),
            at,
            client_addr: parts[5].as_deref(),
            outcome: Some("success"),
            sort_key: "2026-01-01T00:00:00.000000Z#00",
            seq,
            prev: GENESIS,
        }
    }

    #[test]
    fn moving_a_boundary_between_fields_changes_the_encoding() {
        let a = [
            Some("t".into()),
            Some("ab".into()),
            Some("c".into()),
            None,
            None,
            None,
        ];
        let b = [
            Some("t".into()),
            Some("a".into()),
            Some("bc".into()),
            None,
            None,
            None,
        ];
        let empty = [
            Some("t".into()),
            Some("ab".into()),
            Some("c".into()),
            Some(String::new()),
            None,
            None,
        ];
        let (ea, eb, ee) = (
            encode(&event(&a, Some(1), 1)),
            encode(&event(&b, Some(1), 1)),
            encode(&event(&empty, Some(1), 1)),
        );
        assert_ne!(ea, eb);
        assert_ne!(ea, ee, "an empty field is not an absent one");
        assert_ne!(
            link_hash(&event(&a, Some(1), 1)),
            link_hash(&event(&a, Some(1), 2))
        );
        assert_eq!(link_hash(&event(&a, Some(1), 1)).len(), 64);
    }

    proptest! {
        #[test]
        fn different_events_never_encode_alike(
            a in proptest::array::uniform6(proptest::option::of(".{0,6}")),
            b in proptest::array::uniform6(proptest::option::of(".{0,6}")),
            at_a in proptest::option::of(any::<i64>()),
            at_b in proptest::option::of(any::<i64>()),
            seq_a in 0i64..4,
            seq_b in 0i64..4,
        ) {
            let (ea, eb) = (event(&a, at_a, seq_a), event(&b, at_b, seq_b));
            prop_assert_eq!(ea == eb, encode(&ea) == encode(&eb));
        }

        /// The likeliest forgery of a length-free encoding: the same bytes
        /// split differently between two neighbouring fields.
        #[test]
        fn moving_bytes_across_a_field_boundary_changes_the_encoding(
            parts in proptest::array::uniform6(proptest::option::of("[a-c#]{0,6}")),
            i in 1usize..5,
            take in 1usize..4,
        ) {
            let (Some(left), Some(right)) = (parts[i].clone(), parts[i + 1].clone()) else {
                return Ok(());
            };
            let cut = left.len().saturating_sub(take);
            let mut moved = parts.clone();
            moved[i] = Some(left[..cut].to_owned());
            moved[i + 1] = Some(format!("{}{right}", &left[cut..]));
            let (a, b) = (event(&parts, Some(7), 1), event(&moved, Some(7), 1));
            prop_assert_eq!(a == b, encode(&a) == encode(&b));
            prop_assert_eq!(a == b, link_hash(&a) == link_hash(&b));
        }
    }

    #[test]
    fn sort_key_floors_sort_before_every_event_of_their_second() {
        let floor = sort_key_floor(1_700_000_000);
        assert!(floor.as_str() < "2023-11-14T22:13:20.000000Z#00");
        assert!(floor.as_str() > "2023-11-14T22:13:19.999999Z#ff");
    }
}
