//! `make bench` (calendar part): how fast and how small is reading an ICS
//! feed? Generates a feed of about 10,000 events (2.4 MB: mostly single
//! meetings with descriptions, attendees and locations; daily and weekly
//! series with EXDATEs and moved instances; all-day events; Outlook and IANA
//! zones), then times `busy_occurrences` over a 90-day window (parse, expand,
//! minimise; median of 7 runs), measures its peak memory in a child process
//! (VmHWM), and runs the same file through Python's icalendar and
//! recurring-ical-events (`infra/bench/ics_python.py`, the venv Python or
//! `BOOKWARDEN_PYTHON`) for comparison. The target is at least 20× faster.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use bookwarden_shared::calendar::ics::{busy_occurrences, IcsOptions};
use bookwarden_shared::calendar::Window;

const EVENTS: usize = 10_000;
const RUNS: usize = 7;
/// 2026-06-01T00:00:00Z, and 90 days.
const WINDOW: Window = Window {
    start: 1_780_272_000,
    end: 1_780_272_000 + 90 * 86_400,
};
const CHILD: &str = "BOOKWARDEN_ICS_BENCH_CHILD";

fn main() {
    if let Some(path) = std::env::var_os(CHILD) {
        return child(Path::new(&path));
    }
    // BOOKWARDEN_ICS_BENCH_FEED keeps the generated feed at that path.
    let kept = std::env::var_os("BOOKWARDEN_ICS_BENCH_FEED").map(PathBuf::from);
    let path = kept.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("bookwarden-ics-bench-{}.ics", std::process::id()))
    });
    let text = feed(EVENTS);
    std::fs::write(&path, &text).expect("write the feed");
    println!(
        "ICS feed: {EVENTS} events, {:.2} MB, window 90 days",
        text.len() as f64 / 1_000_000.0
    );

    let mut samples = Vec::with_capacity(RUNS);
    let mut found = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        found = busy_occurrences(&text, &options())
            .expect("the feed reads")
            .len();
        samples.push(started.elapsed());
    }
    samples.sort();
    let rust = samples[RUNS / 2];
    let (baseline, peak) = rust_memory(&path);
    println!(
        "  Rust  busy_occurrences: {:8.1} ms median of {RUNS}, {found} occurrences, peak RSS {:.1} MiB ({:+.1} MiB while reading)",
        ms(rust),
        peak as f64 / 1024.0,
        (peak - baseline) as f64 / 1024.0
    );

    match python(&path) {
        Ok((seconds, peak_kib, count)) => {
            let python = Duration::from_secs_f64(seconds);
            println!(
                "  Python icalendar + recurring-ical-events: {:8.1} ms, {count} occurrences, peak RSS {:.1} MiB",
                ms(python),
                peak_kib as f64 / 1024.0
            );
            let ratio = python.as_secs_f64() / rust.as_secs_f64();
            println!(
                "  Rust is {ratio:.0}x faster (target: at least 20x: {})",
                if ratio >= 20.0 { "met" } else { "MISSED" }
            );
        }
        Err(why) => println!("  Python comparison skipped: {why}"),
    }
    if kept.is_none() {
        let _ = std::fs::remove_file(&path);
    }
}

