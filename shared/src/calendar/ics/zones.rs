//! Which zone a TZID names, and where a local time falls in it.
//!
//! A TZID is read as, in order: an IANA name; a Windows zone name as Outlook
//! and Exchange write them (the common ones, after CLDR's windowZones table,
//! territory "001"); the `X-LIC-LOCATION` of its VTIMEZONE; an IANA name at
//! the end of a vendor path (`/mozilla.org/20050126_1/Europe/Berlin`); for a
//! VTIMEZONE without daylight saving, its whole-hour standard offset
//! (`Etc/GMT-3`). Anything else is read in the staff member's own zone: the
//! calendar is theirs, and a privately named zone is almost always their own
//! zone under another name. The VTIMEZONE's own transition rules are not
//! evaluated.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Offset, TimeDelta, TimeZone};
use chrono_tz::Tz;

/// What a VTIMEZONE component says about its zone, beyond its TZID.
#[derive(Clone, Debug, Default)]
pub(super) struct ZoneDefinition {
    /// `X-LIC-LOCATION`, an IANA name written by Mozilla and Apple.
    pub(super) location: Option<String>,
    /// `TZOFFSETTO` of the first STANDARD sub-component, in seconds.
    pub(super) standard_offset: Option<i32>,
    /// Whether it has a DAYLIGHT sub-component.
    pub(super) has_daylight: bool,
}

/// Resolves TZIDs once each for one calendar text.
pub(super) struct Zones {
    definitions: HashMap<String, ZoneDefinition>,
    staff_zone: Tz,
    resolved: HashMap<String, Tz>,
}

impl Zones {
    /// Resolution for a text whose VTIMEZONE components are `definitions`.
    pub(super) fn new(definitions: HashMap<String, ZoneDefinition>, staff_zone: Tz) -> Self {
        Self {
            definitions,
            staff_zone,
            resolved: HashMap::new(),
        }
    }

    /// The staff member's zone: floating and all-day times are read in it.
    pub(super) fn staff(&self) -> Tz {
        self.staff_zone
    }

    /// The zone a TZID names (see the module documentation).
    pub(super) fn zone(&mut self, tzid: &str) -> Tz {
        if let Some(zone) = self.resolved.get(tzid) {
            return *zone;
        }
        let zone = self.identify(tzid).unwrap_or(self.staff_zone);
        self.resolved.insert(tzid.to_owned(), zone);
        zone
    }

    fn identify(&self, tzid: &str) -> Option<Tz> {
        let name = tzid.trim();
        if let Ok(zone) = name.parse::<Tz>() {
            return Some(zone);
        }
        if let Some(zone) = windows_zone(name) {
            return Some(zone);
        }
        let definition = self.definitions.get(tzid);
        if let Some(zone) = definition
            .and_then(|d| d.location.as_deref())
            .and_then(|location| location.trim().parse::<Tz>().ok())
        {
            return Some(zone);
        }
        if let Some(zone) = iana_suffix(name) {
            return Some(zone);
        }
        let definition = definition?;
        if definition.has_daylight {
            return None;
        }
        fixed_hours(definition.standard_offset?)
    }
}

/// The longest IANA name made of the last one to three `/`-separated parts.
fn iana_suffix(name: &str) -> Option<Tz> {
    let parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty()).collect();
    (1..=3usize.min(parts.len())).rev().find_map(|take| {
        let from = parts.len().checked_sub(take)?;
        parts.get(from..)?.join("/").parse::<Tz>().ok()
    })
}

/// `Etc/GMT∓h` for a whole-hour offset (the sign is POSIX's: inverted).
fn fixed_hours(offset_secs: i32) -> Option<Tz> {
    if offset_secs % 3600 != 0 {
        return None;
    }
    let hours = offset_secs / 3600;
    let name = match hours {
        0 => "Etc/UTC".to_owned(),
        h if h > 0 => format!("Etc/GMT-{h}"),
        h => format!("Etc/GMT+{}", -h),
    };
    name.parse().ok()
}

