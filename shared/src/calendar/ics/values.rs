//! Value types (RFC 5545 §3.3): DATE, DATE-TIME, DURATION, PERIOD and TEXT.
//! Every parser returns `None` for anything it cannot read exactly, and all
//! arithmetic is checked.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// A DATE or DATE-TIME value before its zone is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stamp {
    /// `YYYYMMDD`: an all-day value.
    Date(NaiveDate),
    /// `YYYYMMDDTHHMMSS`: local time in the TZID's zone, or floating.
    Local(NaiveDateTime),
    /// `YYYYMMDDTHHMMSSZ`: UTC.
    Utc(NaiveDateTime),
}

/// Reads `len` ASCII digits at `at` as a number.
fn digits(text: &str, at: usize, len: usize) -> Option<u32> {
    let part = text.get(at..at.checked_add(len)?)?;
    if !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

/// Parses a DATE or DATE-TIME value (surrounding blanks ignored).
pub(super) fn parse_stamp(text: &str) -> Option<Stamp> {
    let text = text.trim();
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(digits(text, 0, 4)?).ok()?,
        digits(text, 4, 2)?,
        digits(text, 6, 2)?,
    )?;
    match text.len() {
        8 => Some(Stamp::Date(date)),
        15 | 16 => {
            if !text.get(8..9)?.eq_ignore_ascii_case("T") {
                return None;
            }
            // A leap second (60) is read as the last second of the minute.
            let time = NaiveTime::from_hms_opt(
                digits(text, 9, 2)?,
                digits(text, 11, 2)?,
                digits(text, 13, 2)?.min(59),
            )?;
            let local = date.and_time(time);
            match text.get(15..) {
                Some("") => Some(Stamp::Local(local)),
                Some("Z" | "z") => Some(Stamp::Utc(local)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A length of time: whole days on the local calendar (so that a day across
/// a DST change stays a day) plus exact seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Span {
    /// Nominal days (`P1D`, `P1W` = 7, or the dates between two DATE values).
    pub(super) days: i64,
    /// Exact seconds.
    pub(super) secs: i64,
}

impl Span {
    /// An upper bound of the span in seconds (a local day is at most 26 hours
    /// long anywhere), used only to widen a search.
    pub(super) fn max_secs(self) -> i64 {
        self.days
            .saturating_mul(26 * 3600)
            .saturating_add(self.secs)
    }
}

/// The largest number accepted in one DURATION part: beyond any calendar.
const MAX_PART: i64 = 100_000_000;

/// Parses a DURATION value (`P1W`, `-PT15M`, `P1DT2H`); a negative duration
/// comes back with negative parts.
pub(super) fn parse_duration(text: &str) -> Option<Span> {
    let text = text.trim();
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let body = body.strip_prefix(['P', 'p'])?;
    let mut span = Span::default();
    let mut number: Option<i64> = None;
    let mut in_time = false;
    let mut any = false;
    for c in body.chars() {
        if let Some(d) = c.to_digit(10) {
            let n = number
                .unwrap_or(0)
                .checked_mul(10)?
                .checked_add(i64::from(d))?;
            if n > MAX_PART {
                return None;
            }
            number = Some(n);
            continue;
        }
        let unit = c.to_ascii_uppercase();
        if unit == 'T' && !in_time && number.is_none() {
            in_time = true;
            continue;
        }
        let n = number.take()?;
        any = true;
        match (in_time, unit) {
            (false, 'W') => span.days = span.days.checked_add(n.checked_mul(7)?)?,
            (false, 'D') => span.days = span.days.checked_add(n)?,
            (true, 'H') => span.secs = span.secs.checked_add(n.checked_mul(3600)?)?,
            (true, 'M') => span.secs = span.secs.checked_add(n.checked_mul(60)?)?,
            (true, 'S') => span.secs = span.secs.checked_add(n)?,
            _ => return None,
        }
    }
    if number.is_some() || !any {
        return None;
    }
    if negative {
        span.days = -span.days;
        span.secs = -span.secs;
    }
    Some(span)
}

/// A PERIOD value: a start and either an end or a duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum PeriodEnd {
    /// `start/end`.
    At(Stamp),
    /// `start/duration`.
    After(Span),
}

/// Parses `start/end` or `start/duration`.
pub(super) fn parse_period(text: &str) -> Option<(Stamp, PeriodEnd)> {
    let (start, end) = text.split_once('/')?;
    let start = parse_stamp(start)?;
    let end = match parse_stamp(end) {
        Some(stamp) => PeriodEnd::At(stamp),
        None => PeriodEnd::After(parse_duration(end)?),
    };
    Some((start, end))
}

/// Unescapes a TEXT value (`\\`, `\;`, `\,`, `\n`).
pub(super) fn unescape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_of_each_form() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        assert_eq!(parse_stamp("20260329"), Some(Stamp::Date(day)));
        assert_eq!(
            parse_stamp("20260329T023000"),
            Some(Stamp::Local(day.and_hms_opt(2, 30, 0).unwrap()))
        );
        assert_eq!(
            parse_stamp("20260329T235960Z"),
            Some(Stamp::Utc(day.and_hms_opt(23, 59, 59).unwrap()))
        );
        for bad in [
            "",
            "2026032",
            "20261329",
            "20260229",
            "20260329T2500",
            "20260329X120000",
            "+2026032T1",
            "20260329T120000ZZ",
            "２０２６０３２９",
        ] {
            assert_eq!(parse_stamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations_keep_days_nominal() {
        assert_eq!(parse_duration("P1W"), Some(Span { days: 7, secs: 0 }));
        assert_eq!(
            parse_duration("P1DT2H30M"),
            Some(Span {
                days: 1,
                secs: 9000
            })
        );
        assert_eq!(
            parse_duration("-PT15M"),
            Some(Span {
                days: 0,
                secs: -900
            })
        );
        assert_eq!(parse_duration("PT0S"), Some(Span { days: 0, secs: 0 }));
        for bad in [
            "P",
            "PT",
            "1D",
            "P1H",
            "PT1D",
            "P1",
            "P99999999999999999999D",
            "P1D2",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn text_escapes() {
        assert_eq!(
            unescape_text(r"Lunch\, then\; talk\nend\\"),
            "Lunch, then; talk\nend\\"
        );
    }
}
