//! Walks the content lines of a calendar text and keeps, per component, only
//! the properties that decide busy time: VEVENT times, recurrence, status,
//! transparency, the owner's own attendance and (when asked) the summary;
//! VFREEBUSY periods; VTIMEZONE names. Descriptions, locations, attendees and
//! organizers are never copied out of the text.

use std::collections::HashMap;

use super::lines::{ContentLine, Lines};
use super::values::unescape_text;
use super::zones::{parse_offset, ZoneDefinition};

/// A time property as written: its TZID and its value (for RDATE and EXDATE, a comma-separated list).
#[derive(Clone, Debug, Default)]
pub(super) struct RawTime {
    pub(super) tzid: Option<String>,
    pub(super) value: String,
}

impl RawTime {
    fn from(line: &ContentLine<'_>) -> Self {
        Self {
            tzid: line.param("TZID").map(str::to_owned),
            value: line.value.to_owned(),
        }
    }
}

/// One VEVENT, reduced to what decides whether and when it blocks.
#[derive(Clone, Debug, Default)]
pub(super) struct RawEvent {
    /// Its position among the text's VEVENTs (names an event without UID).
    pub(super) index: usize,
    pub(super) uid: Option<String>,
    pub(super) start: Option<RawTime>,
    pub(super) end: Option<RawTime>,
    pub(super) duration: Option<String>,
    pub(super) rrules: Vec<String>,
    pub(super) rdates: Vec<RawTime>,
    pub(super) exdates: Vec<RawTime>,
    pub(super) recurrence_id: Option<RawTime>,
    /// Transparent, cancelled, marked free by Outlook, or declined by the
    /// calendar's owner.
    pub(super) free: bool,
    pub(super) summary: Option<String>,
}

/// One FREEBUSY property of a VFREEBUSY: its comma-separated periods.
#[derive(Clone, Debug)]
pub(super) struct RawBusy {
    pub(super) periods: String,
}

/// Everything a text holds that matters for busy time.
#[derive(Debug, Default)]
pub(super) struct Parsed {
    /// Whether a `BEGIN:VCALENDAR` line was seen at all.
    pub(super) is_calendar: bool,
    pub(super) events: Vec<RawEvent>,
    pub(super) busy: Vec<RawBusy>,
    pub(super) zones: HashMap<String, ZoneDefinition>,
}

/// The components whose properties are read; everything else is skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Event,
    FreeBusy,
    Timezone,
    Standard,
    Daylight,
    Other,
}

impl Kind {
    fn of(name: &str) -> Self {
        let known = [
            ("VEVENT", Kind::Event),
            ("VFREEBUSY", Kind::FreeBusy),
            ("VTIMEZONE", Kind::Timezone),
            ("STANDARD", Kind::Standard),
            ("DAYLIGHT", Kind::Daylight),
        ];
        known
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
            .map_or(Kind::Other, |(_, k)| *k)
    }
}

/// Nesting deeper than this is not followed (components inside are ignored).
const MAX_DEPTH: usize = 32;

/// What the walk is filling in.
struct Walk<'o> {
    parsed: Parsed,
    stack: Vec<Kind>,
    /// BEGINs beyond [`MAX_DEPTH`] still open.
    overflow: usize,
    event: Option<RawEvent>,
    zone: Option<(Option<String>, ZoneDefinition)>,
    events_seen: usize,
    own_addresses: &'o [String],
    keep_summary: bool,
}

/// Reads a calendar text.
pub(super) fn parse(text: &str, own_addresses: &[String], keep_summary: bool) -> Parsed {
    let mut walk = Walk {
        parsed: Parsed::default(),
        stack: Vec::new(),
        overflow: 0,
        event: None,
        zone: None,
        events_seen: 0,
        own_addresses,
        keep_summary,
    };
    for raw in Lines::new(text) {
        if raw.name().is_some_and(|name| !walk.wants(name)) {
            continue;
        }
        if let Some(line) = ContentLine::parse(&raw.unfold()) {
            walk.line(&line);
        }
    }
    walk.finish_event();
    walk.finish_zone();
    walk.parsed
}

/// The VEVENT properties that decide busy time.
const EVENT_PROPERTIES: &[&str] = &[
    "DTSTART",
    "DTEND",
    "DURATION",
    "UID",
    "RRULE",
    "RDATE",
    "EXDATE",
    "RECURRENCE-ID",
    "TRANSP",
    "STATUS",
    "X-MICROSOFT-CDO-BUSYSTATUS",
];

