#!/usr/bin/env python3
"""A fake of the Google Calendar API v3, in memory, for tests: the calls the
calendar sync makes, in the documented request and response shapes.

    google_calendar.py --cert PEM --key KEY [--page-size N]
        [--freebusy-max-days 90]
        [--introspect URL --introspect-client ID:SECRET [--introspect-ca PEM]]

Serves TLS on 127.0.0.1 (OS-chosen port) and prints `LISTENING <port>`.
The API root is `https://localhost:<port>/calendar/v3`.

API (bearer tokens; scopes as Google documents them, with the
`https://www.googleapis.com/auth/` prefix):

GET  /calendar/v3/users/me/calendarList   maxResults, pageToken
     scopes: calendar, calendar.readonly, calendar.calendarlist(.readonly)
GET  /calendar/v3/calendars/<id>/events   singleEvents, timeMin, timeMax,
     syncToken, pageToken, maxResults, showDeleted
     scopes: calendar, calendar.readonly, calendar.events(.readonly)
     - syncToken may not be combined with timeMin, timeMax, q, orderBy,
       iCalUID, updatedMin, *ExtendedProperty, or showDeleted=false (400);
     - an unknown or invalidated syncToken answers 410 `fullSyncRequired`;
     - every listing's last page carries `nextSyncToken` (windowed full
       listings too); incremental reads list changed instances anywhere in
       the calendar, deleted ones as `{"id", "status": "cancelled"}`;
     - with singleEvents=true, recurring events (`recurrence: ["RRULE:..."]`)
       are expanded in their `start.timeZone`, so local times survive DST;
       instance ids are `<eventId>_<YYYYMMDDTHHMMSSZ>` (`_<YYYYMMDD>` all-day).
POST /calendar/v3/freeBusy   {timeMin, timeMax, items: [{id}]}
     scopes: calendar, calendar.readonly, calendar.freebusy,
     calendar.events.freebusy. Ranges over --freebusy-max-days answer 400
     `timeRangeTooLong`; unknown calendars get `errors: [{reason: notFound}]`.
     Busy: events not cancelled, not transparent, not declined by the
     attendee with self=true, not workingLocation; merged and clipped.

Errors follow Google's JSON error shape: 401 authError, 403
insufficientPermissions, 404 notFound, 410 fullSyncRequired, 429
rateLimitExceeded (with Retry-After).

Admin (no authentication), besides the common ones in
calendar_fake_common.py (tokens, throttle, stats):

POST   /_admin/users/<sub>/calendars      {"id"?, "summary", "primary"?}
       → {"id"}; a user's first calendar is primary unless told otherwise.
POST   /_admin/users/<sub>/calendars/<cal>/events          event → {"id", ...}
PUT    /_admin/users/<sub>/calendars/<cal>/events/<id>     create or replace
PATCH  /_admin/users/<sub>/calendars/<cal>/events/<id>     shallow merge
DELETE /_admin/users/<sub>/calendars/<cal>/events/<id>     delete
       Events are Google event resources: summary, start/end ({dateTime,
       timeZone} or {date}), recurrence, status, transparency, eventType,
       attendees ([{email, self, responseStatus}]).
POST   /_admin/invalidate-sync            every sync and page token → 410.
"""

import copy
import json
import secrets
from datetime import datetime, timedelta, timezone

from flask import jsonify, request

import calendar_fake_common as common

SCOPE = "https://www.googleapis.com/auth/"
LIST_SCOPES = {"calendar", "calendar.readonly", "calendar.calendarlist", "calendar.calendarlist.readonly"}
EVENT_SCOPES = {"calendar", "calendar.readonly", "calendar.events", "calendar.events.readonly"}
FREEBUSY_SCOPES = {"calendar", "calendar.readonly", "calendar.freebusy", "calendar.events.freebusy"}
NOT_WITH_SYNC_TOKEN = (
    "timeMin", "timeMax", "q", "orderBy", "iCalUID", "updatedMin",
    "privateExtendedProperty", "sharedExtendedProperty",
)
HORIZON = timedelta(days=400)


