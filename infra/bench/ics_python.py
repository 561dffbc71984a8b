"""Reference figures for `make bench` (tests/benches/ics.rs): reads an ICS
file with Python's icalendar and recurring-ical-events, expands it over a
window and keeps only the busy occurrences as (id, start, end), the same
work bookwarden_shared::calendar::ics::busy_occurrences does.

Usage: ics_python.py FILE WINDOW_START WINDOW_END [RUNS]
(window bounds as Unix seconds). Prints one JSON line:
{"seconds": median wall seconds, "peak_rss_kib": peak resident memory,
 "occurrences": count}.
"""

import datetime
import json
import resource
import statistics
import sys
import time

import icalendar
import recurring_ical_events


def busy(text: bytes, start: datetime.datetime, end: datetime.datetime):
    calendar = icalendar.Calendar.from_ical(text)
    found = []
    for event in recurring_ical_events.of(calendar).between(start, end):
        if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
            continue
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        if str(event.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).upper() == "FREE":
            continue
        first = event.get("DTSTART").dt
        last = event.get("DTEND").dt if event.get("DTEND") else first
        if not isinstance(first, datetime.datetime):
            first = datetime.datetime.combine(first, datetime.time(), datetime.timezone.utc)
            last = datetime.datetime.combine(last, datetime.time(), datetime.timezone.utc)
        if first.tzinfo is None:
            first = first.replace(tzinfo=datetime.timezone.utc)
            last = last.replace(tzinfo=datetime.timezone.utc)
        found.append((str(event.get("UID", "")), int(first.timestamp()), int(last.timestamp())))
    return found


def main() -> None:
    path, start, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    window = (
        datetime.datetime.fromtimestamp(start, datetime.timezone.utc),
        datetime.datetime.fromtimestamp(end, datetime.timezone.utc),
    )
    with open(path, "rb") as file:
        text = file.read()
    seconds = []
    count = 0
    for _ in range(runs):
        began = time.perf_counter()
        count = len(busy(text, *window))
        seconds.append(time.perf_counter() - began)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": statistics.median(seconds), "peak_rss_kib": peak, "occurrences": count}))


if __name__ == "__main__":
    main()