impl Walk<'_> {
    /// Whether a property is worth unfolding and reading here (a cheap
    /// check that skips descriptions, attendees and the like).
    fn wants(&self, name: &str) -> bool {
        let is = |wanted: &str| name.eq_ignore_ascii_case(wanted);
        if is("BEGIN") || is("END") {
            return true;
        }
        if self.overflow > 0 {
            return false;
        }
        match self.stack.last() {
            Some(Kind::Event) => {
                EVENT_PROPERTIES.iter().any(|p| is(p))
                    || (is("ATTENDEE") && !self.own_addresses.is_empty())
                    || (is("SUMMARY") && self.keep_summary)
            }
            Some(Kind::FreeBusy) => is("FREEBUSY"),
            Some(Kind::Timezone) => is("TZID") || is("X-LIC-LOCATION"),
            Some(Kind::Standard) => is("TZOFFSETTO"),
            _ => false,
        }
    }

    fn line(&mut self, line: &ContentLine<'_>) {
        if line.is("BEGIN") {
            return self.begin(line.value);
        }
        if line.is("END") {
            return self.end(line.value);
        }
        if self.overflow > 0 {
            return;
        }
        match self.stack.last() {
            Some(Kind::Event) => self.event_property(line),
            Some(Kind::FreeBusy) if line.is("FREEBUSY") && blocks(line.param("FBTYPE")) => {
                self.parsed.busy.push(RawBusy {
                    periods: line.value.to_owned(),
                });
            }
            Some(Kind::Timezone) => {
                if let Some((tzid, definition)) = self.zone.as_mut() {
                    if line.is("TZID") && tzid.is_none() {
                        *tzid = Some(line.value.to_owned());
                    } else if line.is("X-LIC-LOCATION") {
                        definition.location = Some(line.value.to_owned());
                    }
                }
            }
            Some(Kind::Standard) if line.is("TZOFFSETTO") => {
                if let Some((_, definition)) = self.zone.as_mut() {
                    if definition.standard_offset.is_none() {
                        definition.standard_offset = parse_offset(line.value);
                    }
                }
            }
            _ => {}
        }
    }

    fn begin(&mut self, name: &str) {
        if self.overflow > 0 || self.stack.len() >= MAX_DEPTH {
            self.overflow = self.overflow.saturating_add(1);
            return;
        }
        if name.trim().eq_ignore_ascii_case("VCALENDAR") {
            self.parsed.is_calendar = true;
        }
        let kind = Kind::of(name);
        match kind {
            Kind::Event => {
                self.finish_event();
                self.event = Some(RawEvent {
                    index: self.events_seen,
                    ..RawEvent::default()
                });
                self.events_seen = self.events_seen.saturating_add(1);
            }
            Kind::Timezone => {
                self.finish_zone();
                self.zone = Some((None, ZoneDefinition::default()));
            }
            Kind::Daylight => {
                if let Some((_, definition)) = self.zone.as_mut() {
                    definition.has_daylight = true;
                }
            }
            _ => {}
        }
        self.stack.push(kind);
    }

    fn end(&mut self, name: &str) {
        if self.overflow > 0 {
            self.overflow -= 1;
            return;
        }
        let kind = Kind::of(name);
        // Close up to the matching BEGIN; an END that matches nothing open is
        // ignored.
        let Some(at) = self.stack.iter().rposition(|k| *k == kind) else {
            return;
        };
        for closed in self.stack.drain(at..).rev().collect::<Vec<_>>() {
            match closed {
                Kind::Event => self.finish_event(),
                Kind::Timezone => self.finish_zone(),
                _ => {}
            }
        }
    }

    fn finish_event(&mut self) {
        if let Some(event) = self.event.take() {
            self.parsed.events.push(event);
        }
    }

    fn finish_zone(&mut self) {
        if let Some((Some(tzid), definition)) = self.zone.take() {
            self.parsed.zones.entry(tzid).or_insert(definition);
        }
    }

    fn event_property(&mut self, line: &ContentLine<'_>) {
        let Some(event) = self.event.as_mut() else {
            return;
        };
        let name = line.name;
        let is = |wanted: &str| name.eq_ignore_ascii_case(wanted);
        if is("DTSTART") {
            event.start.get_or_insert_with(|| RawTime::from(line));
        } else if is("DTEND") {
            event.end.get_or_insert_with(|| RawTime::from(line));
        } else if is("DURATION") {
            event.duration.get_or_insert_with(|| line.value.to_owned());
        } else if is("UID") {
            event
                .uid
                .get_or_insert_with(|| line.value.trim().to_owned());
        } else if is("RRULE") {
            event.rrules.push(line.value.to_owned());
        } else if is("RDATE") {
            event.rdates.push(RawTime::from(line));
        } else if is("EXDATE") {
            event.exdates.push(RawTime::from(line));
        } else if is("RECURRENCE-ID") {
            event
                .recurrence_id
                .get_or_insert_with(|| RawTime::from(line));
        } else if is("TRANSP") {
            event.free |= line.value.trim().eq_ignore_ascii_case("TRANSPARENT");
        } else if is("STATUS") {
            event.free |= line.value.trim().eq_ignore_ascii_case("CANCELLED");
        } else if is("X-MICROSOFT-CDO-BUSYSTATUS") {
            event.free |= line.value.trim().eq_ignore_ascii_case("FREE");
        } else if is("ATTENDEE") {
            let declined = line
                .param("PARTSTAT")
                .is_some_and(|p| p.eq_ignore_ascii_case("DECLINED"));
            if declined && is_own(line.value, self.own_addresses) {
                event.free = true;
            }
        } else if is("SUMMARY") && self.keep_summary && event.summary.is_none() {
            event.summary = Some(unescape_text(line.value));
        }
    }
}

/// Whether an FBTYPE blocks: BUSY (also when absent), BUSY-UNAVAILABLE,
/// BUSY-TENTATIVE and unknown types (RFC 5545 §3.2.9 reads those as BUSY);
/// only FREE does not.
fn blocks(fbtype: Option<&str>) -> bool {
    !fbtype.is_some_and(|t| t.trim().eq_ignore_ascii_case("FREE"))
}

/// Whether an ATTENDEE value (`mailto:` address) is one of the owner's.
fn is_own(value: &str, own_addresses: &[String]) -> bool {
    let value = value.trim();
    let address = match value.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("mailto:") => value.get(7..).unwrap_or(""),
        _ => return false,
    };
    own_addresses
        .iter()
        .any(|own| own.eq_ignore_ascii_case(address.trim()))
}
