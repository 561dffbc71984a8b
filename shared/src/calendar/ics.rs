//! iCalendar texts (RFC 5545) to busy time (CAL-2): ICS feeds, CalDAV
//! calendar objects and CalDAV free-busy answers all pass through
//! [`busy_occurrences`], which reads the text, expands recurrences over the
//! sync window in each event's own zone and keeps only what blocks time.
//!
//! What blocks: VEVENTs, unless transparent, cancelled, marked free by
//! Outlook (`X-MICROSOFT-CDO-BUSYSTATUS:FREE`) or declined by the calendar's
//! owner (tentative events block); and VFREEBUSY periods other than FREE.
//! VTODO, VJOURNAL and VALARM content is ignored.
//!
//! Times: TZIDs are resolved as [`zones`] describes; UTC as written;
//! floating times and all-day dates in the staff member's zone. An all-day
//! event runs from local midnight of its first day to local midnight after
//! its last (one day when it has neither DTEND nor DURATION). A timed event
//! without DTEND or DURATION lasts no time and blocks nothing.
//!
//! Recurrence: RRULE ([`rules`]), RDATE (a PERIOD RDATE uses its start and
//! the event's own length), EXDATE (a DATE EXDATE removes that day's
//! instance) and overridden instances: a VEVENT with the master's UID and a
//! RECURRENCE-ID replaces that instance, or removes it when it does not
//! block. `RANGE=THISANDFUTURE` is read as overriding that one instance only;
//! the later instances keep the master's times, which Google, Microsoft and
//! Apple avoid by splitting the series instead.
//!
//! Identity: each occurrence's `source_id` is the UID, `/`, and the
//! instance's original start in Unix seconds (the RECURRENCE-ID for an
//! override, the DTSTART for a single event); without a UID, `nouid/`, the
//! VEVENT's position in the text, `/` and that start. A free-busy period is
//! `fb/<start>/<end>`.
//!
//! Reading: content lines are read in place ([`lines`]) and only the
//! properties above are unfolded and copied ([`components`]). The
//! `icalendar` crate's `parser` feature was measured on the 2.7 MB feed of
//! `make bench`: its parse alone (unfold and `read_calendar`) took about 1.5×
//! as long as this module's parse, expansion and minimising together, and
//! would add `nom`; it builds a full tree of every property, descriptions
//! and attendees included, which this module never holds. RRULEs go through
//! the `rrule` crate (on the workspace's chrono 0.4 and chrono-tz 0.10).
//!
//! Bounds: a text may yield at most [`MAX_OCCURRENCES`] occurrences in the
//! window and spend at most [`MAX_EXPANSION_STEPS`] generated instances;
//! past either it is refused, as a whole, rather than read partly.

mod components;
mod lines;
mod rules;
mod values;
mod zones;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta};
use chrono_tz::Tz;

use super::{Occurrence, Window};
use components::{RawEvent, RawTime};
use values::{parse_duration, parse_period, parse_stamp, PeriodEnd, Span, Stamp};
use zones::{instant, local_time, Zones};

/// The most occurrences one text may yield in the window.
pub const MAX_OCCURRENCES: usize = 50_000;

/// The most recurrence instances one text may generate while expanding
/// (inside the window or not): bounds the work a hostile rule can cause.
pub const MAX_EXPANSION_STEPS: u64 = 1_000_000;

/// How to read one calendar text.
#[derive(Clone, Debug)]
pub struct IcsOptions<'a> {
    /// The stretch of time to report occurrences in.
    pub window: Window,
    /// The staff member's zone: floating times and all-day dates are read in
    /// it, since the calendar is theirs.
    pub staff_zone: chrono_tz::Tz,
    /// lowercase addresses of the calendar's owner: an event whose ATTENDEE with one of these (mailto:, case-insensitive) has PARTSTAT=DECLINED does not block
    pub own_addresses: &'a [String],
    /// Whether to keep each event's SUMMARY (the tenant turned subjects on).
    pub keep_summary: bool,
}