def error(status, reason, message, domain="global", headers=None):
    statuses = {
        400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
        404: "NOT_FOUND", 410: "FAILED_PRECONDITION", 429: "RESOURCE_EXHAUSTED",
    }
    body = {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
            "status": statuses.get(status, "UNKNOWN"),
        }
    }
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def rfc3339(value):
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class GoogleFake(common.Fake):
    def __init__(self, args):
        super().__init__(args, "google_calendar")
        self.users = {}
        self.sync_tokens = {}
        self.page_tokens = {}
        self._routes()

    # -- model -----------------------------------------------------------

    def user(self, sub):
        return self.users.setdefault(sub, {"calendars": {}})

    def calendar(self, sub, cal_id):
        calendars = self.user(sub)["calendars"]
        if cal_id == "primary":
            return next((c for c in calendars.values() if c["primary"]), None)
        return calendars.get(cal_id)

    @staticmethod
    def bounds(event):
        """(start, end, all_day, zone) of a stored event."""
        start, end = event["start"], event["end"]
        if "date" in start:
            first = datetime.combine(common.as_date(start["date"]), datetime.min.time())
            last = datetime.combine(common.as_date(end["date"]), datetime.min.time())
            return first, last, True, None
        tz = common.zone(start.get("timeZone")) if start.get("timeZone") else None
        first = common.parse_instant(start["dateTime"])
        last = common.parse_instant(end["dateTime"])
        return first, last, False, tz or first.tzinfo

    def instances(self, event, single_events, lo, hi):
        """The event itself, or with single_events its instances starting
        before `hi` (aware datetimes) and ending after `lo`."""
        if not single_events or not event.get("recurrence"):
            return [event]
        first, last, all_day, tz = self.bounds(event)
        duration = last - first
        rule = next(
            (line[len("RRULE:"):] for line in event["recurrence"] if line.startswith("RRULE:")),
            None,
        )
        if rule is None:
            return [event]
        local_first = first if all_day else first.astimezone(tz).replace(tzinfo=None)
        out = []
        for local in common.expand(rule, local_first, hi.astimezone(timezone.utc)):
            instance = copy.deepcopy(event)
            instance.pop("recurrence", None)
            instance["recurringEventId"] = event["id"]
            if all_day:
                start_aware = local.replace(tzinfo=timezone.utc)
                instance["id"] = f"{event['id']}_{local.strftime('%Y%m%d')}"
                instance["start"] = {"date": local.date().isoformat()}
                instance["end"] = {"date": (local + duration).date().isoformat()}
                instance["originalStartTime"] = {"date": local.date().isoformat()}
                end_aware = start_aware + duration
            else:
                start_aware = local.replace(tzinfo=tz)
                end_aware = start_aware + duration
                tz_name = event["start"].get("timeZone")
                instance["id"] = f"{event['id']}_{start_aware.astimezone(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}"
                instance["start"] = {"dateTime": start_aware.isoformat(), **({"timeZone": tz_name} if tz_name else {})}
                instance["end"] = {"dateTime": end_aware.astimezone(tz).isoformat(), **({"timeZone": tz_name} if tz_name else {})}
                instance["originalStartTime"] = dict(instance["start"])
            if common.overlaps(start_aware, end_aware, lo, hi):
                out.append(instance)
        return out

    def span(self, item):
        """Aware (start, end) of an instance; all-day dates as UTC midnights."""
        first, last, all_day, _ = self.bounds(item)
        if all_day:
            return first.replace(tzinfo=timezone.utc), last.replace(tzinfo=timezone.utc)
        return first, last

    def universe(self, cal, single_events, lo, hi):
        items = {}
        for event in cal["events"].values():
            for instance in self.instances(event, single_events, lo, hi):
                items[instance["id"]] = instance
        return items

    @staticmethod
    def version(item):
        return json.dumps(item, sort_keys=True)

    def new_sync_token(self, sub, cal, single_events, lo, hi):
        token = "sync_" + secrets.token_urlsafe(12)
        snapshot = {
            item_id: self.version(item)
            for item_id, item in self.universe(cal, single_events, lo, hi).items()
        }
        self.sync_tokens[token] = {
            "sub": sub, "cal": cal["id"], "single": single_events,
            "lo": lo, "hi": hi, "snapshot": snapshot,
        }
        return token

    # -- helpers ---------------------------------------------------------

    def authorize(self, endpoint, allowed):
        retry_after = self.count_and_throttle(endpoint)
        if retry_after is not None:
            return None, error(429, "rateLimitExceeded", "Rate Limit Exceeded", "usageLimits",
                               {"Retry-After": retry_after})
        principal = self.principal()
        if principal is None:
            return None, error(401, "authError", "Invalid Credentials",
                               headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'})
        sub, scopes = principal
        granted = {scope[len(SCOPE):] for scope in scopes if scope.startswith(SCOPE)}
        if not granted & allowed:
            return None, error(403, "insufficientPermissions",
                               "Request had insufficient authentication scopes.")
        return sub, None

    def page(self, items, size, extra_done):
        """First page of `items`; the rest stored behind a page token."""
        if len(items) > size:
            token = "page_" + secrets.token_urlsafe(12)
            self.page_tokens[token] = {"items": items[size:], "size": size, "done": extra_done}
            return {"items": items[:size], "nextPageToken": token}
        return {"items": items, **extra_done}

    def next_page(self, token):
        state = self.page_tokens.pop(token, None)
        if state is None:
            return None
        return self.page(state["items"], state["size"], state["done"])

    # -- routes ----------------------------------------------------------

    def _routes(self):
        app = self.app

        @app.get("/calendar/v3/users/me/calendarList")
        def calendar_list():
            sub, failure = self.authorize("calendarList.list", LIST_SCOPES)
            if failure:
                return failure
            size = min(int(request.args.get("maxResults", 100)), self.args.page_size)
            with self.lock:
                page_token = request.args.get("pageToken")
                if page_token:
                    body = self.next_page(page_token)
                    if body is None:
                        return error(400, "invalid", "Invalid page token.")
                else:
                    items = [
                        {
                            "kind": "calendar#calendarListEntry",
                            "id": cal["id"],
                            "summary": cal["summary"],
                            "accessRole": "owner",
                            **({"primary": True} if cal["primary"] else {}),
                        }
                        for cal in self.user(sub)["calendars"].values()
                    ]
                    body = self.page(items, size, {"nextSyncToken": "cl_" + secrets.token_urlsafe(8)})
            return jsonify({"kind": "calendar#calendarList", **body})

        @app.get("/calendar/v3/calendars/<cal_id>/events")
        def events_list(cal_id):
            sub, failure = self.authorize("events.list", EVENT_SCOPES)
            if failure:
                return failure
            args = request.args
            size = min(int(args.get("maxResults", 250)), self.args.page_size)
            with self.lock:
                cal = self.calendar(sub, cal_id)
                if cal is None:
                    return error(404, "notFound", "Not Found")
                if args.get("pageToken"):
                    body = self.next_page(args["pageToken"])
                    if body is None:
                        return error(410, "fullSyncRequired",
                                     "Sync token is no longer valid, a full sync is required.")
                    return jsonify({"kind": "calendar#events", "summary": cal["summary"], **body})
                single = args.get("singleEvents", "false") == "true"
                sync_token = args.get("syncToken")
                if sync_token:
                    if any(name in args for name in NOT_WITH_SYNC_TOKEN) or args.get("showDeleted") == "false":
                        return error(400, "invalid", "Sync token cannot be used with other request restrictions.")
                    state = self.sync_tokens.get(sync_token)
                    if state is None or state["cal"] != cal["id"] or state["sub"] != sub:
                        return error(410, "fullSyncRequired",
                                     "Sync token is no longer valid, a full sync is required.")
                    current = self.universe(cal, state["single"], state["lo"], state["hi"])
                    items = [
                        item for item_id, item in current.items()
                        if state["snapshot"].get(item_id) != self.version(item)
                    ]
                    items += [
                        {"kind": "calendar#event", "id": item_id, "status": "cancelled"}
                        for item_id in state["snapshot"] if item_id not in current
                    ]
                    next_token = self.new_sync_token(sub, cal, state["single"], state["lo"], state["hi"])
                else:
                    now = datetime.now(timezone.utc)
                    lo = common.parse_instant(args["timeMin"]) if "timeMin" in args else now - HORIZON
                    hi = common.parse_instant(args["timeMax"]) if "timeMax" in args else now + HORIZON
                    if hi <= lo:
                        return error(400, "timeRangeEmpty", "The specified time range is empty.")
                    show_deleted = args.get("showDeleted") == "true"
                    items = [
                        item for item in self.universe(cal, single, lo, hi).values()
                        if (show_deleted or item.get("status") != "cancelled")
                        and common.overlaps(*self.span(item), lo, hi)
                    ]
                    next_token = self.new_sync_token(sub, cal, single, lo - HORIZON, hi + HORIZON)
                items.sort(key=lambda item: item["id"])
                body = self.page([dict(item, kind="calendar#event") for item in items], size,
                                 {"nextSyncToken": next_token})
            return jsonify({"kind": "calendar#events", "summary": cal["summary"],
                            "timeZone": "UTC", **body})

        @app.post("/calendar/v3/freeBusy")
        def free_busy():
            sub, failure = self.authorize("freeBusy.query", FREEBUSY_SCOPES)
            if failure:
                return failure
            body = request.get_json(force=True, silent=True) or {}
            try:
                lo = common.parse_instant(body["timeMin"])
                hi = common.parse_instant(body["timeMax"])
            except (KeyError, ValueError):
                return error(400, "required", "Missing timeMin parameter.")
            if hi <= lo:
                return error(400, "timeRangeEmpty", "The specified time range is empty.", "calendar")
            if hi - lo > timedelta(days=self.args.freebusy_max_days):
                return error(400, "timeRangeTooLong", "The requested time range is too long.", "calendar")
            calendars = {}
            with self.lock:
                for entry in body.get("items", []):
                    cal_id = entry.get("id", "")
                    cal = self.calendar(sub, cal_id)
                    if cal is None:
                        calendars[cal_id] = {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
                        continue
                    spans = []
                    for event in cal["events"].values():
                        for item in self.instances(event, True, lo, hi):
                            if not blocks(item):
                                continue
                            start, end = self.span(item)
                            if common.overlaps(start, end, lo, hi):
                                spans.append((max(start, lo), min(end, hi)))
                    calendars[cal_id] = {
                        "busy": [{"start": rfc3339(s), "end": rfc3339(e)} for s, e in merge(spans)]
                    }
            return jsonify({"kind": "calendar#freeBusy", "timeMin": rfc3339(lo),
                            "timeMax": rfc3339(hi), "calendars": calendars})

        # -- admin -------------------------------------------------------

        @app.post("/_admin/users/<sub>/calendars")
        def admin_calendar(sub):
            body = request.get_json(force=True)
            with self.lock:
                calendars = self.user(sub)["calendars"]
                cal_id = body.get("id") or common.new_id() + "@group.calendar.google.com"
                primary = body.get("primary", not calendars)
                calendars[cal_id] = {"id": cal_id, "summary": body.get("summary", cal_id),
                                     "primary": bool(primary),
                                     "events": calendars.get(cal_id, {}).get("events", {})}
            return jsonify({"id": cal_id})

        def store(sub, cal_id, event_id, event):
            cal = self.calendar(sub, cal_id)
            if cal is None:
                return error(404, "notFound", "Not Found")
            event = dict(event)
            event["id"] = event_id
            event.setdefault("status", "confirmed")
            event["updated"] = rfc3339(datetime.now(timezone.utc))
            event["sequence"] = cal["events"].get(event_id, {}).get("sequence", -1) + 1
            try:
                self.bounds(event)
            except (KeyError, ValueError) as failure:
                return error(400, "invalid", f"bad event: {failure}")
            cal["events"][event_id] = event
            return jsonify(event)

        @app.post("/_admin/users/<sub>/calendars/<cal_id>/events")
        def admin_add_event(sub, cal_id):
            body = request.get_json(force=True)
            with self.lock:
                return store(sub, cal_id, body.get("id") or common.new_id("ev").lower().replace("-", "").replace("_", ""), body)

        @app.put("/_admin/users/<sub>/calendars/<cal_id>/events/<event_id>")
        def admin_put_event(sub, cal_id, event_id):
            with self.lock:
                return store(sub, cal_id, event_id, request.get_json(force=True))

        @app.patch("/_admin/users/<sub>/calendars/<cal_id>/events/<event_id>")
        def admin_patch_event(sub, cal_id, event_id):
            with self.lock:
                cal = self.calendar(sub, cal_id)
                if cal is None or event_id not in cal["events"]:
                    return error(404, "notFound", "Not Found")
                merged = dict(cal["events"][event_id])
                merged.update(request.get_json(force=True))
                return store(sub, cal_id, event_id, merged)

        @app.delete("/_admin/users/<sub>/calendars/<cal_id>/events/<event_id>")
        def admin_delete_event(sub, cal_id, event_id):
            with self.lock:
                cal = self.calendar(sub, cal_id)
                if cal is None or cal["events"].pop(event_id, None) is None:
                    return error(404, "notFound", "Not Found")
            return jsonify({"ok": True})

        @app.post("/_admin/invalidate-sync")
        def admin_invalidate():
            with self.lock:
                self.sync_tokens.clear()
                self.page_tokens.clear()
            return jsonify({"ok": True})


def blocks(item):
    if item.get("status") == "cancelled" or item.get("transparency") == "transparent":
        return False
    if item.get("eventType") in ("workingLocation", "birthday"):
        return False
    return not any(
        attendee.get("self") and attendee.get("responseStatus") == "declined"
        for attendee in item.get("attendees", [])
    )


def merge(spans):
    out = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def main():
    parser = common.base_arguments(__doc__.splitlines()[0])
    parser.add_argument("--freebusy-max-days", type=int, default=90)
    GoogleFake(parser.parse_args()).serve()


if __name__ == "__main__":
    main()
