//! See the module list in [`super`].
//!
//! Stand-in with the final signature: non-recurring `VEVENT`s whose
//! `DTSTART`/`DTEND` are UTC date-times, and `VFREEBUSY` `FREEBUSY` periods
//! given as `start/end` in UTC. Recurrences, zones and all-day events are the
//! full parser's job.

use chrono::NaiveDateTime;

use super::{Occurrence, Window};

/// How to read a calendar text: which part of time, in which zone floating
/// times are, whose declines count, and whether to keep subjects.
#[derive(Clone, Copy, Debug)]
pub struct IcsOptions<'a> {
    /// The part of time read; occurrences outside it are dropped.
    pub window: Window,
    /// The staff member's zone, for floating times and all-day events.
    pub staff_zone: chrono_tz::Tz,
    /// The calendar owner's addresses: an event they declined does not block.
    pub own_addresses: &'a [String],
    /// Whether [`Occurrence::summary`] is filled (the tenant turned subjects on).
    pub keep_summary: bool,
}

/// Why a text could not be read as a calendar.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IcsError {
    /// The text is not an iCalendar object.
    #[error("not an iCalendar text")]
    NotCalendar,
    /// Expanding the text would produce more occurrences than allowed.
    #[error("too many occurrences")]
    TooManyOccurrences,
}

/// Most occurrences one text may produce.
const MAX_OCCURRENCES: usize = 50_000;

/// The busy stretches `text` describes within `options.window`.
pub fn busy_occurrences(text: &str, options: &IcsOptions<'_>) -> Result<Vec<Occurrence>, IcsError> {
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if !text
        .get(..15)
        .is_some_and(|head| head.eq_ignore_ascii_case("BEGIN:VCALENDAR"))
    {
        return Err(IcsError::NotCalendar);
    }
    let mut found = Vec::new();
    let mut event: Option<Event> = None;
    let mut in_free_busy = false;
    for line in unfold(text) {
        let (name, params, value) = split(&line);
        match (name.as_str(), value) {
            ("BEGIN", v) if v.eq_ignore_ascii_case("VEVENT") => event = Some(Event::default()),
            ("BEGIN", v) if v.eq_ignore_ascii_case("VFREEBUSY") => in_free_busy = true,
            ("END", v) if v.eq_ignore_ascii_case("VFREEBUSY") => in_free_busy = false,
            ("END", v) if v.eq_ignore_ascii_case("VEVENT") => {
                if let Some(done) = event.take().and_then(|e| e.occurrence(options)) {
                    found.push(done);
                }
            }
            ("FREEBUSY", v) if in_free_busy && !params.contains("FBTYPE=FREE") => {
                for period in v.split(',') {
                    let mut ends = period.split('/');
                    let start = ends.next().and_then(utc);
                    let end = ends.next().and_then(utc);
                    if let (Some(start), Some(end)) = (start, end) {
                        if end > start && options.window.overlaps(start, end) {
                            found.push(Occurrence {
                                source_id: format!("freebusy:{start}-{end}"),
                                start,
                                end,
                                summary: None,
                            });
                        }
                    }
                }
            }
            (other, v) => {
                if let Some(event) = event.as_mut() {
                    event.set(other, &params, v);
                }
            }
        }
        if found.len() > MAX_OCCURRENCES {
            return Err(IcsError::TooManyOccurrences);
        }
    }
    Ok(found)
}

#[derive(Default)]
struct Event {
    uid: String,
    start: Option<i64>,
    end: Option<i64>,
    summary: Option<String>,
    transparent: bool,
    cancelled: bool,
    declined_by: Vec<String>,
}

impl Event {
    fn set(&mut self, name: &str, params: &str, value: &str) {
        match name {
            "UID" => self.uid = value.to_owned(),
            "DTSTART" => self.start = utc(value),
            "DTEND" => self.end = utc(value),
            "SUMMARY" => self.summary = Some(value.to_owned()),
            "TRANSP" => self.transparent = value.eq_ignore_ascii_case("TRANSPARENT"),
            "STATUS" => self.cancelled = value.eq_ignore_ascii_case("CANCELLED"),
            "ATTENDEE" if params.contains("PARTSTAT=DECLINED") => {
                let address = value.get(7..).unwrap_or_default();
                self.declined_by.push(address.to_ascii_lowercase());
            }
            _ => {}
        }
    }

    fn occurrence(self, options: &IcsOptions<'_>) -> Option<Occurrence> {
        let (start, end) = (self.start?, self.end?);
        let declined = self.declined_by.iter().any(|address| {
            options
                .own_addresses
                .iter()
                .any(|own| own.eq_ignore_ascii_case(address))
        });
        if self.transparent || self.cancelled || declined || end <= start {
            return None;
        }
        options.window.overlaps(start, end).then(|| Occurrence {
            source_id: self.uid,
            start,
            end,
            summary: self.summary.filter(|_| options.keep_summary),
        })
    }
}

/// `YYYYMMDDTHHMMSSZ` as Unix seconds.
fn utc(value: &str) -> Option<i64> {
    let bare = value.strip_suffix('Z')?;
    NaiveDateTime::parse_from_str(bare, "%Y%m%dT%H%M%S")
        .ok()
        .map(|time| time.and_utc().timestamp())
}

/// Lines with folding undone.
fn unfold(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for raw in text.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        match (raw.strip_prefix([' ', '\t']), lines.last_mut()) {
            (Some(rest), Some(last)) => last.push_str(rest),
            _ => lines.push(raw.to_owned()),
        }
    }
    lines
}

/// Upper-cased name, upper-cased parameters, value.
fn split(line: &str) -> (String, String, &str) {
    let (head, value) = line.split_once(':').unwrap_or((line, ""));
    let (name, params) = head.split_once(';').unwrap_or((head, ""));
    (
        name.to_ascii_uppercase(),
        params.to_ascii_uppercase(),
        value,
    )
}