/// Why a text could not be read. Carries none of the text: these errors are
/// logged and shown as a connection's last error.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum IcsError {
    /// The text has no VCALENDAR (an HTML login page, an empty answer).
    #[error("not an iCalendar text")]
    NotCalendar,
    /// More than [`MAX_OCCURRENCES`] occurrences fall in the window.
    #[error("too many occurrences in the window")]
    TooManyOccurrences,
    /// Recurrence expansion took more than [`MAX_EXPANSION_STEPS`] steps.
    #[error("recurrence expansion limit reached")]
    ExpansionLimit,
}

/// The busy occurrences of an iCalendar text that overlap the window, sorted
/// by start (see the module documentation for what blocks and how).
/// Unreadable events are skipped; the text as a whole fails only when it is
/// not a calendar or exceeds the bounds.
pub fn busy_occurrences(text: &str, options: &IcsOptions<'_>) -> Result<Vec<Occurrence>, IcsError> {
    let parsed = components::parse(text, options.own_addresses, options.keep_summary);
    if !parsed.is_calendar {
        return Err(IcsError::NotCalendar);
    }
    let mut reader = Reader {
        zones: Zones::new(parsed.zones, options.staff_zone),
        window: options.window,
        budget: MAX_EXPANSION_STEPS,
        found: Vec::new(),
    };
    let overridden = reader.overridden(&parsed.events);
    for event in &parsed.events {
        reader.event(event, &overridden)?;
    }
    for busy in &parsed.busy {
        for period in busy.periods.split(',') {
            reader.busy_period(period)?;
        }
    }
    // The same event written twice yields one occurrence per source id.
    let mut found = reader.found;
    found.sort_unstable_by(|a, b| a.source_id.cmp(&b.source_id).then(a.start.cmp(&b.start)));
    found.dedup_by(|a, b| a.source_id == b.source_id);
    found.sort_unstable_by(|a, b| {
        (a.start, a.end)
            .cmp(&(b.start, b.end))
            .then_with(|| a.source_id.cmp(&b.source_id))
    });
    Ok(found)
}

/// A resolved DTSTART (or other start): wall-clock time in a zone.
#[derive(Clone, Copy, Debug)]
struct When {
    zone: Tz,
    local: NaiveDateTime,
    all_day: bool,
}

/// Earliest and latest instants whose instances are expanded (1800–2500).
const EXPAND_FROM: i64 = -5_364_662_400;
const EXPAND_TO: i64 = 16_725_225_600;

/// The state of reading one text.
struct Reader {
    zones: Zones,
    window: Window,
    budget: u64,
    found: Vec<Occurrence>,
}

impl Reader {
    /// Reads one DATE or DATE-TIME value with its TZID.
    fn when(&mut self, value: &str, tzid: Option<&str>) -> Option<When> {
        Some(match parse_stamp(value)? {
            Stamp::Date(date) => When {
                zone: self.zones.staff(),
                local: date.and_hms_opt(0, 0, 0)?,
                all_day: true,
            },
            Stamp::Local(local) => When {
                zone: tzid.map_or(self.zones.staff(), |t| self.zones.zone(t)),
                local,
                all_day: false,
            },
            Stamp::Utc(local) => When {
                zone: Tz::UTC,
                local,
                all_day: false,
            },
        })
    }

    fn raw_when(&mut self, raw: &RawTime) -> Option<When> {
        self.when(&raw.value, raw.tzid.as_deref())
    }

