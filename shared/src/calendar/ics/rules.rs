//! RRULE expansion through the `rrule` crate, on local wall-clock times.
//!
//! The rule is expanded as if the event's zone were UTC, so that a weekly
//! 09:00 event stays at 09:00 local across DST changes and the crate never
//! meets a nonexistent or ambiguous local time; the caller places each
//! wall-clock start in the real zone ([`super::zones::instant`]).
//!
//! Work is bounded three ways: rules whose start lies outside 1800–2500 are
//! not expanded; a rule without COUNT at a daily or shorter period starts
//! from a whole number of periods before the window instead of from its
//! DTSTART (the set is unchanged: whole periods keep every BY-part and the
//! week alignment); and every generated instance spends one step of a budget
//! shared by the whole text.

use chrono::{Datelike, NaiveDateTime, TimeDelta, TimeZone};
use chrono_tz::Tz;
use rrule::{Frequency, RRule, RRuleSet, Unvalidated};

use super::values::{parse_stamp, Stamp};
use super::zones::local_time;

/// Years in which a rule's start must lie for it to be expanded.
const YEARS: std::ops::RangeInclusive<i32> = 1800..=2500;

/// The budget of generated instances ran out.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Exhausted;

/// Pushes onto `out` the wall-clock starts that `rule` generates from
/// `start` (wall clock in `zone`) within `[from, to]` (wall clock). A rule
/// that cannot be read generates nothing.
pub(super) fn expand(
    rule: &str,
    start: NaiveDateTime,
    zone: Tz,
    from: NaiveDateTime,
    to: NaiveDateTime,
    budget: &mut u64,
    out: &mut Vec<NaiveDateTime>,
) -> Result<(), Exhausted> {
    if !YEARS.contains(&start.year()) || to < start {
        return Ok(());
    }
    let Some(rule) = read(rule, zone, start) else {
        return Ok(());
    };
    let first = skip_ahead(&rule, start, from).unwrap_or(start);
    let set = RRuleSet::new(rrule::Tz::UTC.from_utc_datetime(&first))
        .rrule(rule)
        .limit();
    for generated in &set {
        *budget = budget.checked_sub(1).ok_or(Exhausted)?;
        let local = generated.naive_utc();
        if local > to {
            break;
        }
        if local >= from {
            out.push(local);
        }
    }
    Ok(())
}

/// Parses and validates a rule; its UNTIL is converted to wall-clock time in
/// the event's zone (a DATE UNTIL includes that whole day).
fn read(text: &str, zone: Tz, start: NaiveDateTime) -> Option<RRule> {
    let text = text.trim();
    let text = match text.get(..6) {
        Some(prefix) if prefix.eq_ignore_ascii_case("RRULE:") => text.get(6..)?,
        _ => text,
    };
    let mut until = None;
    let mut rest = Vec::new();
    for part in text.split(';').filter(|p| !p.trim().is_empty()) {
        match part.split_once('=') {
            Some((key, value)) if key.trim().eq_ignore_ascii_case("UNTIL") => {
                until = Some(match parse_stamp(value)? {
                    Stamp::Utc(utc) => local_time(zone, utc.and_utc().timestamp())?,
                    Stamp::Local(local) => local,
                    Stamp::Date(date) => date.and_hms_opt(23, 59, 59)?,
                });
            }
            _ => rest.push(part),
        }
    }
    let mut rule: RRule<Unvalidated> = rest.join(";").parse().ok()?;
    if let Some(until) = until {
        if until < start {
            return None;
        }
        rule = rule.until(rrule::Tz::UTC.from_utc_datetime(&until));
    }
    rule.validate(rrule::Tz::UTC.from_utc_datetime(&start)).ok()
}

/// A start a whole number of periods after `start` and at least two days
/// before `from`, for rules where that leaves the set unchanged.
fn skip_ahead(rule: &RRule, start: NaiveDateTime, from: NaiveDateTime) -> Option<NaiveDateTime> {
    if rule.get_count().is_some() {
        return None;
    }
    let interval = i64::from(rule.get_interval().max(1));
    let step_days = match rule.get_freq() {
        Frequency::Daily => interval,
        Frequency::Weekly => interval.checked_mul(7)?,
        Frequency::Hourly => whole_days(interval.checked_mul(3600)?),
        Frequency::Minutely => whole_days(interval.checked_mul(60)?),
        Frequency::Secondly => whole_days(interval),
        Frequency::Monthly | Frequency::Yearly => return None,
    };
    let target = from.checked_sub_signed(TimeDelta::try_days(2)?)?;
    let behind = target.date().signed_duration_since(start.date()).num_days();
    let periods = behind.checked_div(step_days)?;
    if periods <= 0 {
        return None;
    }
    start.checked_add_signed(TimeDelta::try_days(periods.checked_mul(step_days)?)?)
}

