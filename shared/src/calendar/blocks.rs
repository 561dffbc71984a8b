//! The busy blocks a connection imported, and bringing them in line with
//! what the provider says now while writing only what changed (CAL-2, CAL-3).
//!
//! A block's id is a keyed hash of everything it stores (connection, the
//! occurrence's provider id, start, end, subject), so an unchanged occurrence
//! maps to the same id and costs no write, and a changed one is a delete and
//! a put. The provider's id itself is only kept as a keyed hash (`src`),
//! which is what an incremental "this event is gone" finds blocks by.

use std::collections::{BTreeMap, BTreeSet};

use super::Occurrence;
use crate::crypto::{FieldBinding, LookupKey, Purpose};
use crate::store::{
    Attrs, Collection, Condition, Entity, Record, StoreError, TenantKey, TimelineEntry, Write,
    MAX_TIMELINE_SPAN_SECS,
};
use crate::tenancy::{TenantScope, UserId};
use crate::Platform;

/// Most blocks one connection may hold in its window: a calendar busier than
/// this is imported up to the cap (earliest first) and the rest logged.
pub const MAX_BLOCKS_PER_CONNECTION: usize = 20_000;

/// DynamoDB's limit on the items of one transaction.
const WRITES_PER_TRANSACTION: usize = 100;

/// One stored piece of busy time (a long occurrence is split so that the
/// timeline never holds an entry longer than [`MAX_TIMELINE_SPAN_SECS`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    /// Content-derived id (see the module documentation).
    pub id: String,
    /// Which of the connection's calendars it came from (keyed hash).
    pub cal: String,
    /// Keyed hash of the occurrence's provider id.
    pub src: String,
    /// Start, Unix seconds.
    pub start: i64,
    /// End, Unix seconds.
    pub end: i64,
    /// The subject, only where the tenant turned subjects on.
    pub summary: Option<String>,
}

/// The keyed hash of an occurrence's provider id within a connection's
/// calendar.
pub fn source_digest(key: &LookupKey, connection: &str, calendar: &str, source_id: &str) -> String {
    key.digest(&format!(
        "calendar-event\u{0}{connection}\u{0}{calendar}\u{0}{source_id}"
    ))
}

/// The keyed hash naming a calendar of a connection on its blocks.
pub fn calendar_digest(key: &LookupKey, connection: &str, calendar: &str) -> String {
    let d = key.digest(&format!("calendar\u{0}{connection}\u{0}{calendar}"));
    d.chars().take(16).collect()
}

/// The pieces `occurrences` of one calendar become, in start order.
pub fn pieces(
    key: &LookupKey,
    connection: &str,
    calendar: &str,
    occurrences: &[Occurrence],
) -> Vec<Piece> {
    let cal = calendar_digest(key, connection, calendar);
    let mut sorted: Vec<&Occurrence> = occurrences.iter().filter(|o| o.end > o.start).collect();
    sorted.sort_by_key(|o| (o.start, o.end));
    let mut out = Vec::new();
    for o in sorted {
        let src = source_digest(key, connection, calendar, &o.source_id);
        let content = key.digest(&format!(
            "calendar-block\u{0}{connection}\u{0}{src}\u{0}{}\u{0}{}\u{0}{}",
            o.start,
            o.end,
            o.summary.as_deref().unwrap_or("\u{0}none")
        ));
        let stem: String = content.chars().take(32).collect();
        let mut start = o.start;
        let mut n = 0u32;
        while start < o.end {
            if out.len() >= MAX_BLOCKS_PER_CONNECTION {
                tracing::warn!(
                    cap = MAX_BLOCKS_PER_CONNECTION,
                    "calendar has more busy blocks than a connection imports"
                );
                return out;
            }
            let end = o.end.min(start.saturating_add(MAX_TIMELINE_SPAN_SECS));
            out.push(Piece {
                id: format!("{stem}-{n}"),
                cal: cal.clone(),
                src: src.clone(),
                start,
                end,
                summary: o.summary.clone(),
            });
            start = end;
            n += 1;
        }
    }
    out
}