    /// For each UID, the original starts its overrides replace.
    fn overridden<'e>(&mut self, events: &'e [RawEvent]) -> HashMap<&'e str, HashSet<i64>> {
        let mut map: HashMap<&str, HashSet<i64>> = HashMap::new();
        for event in events {
            let (Some(uid), Some(rid)) = (event.uid.as_deref(), event.recurrence_id.as_ref())
            else {
                continue;
            };
            if let Some(at) = self.raw_when(rid).and_then(|w| instant(w.zone, w.local)) {
                map.entry(uid).or_default().insert(at);
            }
        }
        map
    }

    /// How long each instance of the event lasts.
    fn span(&mut self, event: &RawEvent, start: &When) -> Option<Span> {
        if let Some(end) = event.end.as_ref() {
            let end = self.raw_when(end)?;
            if start.all_day && end.all_day {
                let days = end
                    .local
                    .date()
                    .signed_duration_since(start.local.date())
                    .num_days();
                return Some(Span { days, secs: 0 });
            }
            let secs =
                instant(end.zone, end.local)?.checked_sub(instant(start.zone, start.local)?)?;
            return Some(Span { days: 0, secs });
        }
        if let Some(duration) = event.duration.as_deref() {
            return parse_duration(duration);
        }
        Some(Span {
            days: i64::from(start.all_day),
            secs: 0,
        })
    }

    /// Reads one VEVENT: a single event, a series, or an override.
    fn event(
        &mut self,
        event: &RawEvent,
        overridden: &HashMap<&str, HashSet<i64>>,
    ) -> Result<(), IcsError> {
        if event.free {
            return Ok(());
        }
        let Some(start) = event.start.as_ref().and_then(|s| self.raw_when(s)) else {
            return Ok(());
        };
        let Some(span) = self.span(event, &start) else {
            return Ok(());
        };
        if let Some(rid) = event.recurrence_id.as_ref() {
            // An override stands on its own, named by the start it replaces.
            let Some(original) = self.raw_when(rid).and_then(|w| instant(w.zone, w.local)) else {
                return Ok(());
            };
            return self.emit(event, original, start.zone, start.local, span);
        }
        let mut starts = vec![start.local];
        self.expand_rules(event, &start, span, &mut starts)?;
        self.add_rdates(event, &start, &mut starts);
        starts.sort_unstable();
        starts.dedup();
        let (excluded_at, excluded_days) = self.exdates(event);
        let replaced = event.uid.as_deref().and_then(|uid| overridden.get(uid));
        for local in starts {
            let Some(at) = instant(start.zone, local) else {
                continue;
            };
            if excluded_at.contains(&at)
                || excluded_days.contains(&local.date())
                || replaced.is_some_and(|r| r.contains(&at))
            {
                continue;
            }
            self.emit(event, at, start.zone, local, span)?;
        }
        Ok(())
    }

    /// Adds the wall-clock starts the event's RRULEs generate near the window.
    fn expand_rules(
        &mut self,
        event: &RawEvent,
        start: &When,
        span: Span,
        starts: &mut Vec<NaiveDateTime>,
    ) -> Result<(), IcsError> {
        if event.rrules.is_empty() {
            return Ok(());
        }
        let from = self.window.start.max(EXPAND_FROM);
        let to = self.window.end.min(EXPAND_TO);
        if from >= to {
            return Ok(());
        }
        // Wall-clock bounds, widened by the largest zone offset and the
        // event's length so that nothing overlapping the window is missed.
        let margin = TimeDelta::try_hours(27).unwrap_or_default();
        let length =
            TimeDelta::try_seconds(span.max_secs().clamp(0, 400 * 86_400)).unwrap_or_default();
        let (Some(from), Some(to)) = (
            DateTime::from_timestamp(from, 0),
            DateTime::from_timestamp(to, 0),
        ) else {
            return Ok(());
        };
        let (Some(from), Some(to)) = (
            from.naive_utc().checked_sub_signed(margin + length),
            to.naive_utc().checked_add_signed(margin),
        ) else {
            return Ok(());
        };
        for rule in &event.rrules {
            rules::expand(
                rule,
                start.local,
                start.zone,
                from,
                to,
                &mut self.budget,
                starts,
            )
            .map_err(|_| IcsError::ExpansionLimit)?;
        }
        Ok(())
    }

    /// Adds RDATE starts, as wall-clock times in the event's zone.
    fn add_rdates(&mut self, event: &RawEvent, start: &When, starts: &mut Vec<NaiveDateTime>) {
        for rdate in &event.rdates {
            for value in rdate.value.split(',') {
                let value = match parse_period(value) {
                    Some(_) => value.split('/').next().unwrap_or(value),
                    None => value,
                };
                let Some(when) = self.when(value, rdate.tzid.as_deref()) else {
                    continue;
                };
                let local = if when.zone == start.zone || when.all_day {
                    Some(when.local)
                } else {
                    instant(when.zone, when.local).and_then(|at| local_time(start.zone, at))
                };
                starts.extend(local);
            }
        }
    }

    /// The EXDATE instants, and the days a DATE EXDATE removes.
    fn exdates(&mut self, event: &RawEvent) -> (HashSet<i64>, HashSet<NaiveDate>) {
        let mut at = HashSet::new();
        let mut days = HashSet::new();
        for exdate in &event.exdates {
            for value in exdate.value.split(',') {
                match self.when(value, exdate.tzid.as_deref()) {
                    Some(w) if w.all_day => {
                        days.insert(w.local.date());
                    }
                    Some(w) => at.extend(instant(w.zone, w.local)),
                    None => {}
                }
            }
        }
        (at, days)
    }

    /// Records one instance starting at `local` (wall clock in `zone`) when
    /// it lasts and overlaps the window; `original` names it.
    fn emit(
        &mut self,
        event: &RawEvent,
        original: i64,
        zone: Tz,
        local: NaiveDateTime,
        span: Span,
    ) -> Result<(), IcsError> {
        let Some(start) = instant(zone, local) else {
            return Ok(());
        };
        let end = if span.days == 0 {
            Some(start)
        } else {
            TimeDelta::try_days(span.days)
                .and_then(|days| local.checked_add_signed(days))
                .and_then(|end| instant(zone, end))
        };
        let Some(end) = end.and_then(|end| end.checked_add(span.secs)) else {
            return Ok(());
        };
        let source_id = || match event.uid.as_deref() {
            Some(uid) => format!("{uid}/{original}"),
            None => format!("nouid/{}/{original}", event.index),
        };
        self.push(source_id, start, end, event.summary.clone())
    }

    /// Reads one FREEBUSY period.
    fn busy_period(&mut self, text: &str) -> Result<(), IcsError> {
        let Some((start, end)) = parse_period(text) else {
            return Ok(());
        };
        let start = match start {
            Stamp::Utc(utc) => Some(utc.and_utc().timestamp()),
            other => self.stamp_instant(other),
        };
        let Some(start) = start else {
            return Ok(());
        };
        let end = match end {
            PeriodEnd::At(Stamp::Utc(utc)) => Some(utc.and_utc().timestamp()),
            PeriodEnd::At(other) => self.stamp_instant(other),
            PeriodEnd::After(span) => span
                .days
                .checked_mul(86_400)
                .and_then(|d| d.checked_add(span.secs))
                .and_then(|length| start.checked_add(length)),
        };
        let Some(end) = end else {
            return Ok(());
        };
        self.push(|| format!("fb/{start}/{end}"), start, end, None)
    }

    /// A floating or DATE period bound, read in the staff member's zone.
    fn stamp_instant(&self, stamp: Stamp) -> Option<i64> {
        let local = match stamp {
            Stamp::Date(date) => date.and_hms_opt(0, 0, 0)?,
            Stamp::Local(local) | Stamp::Utc(local) => local,
        };
        instant(self.zones.staff(), local)
    }

    fn push(
        &mut self,
        source_id: impl FnOnce() -> String,
        start: i64,
        end: i64,
        summary: Option<String>,
    ) -> Result<(), IcsError> {
        if start >= end || !self.window.overlaps(start, end) {
            return Ok(());
        }
        if self.found.len() >= MAX_OCCURRENCES {
            return Err(IcsError::TooManyOccurrences);
        }
        self.found.push(Occurrence {
            source_id: source_id(),
            start,
            end,
            summary,
        });
        Ok(())
    }
}
