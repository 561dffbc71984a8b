//! Open slots (BOOK-2): working hours in the tenant's time zone (DST included),
//! minus existing bookings (with their buffers) and imported busy blocks.
//!
//! Pure functions over UTC seconds, so the engine is exhaustively unit-tested
//! and benchmarked without a store.

use chrono::{Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Bookings are claimed in units of this many seconds (BOOK-1).
pub const UNIT_SECS: i64 = 300;
/// Candidate start times are spaced this far apart.
pub const GRID_SECS: i64 = 900;

/// A half-open UTC interval `[start, end)` in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Interval {
    /// Inclusive start.
    pub start: i64,
    /// Exclusive end.
    pub end: i64,
}

impl Interval {
    /// Whether the two intervals share any instant.
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// Local working time `[from, to)` in minutes after midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LocalRange {
    /// Minutes after local midnight.
    #[schema(minimum = 0, maximum = 1435, multiple_of = 5)]
    pub from: u16,
    /// Minutes after local midnight (≤ 1440).
    #[schema(minimum = 5, maximum = 1440, multiple_of = 5)]
    pub to: u16,
}

/// A staff member's hours: per weekday (Monday first) and per-date exceptions
/// that replace the weekday's hours (an empty list is a day off).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Schedule {
    /// Monday..Sunday.
    #[schema(min_items = 7, max_items = 7)]
    pub weekly: [Vec<LocalRange>; 7],
    /// Date overrides.
    #[schema(schema_with = exceptions_schema, example = json!([["2026-12-24", []]]))]
    pub exceptions: Vec<(NaiveDate, Vec<LocalRange>)>,
}

/// The document's shape of `exceptions`: pairs of a date and that day's ranges.
fn exceptions_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Ref, Schema, Type};
    let date = Schema::from(ObjectBuilder::new().schema_type(Type::String).format(Some(
        utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Date),
    )));
    let ranges = Schema::from(ArrayBuilder::new().items(Ref::from_schema_name("LocalRange")));
    ArrayBuilder::new()
        .items(
            ArrayBuilder::new()
                .prefix_items([date, ranges])
                .min_items(Some(2))
                .max_items(Some(2)),
        )
        .build()
}

/// Why a schedule is refused.
#[derive(Debug, PartialEq, Eq)]
pub struct InvalidSchedule(pub String);

fn check_ranges(what: &str, ranges: &[LocalRange]) -> Result<(), InvalidSchedule> {
    let mut sorted = ranges.to_vec();
    sorted.sort_by_key(|r| r.from);
    for r in &sorted {
        if r.from >= r.to || r.to > 1440 {
            return Err(InvalidSchedule(format!(
                "{what}: each range must start before it ends, within the day"
            )));
        }
        if r.from % 5 != 0 || r.to % 5 != 0 {
            return Err(InvalidSchedule(format!(
                "{what}: times must be on 5-minute marks"
            )));
        }
    }
    if sorted.windows(2).any(|w| w[0].to > w[1].from) {
        return Err(InvalidSchedule(format!("{what}: ranges overlap")));
    }
    Ok(())
}

impl Schedule {
    /// Refuses inverted, overlapping or off-grid ranges and duplicate dates.
    pub fn validate(&self) -> Result<(), InvalidSchedule> {
        const DAYS: [&str; 7] = [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ];
        for (day, ranges) in DAYS.iter().zip(&self.weekly) {
            check_ranges(day, ranges)?;
        }
        let mut dates: Vec<NaiveDate> = self.exceptions.iter().map(|(d, _)| *d).collect();
        dates.sort();
        if dates.windows(2).any(|w| w[0] == w[1]) {
            return Err(InvalidSchedule("exceptions: a date appears twice".into()));
        }
        for (date, ranges) in &self.exceptions {
            check_ranges(&date.to_string(), ranges)?;
        }
        Ok(())
    }

    fn ranges_on(&self, date: NaiveDate) -> &[LocalRange] {
        self.exceptions
            .iter()
            .find(|(d, _)| *d == date)
            .map(|(_, r)| r.as_slice())
            .unwrap_or(&self.weekly[date.weekday().num_days_from_monday() as usize])
    }
}

/// The UTC instant of a local wall-clock time. Times skipped by a DST jump
/// resolve to the first instant after the jump; repeated times to the first.
/// `None` only at the ends of the calendar, where there is nothing to book.
fn to_utc(tz: Tz, date: NaiveDate, minutes: u16) -> Option<i64> {
    let naive = if minutes >= 1440 {
        NaiveDateTime::new(date.succ_opt()?, NaiveTime::MIN)
    } else {
        NaiveDateTime::new(
            date,
            NaiveTime::from_hms_opt(u32::from(minutes) / 60, u32::from(minutes) % 60, 0)?,
        )
    };
    let mut probe = naive;
    for _ in 0..8 {
        match tz.from_local_datetime(&probe) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => return Some(t.timestamp()),
            LocalResult::None => probe = probe.checked_add_signed(Duration::minutes(15))?,
        }
    }
    Some(tz.from_utc_datetime(&naive).timestamp())
}

