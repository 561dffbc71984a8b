//! Appointment reminders (MAIL-3). A booking carries the business's reminder
//! offsets as they were when it was made and the time of its next reminder,
//! which puts it in that hour's bucket of the `Due` index. A scheduled job
//! (every 5 minutes) reads the buckets of the last hours, and for each due
//! booking moves `reminder_due` to the following reminder and queues the
//! message in one conditional transaction: whichever run gets there first
//! sends it, no run sends it twice. Cancelling drops the reminders; moving a
//! booking schedules them from its new time, so the old time's never fire.

use serde::Serialize;

use super::bookings::{self, Booking, BookingError};
use super::context::TenantContext;
use crate::store::{Attrs, Condition, DueQueue, StoreError, Write};
use crate::tenancy::TenantScope;
use crate::Platform;

/// At most this many reminders per booking.
pub const MAX_REMINDERS: usize = 3;
/// Offsets (minutes before the start) a business may choose from 5 minutes
/// to a week.
pub const OFFSET_RANGE: std::ops::RangeInclusive<i64> = 5..=7 * 24 * 60;
/// How far back the job looks for reminders it has not sent (a job that did
/// not run for a while still sends what is due, while the appointment has not
/// started).
pub const LOOKBACK_SECS: i64 = 6 * 3600;
const DUE_ATTR: &str = "reminder_due";

/// The next reminder after `after` for an appointment at `start`: the
/// earliest `start - offset` later than `after` and earlier than the start.
pub fn next_due(start: i64, offsets: &[i64], after: i64) -> Option<i64> {
    offsets
        .iter()
        .filter_map(|o| start.checked_sub(o.checked_mul(60)?))
        .filter(|due| *due > after && *due < start)
        .min()
}

/// Marks a booking's next reminder.
pub fn schedule(attrs: Attrs, scope: &TenantScope, booking_id: &str, due: i64) -> Attrs {
    attrs
        .number(DUE_ATTR, due)
        .due_in(DueQueue::Reminders, scope, booking_id, due)
}

/// Drops a booking's reminders.
pub fn unschedule(attrs: Attrs) -> Attrs {
    attrs.remove(DUE_ATTR).not_due()
}

/// What one run of the reminder job did.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct ReminderReport {
    /// Reminders queued for sending.
    pub queued: usize,
    /// Due entries of bookings that are cancelled, moved or already past.
    pub dropped: usize,
    /// Taken by another run first.
    pub skipped: usize,
}

/// Queues every reminder due at `now` (each exactly once).
pub async fn send_due(p: &Platform, now: i64) -> Result<ReminderReport, StoreError> {
    let mut report = ReminderReport::default();
    for due in p
        .store
        .due(DueQueue::Reminders, now, LOOKBACK_SECS, 200)
        .await?
    {
        let scope = TenantScope::from_resolved(due.tenant);
        match remind(p, &scope, &due.id, due.at, now).await {
            Ok(Outcome::Queued) => report.queued += 1,
            Ok(Outcome::Dropped) => report.dropped += 1,
            Ok(Outcome::Skipped) => report.skipped += 1,
            Err(BookingError::Unavailable) => return Err(StoreError::Unavailable),
            Err(_) => {
                tracing::error!(booking_id = %due.id, "reminder could not be prepared");
                report.skipped += 1;
            }
        }
    }
    Ok(report)
}

enum Outcome {
    Queued,
    Dropped,
    Skipped,
}

async fn remind(
    p: &Platform,
    scope: &TenantScope,
    booking_id: &str,
    at: i64,
    now: i64,
) -> Result<Outcome, BookingError> {
    let Some(booking) = bookings::load(p, scope, booking_id).await? else {
        return Ok(Outcome::Dropped);
    };
    let record = &booking.record;
    let start = record.number("start")?;
    // Only the reminder this index entry stands for, of a booking that is
    // still on and still where it was.
    // An erased customer (PRIV-2) has no address to remind; erasure drops
    // the reminders, this guards a due entry read just before it did.
    let current = record.optional_string("status") == Some("confirmed")
        && record.number_or_zero(DUE_ATTR) == at
        && !booking.is_erased();
    let expected = Condition::All(vec![
        Condition::ExistsWithString("status", "confirmed".into()),
        Condition::ExistsWithNumber(DUE_ATTR, at),
    ]);
    if !current || start <= now {
        if current {
            // Past its appointment: nothing more to remind of.
            let _ = p
                .store
                .transact(vec![Write::Update(
                    booking.key.clone(),
                    unschedule(Attrs::new()),
                    expected,
                )])
                .await;
        }
        return Ok(Outcome::Dropped);
    }
    let Some(ctx) = TenantContext::load(p, scope).await? else {
        return Ok(Outcome::Dropped);
    };
    let offsets: Vec<i64> = record
        .strings("reminder_offsets")
        .iter()
        .filter_map(|o| o.parse().ok())
        .collect();
    let next = match next_due(start, &offsets, at.max(now)) {
        Some(due) => schedule(Attrs::new(), scope, booking_id, due),
        None => unschedule(Attrs::new()),
    };
    let message = super::mail::reminder(p, scope, &ctx, &booking).await?;
    let writes = vec![
        Write::Update(booking.key.clone(), next, expected),
        crate::email::outbox::entry(p, scope, &[message])
            .await
            .map_err(|_| BookingError::Unavailable)?,
    ];
    match p.store.transact(writes).await {
        Ok(()) => Ok(Outcome::Queued),
        Err(StoreError::Conflict) => Ok(Outcome::Skipped),
        Err(e) => Err(e.into()),
    }
}

/// Whether a booking has a reminder still to come (for views and tests).
pub fn pending(booking: &Booking) -> Option<i64> {
    booking.record.number(DUE_ATTR).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_next_reminder_is_the_earliest_still_ahead() {
        let start = 1_000_000;
        let offsets = [24 * 60, 60, 15];
        assert_eq!(next_due(start, &offsets, 0), Some(start - 86_400));
        assert_eq!(
            next_due(start, &offsets, start - 86_400),
            Some(start - 3600)
        );
        assert_eq!(next_due(start, &offsets, start - 3600), Some(start - 900));
        assert_eq!(next_due(start, &offsets, start - 900), None);
        assert_eq!(next_due(start, &[], 0), None);
    }

    proptest! {
        /// Whatever the numbers, the next reminder is after `after`, before the
        /// start, and computing it never panics or overflows.
        #[test]
        fn next_due_never_panics_and_stays_between(
            start in any::<i64>(),
            offsets in proptest::collection::vec(any::<i64>(), 0..4),
            after in any::<i64>(),
        ) {
            if let Some(due) = next_due(start, &offsets, after) {
                prop_assert!(due > after && due < start);
            }
        }
    }
}