/// Parses a UTC offset as in TZOFFSETTO (`+0100`, `-053000`) into seconds.
pub(super) fn parse_offset(text: &str) -> Option<i32> {
    let text = text.trim();
    let (sign, body) = match text.get(..1)? {
        "+" => (1, text.get(1..)?),
        "-" => (-1, text.get(1..)?),
        _ => return None,
    };
    if !(body.len() == 4 || body.len() == 6) || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = body.get(0..2)?.parse().ok()?;
    let minutes: i32 = body.get(2..4)?.parse().ok()?;
    let seconds: i32 = body
        .get(4..)
        .filter(|s| !s.is_empty())
        .map_or(Some(0), |s| s.parse().ok())?;
    if hours > 23 || minutes > 59 || seconds > 59 {
        return None;
    }
    Some(sign * (hours * 3600 + minutes * 60 + seconds))
}

/// The instant (Unix seconds) of a local time in `zone`. An ambiguous time
/// (clocks going back) is its earlier instant; a time that does not exist
/// (clocks going forward) is read with the offset in force before the gap,
/// so 02:30 on a spring-forward night is 03:30 (RFC 5545 §3.3.5).
pub(super) fn instant(zone: Tz, local: NaiveDateTime) -> Option<i64> {
    if let Some(first) = zone.from_local_datetime(&local).earliest() {
        return Some(first.timestamp());
    }
    // In a gap: find the offset a few hours earlier (gaps are at most a day).
    [3, 27].iter().find_map(|hours| {
        let before = local.checked_sub_signed(TimeDelta::try_hours(*hours)?)?;
        let offset = zone.offset_from_local_datetime(&before).earliest()?;
        let secs = i64::from(offset.fix().local_minus_utc());
        local.and_utc().timestamp().checked_sub(secs)
    })
}

/// The local time in `zone` of an instant, when chrono can represent it.
pub(super) fn local_time(zone: Tz, instant: i64) -> Option<NaiveDateTime> {
    zone.timestamp_opt(instant, 0)
        .single()
        .map(|t| t.naive_local())
}

/// A Windows zone name as Outlook writes it in TZID, mapped to IANA.
pub(super) fn windows_zone(name: &str) -> Option<Tz> {
    WINDOWS_ZONES
        .iter()
        .find(|(windows, _)| windows.eq_ignore_ascii_case(name))
        .map(|(_, zone)| *zone)
}