fn options() -> IcsOptions<'static> {
    static OWN: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    IcsOptions {
        window: WINDOW,
        staff_zone: chrono_tz::Tz::Europe__Berlin,
        own_addresses: OWN.get_or_init(|| vec!["staff@example.com".to_owned()]),
        keep_summary: false,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// In the child: read the file, then report VmHWM (KiB) before and after.
fn child(path: &Path) {
    let text = std::fs::read_to_string(path).expect("read the feed");
    let before = vm_hwm();
    let found = busy_occurrences(&text, &options()).expect("the feed reads");
    let after = vm_hwm();
    println!("{before} {after} {}", found.len());
}

fn vm_hwm() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .expect("/proc/self/status")
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

/// Peak memory (KiB) of a fresh process that reads the feed once.
fn rust_memory(path: &Path) -> (i64, i64) {
    let out = Command::new(std::env::current_exe().expect("this bench"))
        .env(CHILD, path)
        .output()
        .expect("run the measuring child");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut numbers = text
        .split_whitespace()
        .map(|n| n.parse::<i64>().expect("a number"));
    (
        numbers.next().expect("before"),
        numbers.next().expect("after"),
    )
}

/// Median seconds, peak RSS (KiB) and count from the Python reference.
fn python(path: &Path) -> Result<(f64, i64, u64), String> {
    let python = bookwarden_functions::local::moto::python();
    if !python.exists() {
        return Err(format!("{} not found: run `make venv`", python.display()));
    }
    let script: PathBuf =
        bookwarden_functions::local::moto::repo_root().join("infra/bench/ics_python.py");
    let runs = std::env::var("BOOKWARDEN_ICS_PYTHON_RUNS").unwrap_or_else(|_| "3".into());
    let out = Command::new(&python)
        .arg(script)
        .arg(path)
        .arg(WINDOW.start.to_string())
        .arg(WINDOW.end.to_string())
        .arg(runs)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr)
            .lines()
            .last()
            .unwrap_or("failed")
            .to_owned());
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    Ok((
        json["seconds"].as_f64().ok_or("no seconds")?,
        json["peak_rss_kib"].as_i64().ok_or("no peak_rss_kib")?,
        json["occurrences"].as_u64().ok_or("no occurrences")?,
    ))
}

/// A small deterministic generator (no dependency on a random crate).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

const WORDS: &[&str] = &[
    "budget",
    "review",
    "quarterly",
    "planning",
    "customer",
    "onboarding",
    "design",
    "retro",
    "hiring",
    "roadmap",
    "sync",
    "training",
    "launch",
    "invoice",
    "supplier",
    "workshop",
    "strategy",
    "audit",
];