/// A stored block as read back: enough to diff and to remove.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredBlock {
    /// Its id.
    pub id: String,
    /// Which of the connection's calendars it came from (keyed hash).
    pub cal: String,
    /// Keyed hash of the provider id it came from.
    pub src: String,
    /// Start, Unix seconds.
    pub start: i64,
    /// End, Unix seconds.
    pub end: i64,
}

impl StoredBlock {
    fn from_record(r: &Record) -> Result<Self, StoreError> {
        Ok(Self {
            id: r.sort_key()?.to_owned(),
            cal: r.string("cal")?.to_owned(),
            src: r.string("src")?.to_owned(),
            start: r.number("start")?,
            end: r.number("end")?,
        })
    }
}

/// Every block the connection holds.
pub async fn stored(
    p: &Platform,
    scope: &TenantScope,
    connection: &str,
) -> Result<Vec<StoredBlock>, StoreError> {
    p.store
        .list_all(scope, Collection::CalendarBlocks(connection))
        .await?
        .iter()
        .map(StoredBlock::from_record)
        .collect()
}

/// What turning what is stored into what the provider says takes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Pieces to write.
    pub put: Vec<Piece>,
    /// Ids of blocks to delete.
    pub delete: Vec<String>,
}

impl Plan {
    /// Writes the plan needs.
    pub fn writes(&self) -> usize {
        self.put.len() + self.delete.len()
    }
}

/// What one calendar's read returned.
#[derive(Clone, Debug)]
pub enum Read {
    /// Everything in the window: the calendar's blocks become exactly these.
    Full(Vec<Occurrence>),
    /// Changes since the last read: only the occurrences named change.
    Delta(Vec<super::Change>),
}

/// The writes that bring `current` in line with `reads` (calendar id →
/// read) for a connection whose selected calendars are `selected`: blocks of
/// calendars no longer selected go; calendars without a read this time (a
/// failed one) keep theirs; an unchanged calendar costs nothing.
pub fn plan(
    key: &LookupKey,
    connection: &str,
    selected: &[String],
    current: &[StoredBlock],
    reads: &[(String, Read)],
) -> Plan {
    let selected: BTreeSet<String> = selected
        .iter()
        .map(|c| calendar_digest(key, connection, c))
        .collect();
    let have: BTreeSet<&str> = current.iter().map(|b| b.id.as_str()).collect();
    let mut out = Plan::default();
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    // Per calendar read: which stored blocks it speaks for, and what it wants.
    let mut spoken: BTreeMap<String, Option<BTreeSet<String>>> = BTreeMap::new();
    for (calendar, read) in reads {
        let cal = calendar_digest(key, connection, calendar);
        match read {
            Read::Full(occurrences) => {
                let target = pieces(key, connection, calendar, occurrences);
                wanted.extend(target.iter().map(|p| p.id.clone()));
                out.put
                    .extend(target.into_iter().filter(|p| !have.contains(p.id.as_str())));
                spoken.insert(cal, None);
            }
            Read::Delta(changes) => {
                let mut touched = BTreeSet::new();
                let mut upserts: BTreeMap<String, Occurrence> = BTreeMap::new();
                for change in changes {
                    let (id, upsert) = match change {
                        super::Change::Upsert(o) => (&o.source_id, Some(o)),
                        super::Change::Remove { source_id } => (source_id, None),
                    };
                    let src = source_digest(key, connection, calendar, id);
                    touched.insert(src.clone());
                    match upsert {
                        Some(o) => upserts.insert(src, o.clone()),
                        None => upserts.remove(&src),
                    };
                }
                let upserts: Vec<Occurrence> = upserts.into_values().collect();
                let target = pieces(key, connection, calendar, &upserts);
                wanted.extend(target.iter().map(|p| p.id.clone()));
                out.put
                    .extend(target.into_iter().filter(|p| !have.contains(p.id.as_str())));
                spoken.insert(cal, Some(touched));
            }
        }
    }
    for block in current {
        let goes = if !selected.contains(&block.cal) {
            true
        } else {
            match spoken.get(&block.cal) {
                None => false,
                Some(None) => !wanted.contains(&block.id),
                Some(Some(touched)) => touched.contains(&block.src) && !wanted.contains(&block.id),
            }
        };
        if goes {
            out.delete.push(block.id.clone());
        }
    }
    out
}