/// Working intervals in UTC for every local date from `from` to `to` inclusive.
pub fn working_intervals(
    tz: Tz,
    schedule: &Schedule,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<Interval> {
    let mut out = Vec::new();
    let mut date = from;
    while date <= to {
        for r in schedule.ranges_on(date) {
            if let (Some(start), Some(end)) = (to_utc(tz, date, r.from), to_utc(tz, date, r.to)) {
                if start < end {
                    out.push(Interval { start, end });
                }
            }
        }
        let Some(next) = date.succ_opt() else { break };
        date = next;
    }
    out
}

/// What a booking occupies: the appointment plus its buffers.
pub fn span(
    start: i64,
    duration_secs: i64,
    buffer_before_secs: i64,
    buffer_after_secs: i64,
) -> Interval {
    Interval {
        start: start - buffer_before_secs,
        end: start + duration_secs + buffer_after_secs,
    }
}

/// A service's timing, in seconds.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Appointment length.
    pub duration: i64,
    /// Blocked before.
    pub buffer_before: i64,
    /// Blocked after.
    pub buffer_after: i64,
}

/// Open start times within `window`: the appointment fits inside working time,
/// starts on the grid, is not in the past, and its span (with buffers) overlaps
/// nothing in `occupied`.
pub fn open_slots(
    working: &[Interval],
    occupied: &[Interval],
    timing: Timing,
    window: Interval,
    now: i64,
) -> Vec<i64> {
    let busy = merged(occupied);
    let mut slots = Vec::new();
    for w in working {
        let first = w.start.max(window.start).max(now);
        // Align to the grid measured from the working interval's start.
        let offset = (first - w.start).rem_euclid(GRID_SECS);
        let mut start = if offset == 0 {
            first
        } else {
            first + GRID_SECS - offset
        };
        while start + timing.duration <= w.end && start < window.end {
            let s = span(
                start,
                timing.duration,
                timing.buffer_before,
                timing.buffer_after,
            );
            let idx = busy.partition_point(|b| b.end <= s.start);
            if busy.get(idx).is_none_or(|b| !b.overlaps(&s)) {
                slots.push(start);
            }
            start += GRID_SECS;
        }
    }
    slots.sort_unstable();
    slots.dedup();
    slots
}

/// Sorted, non-overlapping cover of `intervals`: the precondition for finding
/// the one interval that could overlap a span by binary search.
fn merged(intervals: &[Interval]) -> Vec<Interval> {
    let mut sorted = intervals.to_vec();
    sorted.sort();
    let mut out: Vec<Interval> = Vec::with_capacity(sorted.len());
    for i in sorted {
        match out.last_mut() {
            Some(last) if i.start <= last.end => last.end = last.end.max(i.end),
            _ => out.push(i),
        }
    }
    out
}

/// Whether `start` is an open slot (used to validate a booking request).
pub fn is_open(
    working: &[Interval],
    occupied: &[Interval],
    timing: Timing,
    start: i64,
    now: i64,
) -> bool {
    let window = Interval {
        start,
        end: start + 1,
    };
    open_slots(working, occupied, timing, window, now).contains(&start)
}

/// The claim units a span covers (BOOK-1): every 5-minute unit it touches.
pub fn units(span: Interval) -> Vec<i64> {
    let first = span.start.div_euclid(UNIT_SECS) * UNIT_SECS;
    let mut out = Vec::new();
    let mut u = first;
    while u < span.end {
        out.push(u);
        u += UNIT_SECS;
    }
    out
}