/// Windows zone names to IANA zones (CLDR windowZones, territory "001").
const WINDOWS_ZONES: &[(&str, Tz)] = &[
    ("Dateline Standard Time", Tz::Etc__GMTPlus12),
    ("UTC-11", Tz::Etc__GMTPlus11),
    ("Hawaiian Standard Time", Tz::Pacific__Honolulu),
    ("Alaskan Standard Time", Tz::America__Anchorage),
    ("Pacific Standard Time (Mexico)", Tz::America__Tijuana),
    ("Pacific Standard Time", Tz::America__Los_Angeles),
    ("US Mountain Standard Time", Tz::America__Phoenix),
    ("Mountain Standard Time (Mexico)", Tz::America__Mazatlan),
    ("Mountain Standard Time", Tz::America__Denver),
    ("Central America Standard Time", Tz::America__Guatemala),
    ("Central Standard Time", Tz::America__Chicago),
    ("Central Standard Time (Mexico)", Tz::America__Mexico_City),
    ("Canada Central Standard Time", Tz::America__Regina),
    ("SA Pacific Standard Time", Tz::America__Bogota),
    ("Eastern Standard Time", Tz::America__New_York),
    ("Eastern Standard Time (Mexico)", Tz::America__Cancun),
    (
        "US Eastern Standard Time",
        Tz::America__Indiana__Indianapolis,
    ),
    ("Venezuela Standard Time", Tz::America__Caracas),
    ("Atlantic Standard Time", Tz::America__Halifax),
    ("SA Western Standard Time", Tz::America__La_Paz),
    ("Pacific SA Standard Time", Tz::America__Santiago),
    ("Newfoundland Standard Time", Tz::America__St_Johns),
    ("E. South America Standard Time", Tz::America__Sao_Paulo),
    (
        "Argentina Standard Time",
        Tz::America__Argentina__Buenos_Aires,
    ),
    ("SA Eastern Standard Time", Tz::America__Cayenne),
    ("Greenland Standard Time", Tz::America__Nuuk),
    ("Montevideo Standard Time", Tz::America__Montevideo),
    ("UTC-02", Tz::Etc__GMTPlus2),
    ("Azores Standard Time", Tz::Atlantic__Azores),
    ("Cape Verde Standard Time", Tz::Atlantic__Cape_Verde),
    ("UTC", Tz::Etc__UTC),
    ("Coordinated Universal Time", Tz::Etc__UTC),
    ("GMT Standard Time", Tz::Europe__London),
    ("Greenwich Standard Time", Tz::Atlantic__Reykjavik),
    ("Morocco Standard Time", Tz::Africa__Casablanca),
    ("W. Europe Standard Time", Tz::Europe__Berlin),
    ("Central Europe Standard Time", Tz::Europe__Budapest),
    ("Romance Standard Time", Tz::Europe__Paris),
    ("Central European Standard Time", Tz::Europe__Warsaw),
    ("W. Central Africa Standard Time", Tz::Africa__Lagos),
    ("GTB Standard Time", Tz::Europe__Bucharest),
    ("E. Europe Standard Time", Tz::Europe__Chisinau),
    ("FLE Standard Time", Tz::Europe__Kyiv),
    ("Israel Standard Time", Tz::Asia__Jerusalem),
    ("Egypt Standard Time", Tz::Africa__Cairo),
    ("South Africa Standard Time", Tz::Africa__Johannesburg),
    ("Jordan Standard Time", Tz::Asia__Amman),
    ("Middle East Standard Time", Tz::Asia__Beirut),
    ("Syria Standard Time", Tz::Asia__Damascus),
    ("Turkey Standard Time", Tz::Europe__Istanbul),
    ("Kaliningrad Standard Time", Tz::Europe__Kaliningrad),
    ("Belarus Standard Time", Tz::Europe__Minsk),
    ("Arabic Standard Time", Tz::Asia__Baghdad),
    ("Arab Standard Time", Tz::Asia__Riyadh),
    ("Russian Standard Time", Tz::Europe__Moscow),
    ("E. Africa Standard Time", Tz::Africa__Nairobi),
    ("Iran Standard Time", Tz::Asia__Tehran),
    ("Arabian Standard Time", Tz::Asia__Dubai),
    ("Azerbaijan Standard Time", Tz::Asia__Baku),
    ("Georgian Standard Time", Tz::Asia__Tbilisi),
    ("Caucasus Standard Time", Tz::Asia__Yerevan),
    ("Mauritius Standard Time", Tz::Indian__Mauritius),
    ("Afghanistan Standard Time", Tz::Asia__Kabul),
    ("Ekaterinburg Standard Time", Tz::Asia__Yekaterinburg),
    ("Pakistan Standard Time", Tz::Asia__Karachi),
    ("West Asia Standard Time", Tz::Asia__Tashkent),
    ("India Standard Time", Tz::Asia__Kolkata),
    ("Sri Lanka Standard Time", Tz::Asia__Colombo),
    ("Nepal Standard Time", Tz::Asia__Kathmandu),
    ("Central Asia Standard Time", Tz::Asia__Almaty),
    ("Bangladesh Standard Time", Tz::Asia__Dhaka),
    ("Myanmar Standard Time", Tz::Asia__Yangon),
    ("SE Asia Standard Time", Tz::Asia__Bangkok),
    ("N. Central Asia Standard Time", Tz::Asia__Novosibirsk),
    ("North Asia Standard Time", Tz::Asia__Krasnoyarsk),
    ("China Standard Time", Tz::Asia__Shanghai),
    ("North Asia East Standard Time", Tz::Asia__Irkutsk),
    ("Singapore Standard Time", Tz::Asia__Singapore),
    ("W. Australia Standard Time", Tz::Australia__Perth),
    ("Taipei Standard Time", Tz::Asia__Taipei),
    ("Tokyo Standard Time", Tz::Asia__Tokyo),
    ("Korea Standard Time", Tz::Asia__Seoul),
    ("Yakutsk Standard Time", Tz::Asia__Yakutsk),
    ("Cen. Australia Standard Time", Tz::Australia__Adelaide),
    ("AUS Central Standard Time", Tz::Australia__Darwin),
    ("E. Australia Standard Time", Tz::Australia__Brisbane),
    ("AUS Eastern Standard Time", Tz::Australia__Sydney),
    ("West Pacific Standard Time", Tz::Pacific__Port_Moresby),
    ("Tasmania Standard Time", Tz::Australia__Hobart),
    ("Vladivostok Standard Time", Tz::Asia__Vladivostok),
    ("Central Pacific Standard Time", Tz::Pacific__Guadalcanal),
    ("New Zealand Standard Time", Tz::Pacific__Auckland),
    ("UTC+12", Tz::Etc__GMTMinus12),
    ("Fiji Standard Time", Tz::Pacific__Fiji),
    ("Tonga Standard Time", Tz::Pacific__Tongatapu),
    ("Samoa Standard Time", Tz::Pacific__Apia),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn zones(tzid: &str, definition: ZoneDefinition) -> Tz {
        let mut definitions = HashMap::new();
        definitions.insert(tzid.to_owned(), definition);
        Zones::new(definitions, Tz::Europe__Vienna).zone(tzid)
    }

    #[test]
    fn tzids_resolve_in_order() {
        let none = ZoneDefinition::default;
        assert_eq!(zones("America/New_York", none()), Tz::America__New_York);
        assert_eq!(zones("W. Europe Standard Time", none()), Tz::Europe__Berlin);
        assert_eq!(zones("romance standard time", none()), Tz::Europe__Paris);
        let location = ZoneDefinition {
            location: Some("Europe/Lisbon".into()),
            ..none()
        };
        assert_eq!(zones("Custom Lisbon", location), Tz::Europe__Lisbon);
        assert_eq!(
            zones(
                "/mozilla.org/20050126_1/America/Argentina/Buenos_Aires",
                none()
            ),
            Tz::America__Argentina__Buenos_Aires
        );
        let fixed = ZoneDefinition {
            standard_offset: Some(3 * 3600),
            ..none()
        };
        assert_eq!(zones("Arabia (fixed)", fixed), Tz::Etc__GMTMinus3);
        let daylight = ZoneDefinition {
            standard_offset: Some(3600),
            has_daylight: true,
            ..none()
        };
        assert_eq!(zones("Some private zone", daylight), Tz::Europe__Vienna);
        assert_eq!(zones("", none()), Tz::Europe__Vienna);
    }

    #[test]
    fn dst_edges_never_fail() {
        let berlin = Tz::Europe__Berlin;
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        // 02:30 does not exist on 2026-03-29: it is read as 03:30 CEST.
        assert_eq!(instant(berlin, at("2026-03-29 02:30")), Some(1_774_747_800));
        // 02:30 happens twice on 2026-10-25: the first (CEST) is chosen.
        assert_eq!(instant(berlin, at("2026-10-25 02:30")), Some(1_792_888_200));
        assert_eq!(parse_offset("+0530"), Some(19_800));
        assert_eq!(parse_offset("-100000"), Some(-36_000));
        assert_eq!(parse_offset("0100"), None);
        assert!(
            instant(berlin, NaiveDateTime::MAX).is_none()
                || instant(berlin, NaiveDateTime::MAX).is_some()
        );
    }
}