fn words(rng: &mut Lcg, n: usize) -> String {
    (0..n)
        .map(|_| WORDS[rng.next(WORDS.len() as u64) as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes `line` folded at 75 octets, as producers do.
fn push_folded(out: &mut String, line: &str) {
    let mut rest = line;
    let mut first = true;
    while !rest.is_empty() {
        let limit = if first { 75 } else { 74 };
        let mut cut = rest.len().min(limit);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if !first {
            out.push(' ');
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n");
        rest = &rest[cut..];
        first = false;
    }
}

const ZONES: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nX-LIC-LOCATION:Europe/Berlin\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VTIMEZONE\r\nTZID:America/New_York\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nTZNAME:EDT\r\nDTSTART:19700308T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST\r\nDTSTART:19701101T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";

/// A feed of `events` VEVENTs (overrides included) in a realistic mix.
fn feed(events: usize) -> String {
    let mut rng = Lcg(42);
    let mut out = String::with_capacity(events * 260);
    out.push_str("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Bookwarden//Bench//EN\r\nCALSCALE:GREGORIAN\r\n");
    out.push_str(ZONES);
    let zones = ["Europe/Berlin", "America/New_York"];
    let mut written = 0;
    while written < events {
        let kind = rng.next(100);
        let uid = format!("{written:06}-{}@example.com", rng.next(1_000_000));
        let zone = zones[rng.next(2) as usize];
        // Days from 2025-01-01, spread over two years.
        let day =
            chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Days::new(rng.next(730));
        let hour = 8 + rng.next(10);
        let start = format!(
            "{}T{hour:02}{:02}00",
            day.format("%Y%m%d"),
            [0, 15, 30, 45][rng.next(4) as usize]
        );
        let end = format!(
            "{}T{:02}{:02}00",
            day.format("%Y%m%d"),
            hour + 1,
            [0, 15, 30, 45][rng.next(4) as usize]
        );
        out.push_str("BEGIN:VEVENT\r\n");
        let _ = write!(out, "UID:{uid}\r\nDTSTAMP:20250101T000000Z\r\n");
        match kind {
            0..=4 => {
                let next = day + chrono::Days::new(1 + rng.next(3));
                let _ = write!(
                    out,
                    "DTSTART;VALUE=DATE:{}\r\nDTEND;VALUE=DATE:{}\r\n",
                    day.format("%Y%m%d"),
                    next.format("%Y%m%d")
                );
            }
            5..=11 => {
                let first = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
                    + chrono::Days::new(rng.next(700));
                let s = format!("{}T{hour:02}0000", first.format("%Y%m%d"));
                let _ = write!(
                    out,
                    "DTSTART;TZID={zone}:{s}\r\nDTEND;TZID={zone}:{}T{hour:02}3000\r\n",
                    first.format("%Y%m%d")
                );
                out.push_str("RRULE:FREQ=WEEKLY;BYDAY=MO,WE\r\n");
                let ex = first + chrono::Days::new(7 * (1 + rng.next(100)));
                let _ = write!(
                    out,
                    "EXDATE;TZID={zone}:{}T{hour:02}0000\r\n",
                    ex.format("%Y%m%d")
                );
            }
            12..=14 => {
                let first = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()
                    + chrono::Days::new(rng.next(2000));
                let _ = write!(
                    out,
                    "DTSTART;TZID={zone}:{}T0900{:02}\r\nDURATION:PT15M\r\n",
                    first.format("%Y%m%d"),
                    0
                );
                if rng.next(2) == 0 {
                    out.push_str("RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR\r\n");
                } else {
                    out.push_str("RRULE:FREQ=DAILY;UNTIL=20261231T230000Z\r\n");
                }
            }
            _ => {
                let tz = if rng.next(3) == 0 {
                    "W. Europe Standard Time"
                } else {
                    zone
                };
                let _ = write!(
                    out,
                    "DTSTART;TZID=\"{tz}\":{start}\r\nDTEND;TZID=\"{tz}\":{end}\r\n"
                );
            }
        }
        let _ = write!(out, "SUMMARY:{}\r\n", words(&mut rng, 2));
        if rng.next(3) == 0 {
            let link = rng.next(1 << 30);
            let text = format!(
                "DESCRIPTION:{}\\nhttps://meet.example.com/{link}",
                words(&mut rng, 5)
            );
            push_folded(&mut out, &text);
        }
        if rng.next(3) == 0 {
            let _ = write!(out, "LOCATION:Room {}\r\n", rng.next(500));
        }
        if rng.next(4) == 0 {
            let _ = write!(out, "ORGANIZER:mailto:org{}@example.com\r\n", rng.next(50));
            let n = rng.next(200);
            let _ = write!(
                out,
                "ATTENDEE;PARTSTAT=ACCEPTED:mailto:p{n}@example.com\r\n"
            );
        }
        match rng.next(40) {
            0 => out.push_str("TRANSP:TRANSPARENT\r\n"),
            1 => out.push_str("STATUS:CANCELLED\r\n"),
            _ => {}
        }
        out.push_str("END:VEVENT\r\n");
        written += 1;
        if (5..=11).contains(&kind) && rng.next(3) == 0 && written < events {
            // A moved instance of the weekly series: the first Monday of
            // the window, two hours later.
            let original = format!("20260601T{hour:02}0000");
            let _ = write!(
                out,
                "BEGIN:VEVENT\r\nUID:{uid}\r\nRECURRENCE-ID;TZID={zone}:{original}\r\nDTSTART;TZID={zone}:20260601T{:02}0000\r\nDTEND;TZID={zone}:20260601T{:02}3000\r\nSUMMARY:moved\r\nEND:VEVENT\r\n",
                hour + 2,
                hour + 2
            );
            written += 1;
        }
    }
    out.push_str("END:VCALENDAR\r\n");
    out
}
