//! Moments shown to people: local date and time in the business's zone, with
//! the zone's name and its offset at that moment.

use chrono::{DateTime, Datelike, Offset, SecondsFormat, TimeZone, Timelike};
use fluent_bundle::FluentArgs;

use super::catalog::{Catalog, Renderer};
use super::Language;

/// A moment and the zone to show it in.
///
/// Rendered like "Tuesday, 1 December 2026, 14:30 (Europe/Berlin, UTC+01:00)",
/// with the weekday, month and order of the reader's language. The zone's
/// name says whose clock it is; the offset removes any doubt around a
/// daylight-saving change and lets a reader elsewhere convert it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct When {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub unix: i64,
    /// The business's zone.
    pub zone: chrono_tz::Tz,
}

impl When {
    /// This moment as the reader of `lang` sees it in messages. Never panics:
    /// a moment outside the calendar's range is shown in its RFC 3339 UTC form
    /// (or as Unix seconds when even that does not exist).
    pub fn format(&self, lang: Language) -> String {
        Catalog::global().with_fallback(lang, "when", |r| r.when(*self))
    }
}

/// The parts of a local moment, if it lies within the calendar's range.
struct Local {
    year: i32,
    month: u32,
    day: u32,
    weekday: u32,
    hour: u32,
    minute: u32,
    offset_secs: i32,
}

impl Local {
    fn of(w: When) -> Option<Local> {
        let utc = DateTime::from_timestamp(w.unix, 0)?;
        let offset = w.zone.offset_from_utc_datetime(&utc.naive_utc()).fix();
        // Checked: near the calendar's edges the local time may not exist.
        let local = utc.naive_utc().checked_add_offset(offset)?;
        Some(Local {
            year: local.year(),
            month: local.month(),
            day: local.day(),
            weekday: local.weekday().number_from_monday(),
            hour: local.hour(),
            minute: local.minute(),
            offset_secs: offset.local_minus_utc(),
        })
    }
}

impl Renderer<'_> {
    /// `w` through the catalog's `when` pattern.
    pub(super) fn when(&mut self, w: When) -> String {
        let Some(local) = Local::of(w) else {
            return outside_range(w);
        };
        let mut args = FluentArgs::new();
        args.set(
            "weekday",
            self.value(&format!("weekday-{}", local.weekday), None),
        );
        args.set("month", self.value(&format!("month-{}", local.month), None));
        // A number, so a language can select on it (French writes "1er").
        args.set("day", local.day);
        args.set("year", local.year.to_string());
        args.set("time", format!("{:02}:{:02}", local.hour, local.minute));
        args.set("zone", w.zone.name());
        args.set("offset", utc_offset(local.offset_secs));
        self.value("when", Some(&args))
    }
}

/// "UTC+01:00", "UTC-04:00", "UTC+05:45"; seconds only when there are some
/// (historical local mean times).
pub(super) fn utc_offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let abs = secs.unsigned_abs();
    let (hours, minutes, seconds) = (abs / 3600, abs / 60 % 60, abs % 60);
    if seconds == 0 {
        format!("UTC{sign}{hours:02}:{minutes:02}")
    } else {
        format!("UTC{sign}{hours:02}:{minutes:02}:{seconds:02}")
    }
}

/// A moment the calendar cannot show locally: no real booking or event is
/// here, but a corrupt record must still not crash a send.
fn outside_range(w: When) -> String {
    match DateTime::from_timestamp(w.unix, 0) {
        Some(utc) => utc.to_rfc3339_opts(SecondsFormat::Secs, true),
        None => format!("{} s since 1970-01-01T00:00:00Z", w.unix),
    }
}