/// Who may still write blocks: a sync writes only while its connection
/// exists and it holds the connection's lease, so a disconnect that lands
/// mid-sync leaves no block behind (the sync's next transaction fails).
#[derive(Clone, Copy, Debug)]
pub struct Guard {
    /// The lease the sync took (`lease_until` as it set it).
    pub lease_until: i64,
}

/// Writes `plan` for `staff`'s connection, in transactions of at most 100
/// items (with `guard`, each carries a check that the connection still
/// exists under that lease). Subjects are sealed (CRY-2).
pub async fn apply(
    p: &Platform,
    scope: &TenantScope,
    connection: &str,
    staff: &UserId,
    plan: Plan,
    guard: Option<Guard>,
) -> Result<(), StoreError> {
    let mut writes = Vec::with_capacity(plan.writes());
    for id in &plan.delete {
        writes.push(Write::Delete(
            TenantKey::new(scope, Entity::CalendarBlock(connection, id)),
            Condition::None,
        ));
    }
    for piece in &plan.put {
        let key = TenantKey::new(scope, Entity::CalendarBlock(connection, &piece.id));
        let mut attrs = Attrs::new()
            .string("src", piece.src.clone())
            .string("cal", piece.cal.clone())
            .number("start", piece.start)
            .number("end", piece.end)
            .string("staff_id", staff.as_str())
            .string("connection_id", connection)
            .expires_at(piece.end.saturating_add(86_400))
            .on_timeline(
                scope,
                piece.start,
                TimelineEntry::Busy(staff, &format!("{connection}#{}", piece.id)),
            );
        if let Some(summary) = &piece.summary {
            let at = FieldBinding {
                pk: key.pk_str(),
                sk: key.sk_str(),
                field: "summary",
            };
            let sealed = p
                .envelope
                .seal(scope, Purpose::PersonalData, at, summary.as_bytes())
                .await
                .map_err(|_| StoreError::Unavailable)?;
            attrs = attrs.bytes("summary", sealed);
        }
        writes.push(Write::Put(key, attrs, Condition::None));
    }
    let per_transaction = WRITES_PER_TRANSACTION - usize::from(guard.is_some());
    while !writes.is_empty() {
        let rest = writes.split_off(writes.len().min(per_transaction));
        let mut batch = std::mem::replace(&mut writes, rest);
        if let Some(guard) = guard {
            batch.push(Write::Update(
                TenantKey::new(scope, Entity::CalendarConnection(connection)),
                Attrs::new().number("lease_until", guard.lease_until),
                Condition::ExistsWithNumber("lease_until", guard.lease_until),
            ));
        }
        p.store.transact(batch).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Change;

    fn key() -> LookupKey {
        LookupKey::for_tests(b"calendar block test key")
    }

    fn occ(id: &str, start: i64, end: i64) -> Occurrence {
        Occurrence {
            source_id: id.into(),
            start,
            end,
            summary: None,
        }
    }

    fn stored_from(pieces: &[Piece]) -> Vec<StoredBlock> {
        pieces
            .iter()
            .map(|p| StoredBlock {
                id: p.id.clone(),
                cal: p.cal.clone(),
                src: p.src.clone(),
                start: p.start,
                end: p.end,
            })
            .collect()
    }

    fn sel(c: &[&str]) -> Vec<String> {
        c.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn an_unchanged_calendar_plans_no_writes() {
        let occurrences = vec![occ("a", 0, 3600), occ("b", 7200, 9000)];
        let stored = stored_from(&pieces(&key(), "c1", "work", &occurrences));
        let full = plan(
            &key(),
            "c1",
            &sel(&["work"]),
            &stored,
            &[("work".into(), Read::Full(occurrences.clone()))],
        );
        assert_eq!(full.writes(), 0);
        let delta = plan(
            &key(),
            "c1",
            &sel(&["work"]),
            &stored,
            &[("work".into(), Read::Delta(vec![]))],
        );
        assert_eq!(delta.writes(), 0);
    }

    #[test]
    fn a_moved_event_is_one_delete_and_one_put_and_ids_differ_per_connection() {
        let before = pieces(
            &key(),
            "c1",
            "work",
            &[occ("a", 0, 3600), occ("b", 7200, 9000)],
        );
        let read = Read::Full(vec![occ("a", 600, 4200), occ("b", 7200, 9000)]);
        let p = plan(
            &key(),
            "c1",
            &sel(&["work"]),
            &stored_from(&before),
            &[("work".into(), read)],
        );
        assert_eq!((p.put.len(), p.delete.len()), (1, 1));
        let other = pieces(&key(), "c2", "work", &[occ("a", 0, 3600)]);
        assert_ne!(other[0].id, before[0].id);
        assert_ne!(other[0].src, before[0].src);
    }

    #[test]
    fn a_delta_changes_only_what_it_names_and_other_calendars_keep_theirs() {
        let work = pieces(
            &key(),
            "c1",
            "work",
            &[occ("a", 0, 3600), occ("b", 7200, 9000)],
        );
        let home = pieces(&key(), "c1", "home", &[occ("a", 0, 3600)]);
        let stored = stored_from(&[work.clone(), home.clone()].concat());
        let delta = Read::Delta(vec![
            Change::Remove {
                source_id: "a".into(),
            },
            Change::Upsert(occ("c", 100, 200)),
        ]);
        let p = plan(
            &key(),
            "c1",
            &sel(&["work", "home"]),
            &stored,
            &[("work".into(), delta)],
        );
        assert_eq!(p.delete, vec![work[0].id.clone()]);
        assert_eq!(p.put.len(), 1);
        assert_eq!((p.put[0].start, p.put[0].end), (100, 200));
        // Deselecting a calendar removes its blocks even without a read.
        let p = plan(&key(), "c1", &sel(&["work"]), &stored, &[]);
        assert_eq!(p.delete, vec![home[0].id.clone()]);
        // A failed calendar (no read) keeps its blocks.
        let p = plan(&key(), "c1", &sel(&["work", "home"]), &stored, &[]);
        assert_eq!(p.writes(), 0);
    }

    #[test]
    fn long_occurrences_are_split_into_timeline_pieces() {
        let day = pieces(&key(), "c1", "work", &[occ("a", 0, 86_400)]);
        assert_eq!(day.len(), 3);
        assert!(day
            .iter()
            .all(|p| p.end - p.start <= MAX_TIMELINE_SPAN_SECS));
        assert_eq!(day.last().map(|p| p.end), Some(86_400));
        assert!(day.iter().all(|p| p.src == day[0].src));
    }

    #[test]
    fn the_stored_source_is_a_keyed_hash_not_the_provider_id() {
        let p = pieces(&key(), "c1", "work", &[occ("evt-123@example.com", 0, 60)]);
        assert!(!p[0].src.contains("evt-123"));
        assert!(!p[0].id.contains("evt-123"));
        let other_key = LookupKey::for_tests(b"another tenant");
        assert_ne!(
            source_digest(&other_key, "c1", "work", "evt-123@example.com"),
            p[0].src
        );
    }
}