/// Busy intervals from sorted claim units, merged.
pub fn merge_units(units: &[i64]) -> Vec<Interval> {
    let mut out: Vec<Interval> = Vec::new();
    for &u in units {
        match out.last_mut() {
            Some(last) if last.end == u => last.end = u + UNIT_SECS,
            _ => out.push(Interval {
                start: u,
                end: u + UNIT_SECS,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nine_to_five() -> Schedule {
        let day = vec![LocalRange {
            from: 9 * 60,
            to: 17 * 60,
        }];
        Schedule {
            weekly: [
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                day,
            ],
            exceptions: vec![],
        }
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn working_hours_follow_the_zone_across_dst() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let before = working_intervals(tz, &nine_to_five(), d("2026-03-28"), d("2026-03-28"));
        let after = working_intervals(tz, &nine_to_five(), d("2026-03-29"), d("2026-03-29"));
        // 09:00 CET = 08:00 UTC; 09:00 CEST = 07:00 UTC.
        assert_eq!(before[0].start % 86_400, 8 * 3600);
        assert_eq!(after[0].start % 86_400, 7 * 3600);
        assert_eq!(after[0].end - after[0].start, 8 * 3600);
        let autumn = working_intervals(tz, &nine_to_five(), d("2026-10-25"), d("2026-10-25"));
        assert_eq!(autumn[0].start % 86_400, 8 * 3600);
    }

    #[test]
    fn a_range_through_the_spring_gap_loses_the_missing_hour() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let night = vec![LocalRange {
            from: 60,
            to: 4 * 60,
        }];
        let s = Schedule {
            weekly: std::array::from_fn(|_| night.clone()),
            exceptions: vec![],
        };
        let w = working_intervals(tz, &s, d("2026-03-29"), d("2026-03-29"));
        assert_eq!(
            w[0].end - w[0].start,
            2 * 3600,
            "01:00-04:00 local is two real hours that night"
        );
    }

    #[test]
    fn exceptions_replace_the_weekday() {
        let tz: Tz = "UTC".parse().unwrap();
        let mut s = nine_to_five();
        s.exceptions.push((d("2026-12-24"), vec![]));
        s.exceptions
            .push((d("2026-12-27"), vec![LocalRange { from: 600, to: 660 }]));
        assert!(working_intervals(tz, &s, d("2026-12-24"), d("2026-12-24")).is_empty());
        let extra = working_intervals(tz, &s, d("2026-12-27"), d("2026-12-27"));
        assert_eq!(extra.len(), 1);
        assert_eq!(extra[0].end - extra[0].start, 3600);
    }

    #[test]
    fn invalid_schedules_are_refused() {
        let mut s = nine_to_five();
        s.weekly[0] = vec![LocalRange { from: 600, to: 540 }];
        assert!(s.validate().is_err());
        s.weekly[0] = vec![
            LocalRange { from: 540, to: 720 },
            LocalRange { from: 700, to: 800 },
        ];
        assert!(s.validate().is_err());
        s.weekly[0] = vec![LocalRange { from: 541, to: 720 }];
        assert!(s.validate().is_err());
        s.weekly[0] = vec![LocalRange {
            from: 540,
            to: 1441,
        }];
        assert!(s.validate().is_err());
        assert!(nine_to_five().validate().is_ok());
    }

    #[test]
    fn slots_respect_bookings_buffers_busy_time_and_the_clock() {
        let tz: Tz = "UTC".parse().unwrap();
        let day = d("2026-06-01");
        let working = working_intervals(tz, &nine_to_five(), day, day);
        let nine = working[0].start;
        let timing = Timing {
            duration: 3600,
            buffer_before: 0,
            buffer_after: 900,
        };
        let window = Interval {
            start: nine,
            end: nine + 8 * 3600,
        };
        let all = open_slots(&working, &[], timing, window, 0);
        assert_eq!(all.first(), Some(&nine));
        assert_eq!(
            all.last(),
            Some(&(nine + 7 * 3600)),
            "the last hour-long slot starts at 16:00"
        );
        // A booking 11:00-12:00 with a 15-minute buffer blocks 10:00 (its buffer would touch 11:00).
        let booked = [span(nine + 2 * 3600, 3600, 0, 900)];
        let open = open_slots(&working, &booked, timing, window, 0);
        assert!(
            !open.contains(&(nine + 3600)),
            "10:00 + 15 min buffer runs into 11:00"
        );
        assert!(!open.contains(&(nine + 2 * 3600)));
        assert!(
            open.contains(&(nine + 3 * 3600 + 900)),
            "12:15 is free after the buffer"
        );
        // Busy blocks and the clock.
        let busy = [Interval {
            start: nine,
            end: nine + 1800,
        }];
        assert!(!open_slots(&working, &busy, timing, window, 0).contains(&nine));
        assert!(open_slots(&working, &[], timing, window, nine + 1).first() == Some(&(nine + 900)));
    }

    #[test]
    fn a_long_block_hidden_behind_short_ones_still_blocks() {
        let tz: Tz = "UTC".parse().unwrap();
        let day = d("2026-06-01");
        let working = working_intervals(tz, &nine_to_five(), day, day);
        let nine = working[0].start;
        let timing = Timing {
            duration: 900,
            buffer_before: 0,
            buffer_after: 0,
        };
        // A four-hour block from 09:00 and a short one inside it.
        let busy = [
            Interval {
                start: nine,
                end: nine + 4 * 3600,
            },
            Interval {
                start: nine + 600,
                end: nine + 700,
            },
        ];
        let open = open_slots(
            &working,
            &busy,
            timing,
            Interval {
                start: nine,
                end: nine + 8 * 3600,
            },
            0,
        );
        assert!(open.iter().all(|s| *s >= nine + 4 * 3600), "{open:?}");
        assert!(!is_open(&working, &busy, timing, nine + 3600, 0));
    }

    #[test]
    fn units_cover_the_whole_span() {
        let u = units(Interval {
            start: 600,
            end: 1500,
        });
        assert_eq!(u, [600, 900, 1200]);
        assert_eq!(
            merge_units(&[0, 300, 900]),
            [
                Interval { start: 0, end: 600 },
                Interval {
                    start: 900,
                    end: 1200
                }
            ]
        );
    }
}

/// Properties over arbitrary schedules, zones, dates (to the ends of chrono's
/// calendar), occupied time and clocks: the engine never panics, and never
/// offers a slot outside working hours, in the past or overlapping anything
/// occupied.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    const ZONES: &[&str] = &[
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "America/St_Johns",
        "Asia/Kathmandu",
        "Australia/Lord_Howe",
        "Pacific/Kiritimati",
        "Pacific/Apia",
    ];

    fn day_ranges() -> impl Strategy<Value = Vec<LocalRange>> {
        prop::collection::vec(0u16..=288, 0..6).prop_map(|mut cuts| {
            cuts.sort_unstable();
            cuts.dedup();
            cuts.chunks_exact(2)
                .map(|c| LocalRange {
                    from: c[0] * 5,
                    to: c[1] * 5,
                })
                .collect()
        })
    }

    fn schedule() -> impl Strategy<Value = Schedule> {
        prop::array::uniform7(day_ranges()).prop_map(|weekly| Schedule {
            weekly,
            exceptions: Vec::new(),
        })
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        let min = NaiveDate::MIN.num_days_from_ce();
        let max = NaiveDate::MAX.num_days_from_ce();
        prop_oneof![
            min..=max,
            (min..min + 40),
            (max - 40..=max),
            // Around today, where real requests are.
            738_000i32..742_000,
        ]
        .prop_map(|d| NaiveDate::from_num_days_from_ce_opt(d).unwrap_or(NaiveDate::MIN))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn slots_lie_in_working_time_after_now_and_clear_of_occupied_time(
            schedule in schedule(),
            zone in 0..ZONES.len(),
            from in any_date(),
            days in 0u64..9,
            duration in 1i64..=96,
            before in 0i64..=24,
            after in 0i64..=24,
            occupied in prop::collection::vec((0i64..20 * 86_400, 1i64..86_400), 0..30),
            now_offset in -30 * 86_400i64..30 * 86_400,
        ) {
            let tz: Tz = ZONES[zone].parse().unwrap();
            prop_assert!(schedule.validate().is_ok());
            let to = from.checked_add_days(chrono::Days::new(days)).unwrap_or(NaiveDate::MAX);
            let working = working_intervals(tz, &schedule, from, to);
            let Some(first) = working.first() else { return Ok(()); };
            let base = first.start;
            let occupied: Vec<Interval> = occupied
                .iter()
                .map(|(offset, len)| Interval { start: base + offset, end: base + offset + len })
                .collect();
            let timing = Timing {
                duration: duration * UNIT_SECS,
                buffer_before: before * UNIT_SECS,
                buffer_after: after * UNIT_SECS,
            };
            let window = Interval { start: base, end: working.last().map_or(base, |w| w.end) };
            let now = base + now_offset;
            for start in open_slots(&working, &occupied, timing, window, now) {
                prop_assert!(start >= now, "{start} is before now {now}");
                prop_assert!(start >= window.start && start < window.end);
                prop_assert!(
                    working.iter().any(|w| w.start <= start && start + timing.duration <= w.end),
                    "{start} is outside working time"
                );
                let s = span(start, timing.duration, timing.buffer_before, timing.buffer_after);
                prop_assert!(
                    occupied.iter().all(|o| !o.overlaps(&s)),
                    "{start} overlaps occupied time"
                );
            }
        }

        #[test]
        fn working_time_never_panics_at_the_ends_of_the_calendar(
            schedule in schedule(),
            zone in 0..ZONES.len(),
            from in any_date(),
            days in 0u64..3,
        ) {
            let tz: Tz = ZONES[zone].parse().unwrap();
            let to = from.checked_add_days(chrono::Days::new(days)).unwrap_or(NaiveDate::MAX);
            for w in working_intervals(tz, &schedule, from, to) {
                prop_assert!(w.start < w.end);
            }
        }
    }
}