/// The smallest number of days that is a whole number of `period_secs`.
fn whole_days(period_secs: i64) -> i64 {
    const DAY: i64 = 86_400;
    let (mut a, mut b) = (period_secs, DAY);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    // lcm(period, DAY) / DAY = period / gcd
    period_secs.checked_div(a).unwrap_or(1).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn run(rule: &str, start: &str, from: &str, to: &str) -> Vec<NaiveDateTime> {
        let mut out = Vec::new();
        let mut budget = 1_000_000;
        expand(
            rule,
            at(start),
            Tz::Europe__Berlin,
            at(from),
            at(to),
            &mut budget,
            &mut out,
        )
        .unwrap();
        out
    }

    #[test]
    fn daily_since_1990_starts_near_the_window() {
        let mut budget = 1_000;
        let mut out = Vec::new();
        expand(
            "FREQ=DAILY",
            at("1990-01-01 09:00"),
            Tz::Europe__Berlin,
            at("2026-06-01 00:00"),
            at("2026-06-04 00:00"),
            &mut budget,
            &mut out,
        )
        .unwrap();
        assert_eq!(
            out,
            [
                at("2026-06-01 09:00"),
                at("2026-06-02 09:00"),
                at("2026-06-03 09:00")
            ]
        );
        assert!(budget > 990, "used {} steps", 1_000 - budget);
    }

    #[test]
    fn skipping_ahead_keeps_interval_and_weekday_alignment() {
        // Every other Tuesday and Thursday from Tue 2001-01-02.
        let got = run(
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH",
            "2001-01-02 10:00",
            "2026-06-01 00:00",
            "2026-06-30 00:00",
        );
        let want: Vec<_> = ["2026-06-02", "2026-06-04", "2026-06-16", "2026-06-18"]
            .iter()
            .map(|d| at(&format!("{d} 10:00")))
            .collect();
        assert_eq!(got, want);
        // Every 5 hours from 1999: the phase survives the jump.
        let got = run(
            "FREQ=HOURLY;INTERVAL=5",
            "1999-12-31 00:00",
            "2026-01-01 00:00",
            "2026-01-01 12:00",
        );
        let reference = run(
            "FREQ=HOURLY;INTERVAL=5;COUNT=200000",
            "1999-12-31 00:00",
            "2026-01-01 00:00",
            "2026-01-01 12:00",
        );
        assert_eq!(got, reference);
        assert!(!got.is_empty());
    }

    #[test]
    fn until_in_utc_is_compared_on_the_local_clock() {
        // 09:00 Berlin is 07:00Z in summer: UNTIL 07:00Z includes that day.
        let got = run(
            "RRULE:FREQ=DAILY;UNTIL=20260603T070000Z",
            "2026-06-01 09:00",
            "2026-05-01 00:00",
            "2026-07-01 00:00",
        );
        assert_eq!(got.len(), 3);
        assert!(run(
            "FREQ=DAILY;UNTIL=garbage",
            "2026-06-01 09:00",
            "2026-05-01 00:00",
            "2026-07-01 00:00"
        )
        .is_empty());
        assert!(run(
            "FREQ=SOMETIMES",
            "2026-06-01 09:00",
            "2026-05-01 00:00",
            "2026-07-01 00:00"
        )
        .is_empty());
    }

    #[test]
    fn the_budget_bounds_work() {
        let mut budget = 10;
        let mut out = Vec::new();
        let result = expand(
            "FREQ=SECONDLY;COUNT=100000",
            at("2026-01-01 00:00"),
            Tz::UTC,
            at("2026-01-01 00:00"),
            at("2026-02-01 00:00"),
            &mut budget,
            &mut out,
        );
        assert_eq!(result, Err(Exhausted));
    }
}
