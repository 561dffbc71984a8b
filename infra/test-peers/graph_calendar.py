#!/usr/bin/env python3
"""A fake of Microsoft Graph v1.0 calendars, in memory, for tests: the calls
the calendar sync makes, in the documented request and response shapes.

    graph_calendar.py --cert PEM --key KEY [--page-size N]
        [--introspect URL --introspect-client ID:SECRET [--introspect-ca PEM]]

Serves TLS on 127.0.0.1 (OS-chosen port) and prints `LISTENING <port>`.
The API root is `https://localhost:<port>/v1.0`.

API (bearer tokens; scopes are Graph permission names, with or without the
`https://graph.microsoft.com/` prefix):

GET  /v1.0/me                         User.Read (or User.ReadWrite,
     User.Read.All): {id, mail, userPrincipalName, displayName}
GET  /v1.0/me/calendars               Calendars.ReadBasic, Calendars.Read,
     Calendars.ReadWrite; paged by `Prefer: odata.maxpagesize` and
     --page-size through @odata.nextLink ($skiptoken).
GET  /v1.0/me/calendars/<id>/calendarView/delta
GET  /v1.0/me/calendarView/delta      (the default calendar)
     startDateTime & endDateTime start a round; $skiptoken (from
     @odata.nextLink) continues one; $deltatoken (from @odata.deltaLink)
     starts the next incremental round. Same permissions as above
     (Calendars.ReadBasic answers without `body`). `Prefer:
     outlook.timezone="<zone>"` (IANA name or UTC) picks the zone of
     start/end; all-day events keep their midnights in it. Recurring events
     are expanded (occurrence ids `<eventId>_<YYYYMMDDTHHMMSSZ>`, type
     `occurrence`, in the recurrence's zone so local times survive DST).
     Incremental rounds list changed occurrences in full and vanished ones as
     `{"id", "@removed": {"reason": "deleted"}}`. Unknown or invalidated
     tokens answer 410 `syncStateNotFound`.
POST /v1.0/me/calendar/getSchedule    Calendars.ReadBasic (or Read,
     ReadWrite): {schedules, startTime, endTime, availabilityViewInterval}.
     Ranges over 62 days answer 400 `ErrorTimeIntervalTooBig`. Items of the
     address's default calendar (not cancelled, not declined) with their
     showAs as status; unknown addresses get an `error`.

Errors use Graph's shape {"error": {"code", "message"}}: 401
InvalidAuthenticationToken, 403 ErrorAccessDenied, 404 ErrorItemNotFound,
410 syncStateNotFound, 429 TooManyRequests (with Retry-After).

Admin (no authentication), besides the common ones in
calendar_fake_common.py (tokens, throttle, stats):

POST   /_admin/users/<sub>                {"mail"?, "userPrincipalName"?}
       (defaults: mail null, userPrincipalName "<sub>@contoso.test")
POST   /_admin/users/<sub>/calendars      {"id"?, "name", "isDefaultCalendar"?}
       → {"id"}; a user's first calendar is the default unless told otherwise.
POST   /_admin/users/<sub>/calendars/<cal>/events          event → {"id", ...}
PUT    /_admin/users/<sub>/calendars/<cal>/events/<id>     create or replace
PATCH  /_admin/users/<sub>/calendars/<cal>/events/<id>     shallow merge
DELETE /_admin/users/<sub>/calendars/<cal>/events/<id>     delete
       Events are Graph event resources: subject, start/end ({dateTime,
       timeZone}), isAllDay, showAs, isCancelled, responseStatus {response},
       recurrence {pattern {type daily|weekly|absoluteMonthly|absoluteYearly,
       interval, daysOfWeek, dayOfMonth, month}, range {type
       numbered|endDate|noEnd, startDate, endDate, numberOfOccurrences}}.
POST   /_admin/invalidate-sync            every delta and skip token → 410.
"""

import copy
import json
import secrets
from datetime import datetime, timedelta, timezone

from flask import jsonify, request

import calendar_fake_common as common

PREFIX = "https://graph.microsoft.com/"
USER_SCOPES = {"User.Read", "User.ReadWrite", "User.Read.All"}
CALENDAR_SCOPES = {"Calendars.ReadBasic", "Calendars.Read", "Calendars.ReadWrite"}
DAYS = {"sunday": "SU", "monday": "MO", "tuesday": "TU", "wednesday": "WE",
        "thursday": "TH", "friday": "FR", "saturday": "SA"}
LEVEL = {"free": "0", "workingelsewhere": "0", "tentative": "1", "busy": "2", "oof": "3", "unknown": "4"}


def error(status, code, message, headers=None):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def graph_time(value, tz):
    return value.astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S.0000000")


def prefers():
    """The Prefer header's preferences (several headers or comma lists)."""
    out = {}
    for header in request.headers.getlist("Prefer"):
        for part in header.split(","):
            name, _, value = part.strip().partition("=")
            if name:
                out[name.strip().lower()] = value.strip().strip('"')
    return out


def rrule_of(recurrence, first_local):
    pattern, rng = recurrence.get("pattern", {}), recurrence.get("range", {})
    kind = pattern.get("type")
    parts = [f"INTERVAL={int(pattern.get('interval', 1))}"]
    if kind == "daily":
        parts.insert(0, "FREQ=DAILY")
    elif kind == "weekly":
        parts.insert(0, "FREQ=WEEKLY")
        days = [DAYS[d.lower()] for d in pattern.get("daysOfWeek", [])]
        if days:
            parts.append("BYDAY=" + ",".join(days))
    elif kind == "absoluteMonthly":
        parts += ["BYMONTHDAY=%d" % int(pattern["dayOfMonth"])]
        parts.insert(0, "FREQ=MONTHLY")
    elif kind == "absoluteYearly":
        parts.insert(0, "FREQ=YEARLY")
        parts += ["BYMONTH=%d" % int(pattern["month"]), "BYMONTHDAY=%d" % int(pattern["dayOfMonth"])]
    else:
        raise ValueError(f"unsupported recurrence pattern {kind!r}")
    if rng.get("type") == "numbered":
        parts.append("COUNT=%d" % int(rng["numberOfOccurrences"]))
    elif rng.get("type") == "endDate":
        parts.append("UNTIL=" + rng["endDate"].replace("-", "") + "T235959")
    return ";".join(parts)


class GraphFake(common.Fake):
    def __init__(self, args):
        super().__init__(args, "graph_calendar")
        self.users = {}
        self.delta_tokens = {}
        self.skip_tokens = {}
        self._routes()

    # -- model -----------------------------------------------------------

    def user(self, sub):
        return self.users.setdefault(
            sub, {"id": common.new_id(), "mail": None,
                  "userPrincipalName": f"{sub}@contoso.test", "calendars": {}})

    def calendar(self, sub, cal_id):
        calendars = self.user(sub)["calendars"]
        if cal_id is None:
            return next((c for c in calendars.values() if c["isDefaultCalendar"]), None)
        return calendars.get(cal_id)

    @staticmethod
    def bounds(event):
        """Aware (start, end, zone) of a stored event."""
        tz = common.zone(event["start"].get("timeZone", "UTC"))
        start = common.parse_instant(event["start"]["dateTime"]).replace(tzinfo=None).replace(tzinfo=tz)
        end_tz = common.zone(event["end"].get("timeZone", "UTC"))
        end = common.parse_instant(event["end"]["dateTime"]).replace(tzinfo=None).replace(tzinfo=end_tz)
        return start, end, tz

    def occurrences(self, event, lo, hi):
        """(instance, start, end) of the event's occurrences in [lo, hi)."""
        start, end, tz = self.bounds(event)
        if not event.get("recurrence"):
            instance = copy.deepcopy(event)
            instance["type"] = "singleInstance"
            return [(instance, start, end)] if common.overlaps(start, end, lo, hi) else []
        duration = end - start
        first_local = start.replace(tzinfo=None)
        out = []
        rule = rrule_of(event["recurrence"], first_local)
        for local in common.expand(rule, first_local, hi.astimezone(timezone.utc)):
            occ_start = local.replace(tzinfo=tz)
            occ_end = occ_start + duration
            if not common.overlaps(occ_start, occ_end, lo, hi):
                continue
            instance = copy.deepcopy(event)
            instance.pop("recurrence", None)
            instance["type"] = "occurrence"
            instance["seriesMasterId"] = event["id"]
            instance["id"] = f"{event['id']}_{occ_start.astimezone(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}"
            out.append((instance, occ_start, occ_end))
        return out

    def view(self, cal, lo, hi, tz, basic):
        """id → rendered occurrence, as calendarView would show it."""
        items = {}
        for event in cal["events"].values():
            for instance, start, end in self.occurrences(event, lo, hi):
                rendered = dict(instance)
                if basic:
                    rendered.pop("body", None)
                zone_name = "UTC" if tz is timezone.utc else str(tz)
                if instance.get("isAllDay"):
                    rendered["start"] = {"dateTime": start.strftime("%Y-%m-%dT00:00:00.0000000"), "timeZone": zone_name}
                    rendered["end"] = {"dateTime": end.strftime("%Y-%m-%dT00:00:00.0000000"), "timeZone": zone_name}
                else:
                    rendered["start"] = {"dateTime": graph_time(start, tz), "timeZone": zone_name}
                    rendered["end"] = {"dateTime": graph_time(end, tz), "timeZone": zone_name}
                rendered["@odata.etag"] = 'W/"%s"' % rendered.get("changeKey", "")
                items[rendered["id"]] = rendered
        return items

    @staticmethod
    def version(item):
        return json.dumps(item, sort_keys=True)

    # -- helpers ---------------------------------------------------------

    def authorize(self, endpoint, allowed):
        retry_after = self.count_and_throttle(endpoint)
        if retry_after is not None:
            return None, None, error(429, "TooManyRequests",
                                     "The request has been throttled.", {"Retry-After": retry_after})
        principal = self.principal()
        if principal is None:
            return None, None, error(401, "InvalidAuthenticationToken",
                                     "Access token validation failure.",
                                     {"WWW-Authenticate": 'Bearer realm=""'})
        sub, scopes = principal
        granted = {scope[len(PREFIX):] if scope.startswith(PREFIX) else scope for scope in scopes}
        if not granted & allowed:
            return None, None, error(403, "ErrorAccessDenied",
                                     "Access is denied. Check credentials and try again.")
        return sub, granted, None

    def api_root(self):
        return request.host_url.rstrip("/") + "/v1.0"

    def page_size(self):
        size = self.args.page_size
        wanted = prefers().get("odata.maxpagesize")
        if wanted and wanted.isdigit():
            size = min(size, int(wanted))
        return max(size, 1)

    def paged(self, items, size, path, done):
        if len(items) > size:
            token = secrets.token_urlsafe(12)
            self.skip_tokens[token] = {"items": items[size:], "size": size, "path": path, "done": done}
            return {"value": items[:size], "@odata.nextLink": f"{self.api_root()}{path}?$skiptoken={token}"}
        return {"value": items, **done}

    def resume(self, token):
        state = self.skip_tokens.pop(token, None)
        if state is None:
            return None
        return self.paged(state["items"], state["size"], state["path"], state["done"])

    # -- routes ----------------------------------------------------------

    def _routes(self):
        app = self.app

        @app.get("/v1.0/me")
        def me():
            sub, _, failure = self.authorize("me", USER_SCOPES)
            if failure:
                return failure
            with self.lock:
                user = self.user(sub)
                return jsonify({"id": user["id"], "mail": user["mail"],
                                "userPrincipalName": user["userPrincipalName"],
                                "displayName": sub})

        @app.get("/v1.0/me/calendars")
        def calendars():
            sub, _, failure = self.authorize("calendars.list", CALENDAR_SCOPES)
            if failure:
                return failure
            with self.lock:
                if "$skiptoken" in request.args:
                    body = self.resume(request.args["$skiptoken"])
                    if body is None:
                        return error(400, "ErrorInvalidRequest", "Invalid skip token.")
                else:
                    items = [
                        {"id": cal["id"], "name": cal["name"],
                         "isDefaultCalendar": cal["isDefaultCalendar"],
                         "canEdit": True, "owner": {"address": self.user(sub)["userPrincipalName"]}}
                        for cal in self.user(sub)["calendars"].values()
                    ]
                    body = self.paged(items, self.page_size(), "/me/calendars", {})
            return jsonify({"@odata.context": f"{self.api_root()}/$metadata#users('{sub}')/calendars", **body})

        def delta(cal_id):
            sub, granted, failure = self.authorize("calendarView.delta", CALENDAR_SCOPES)
            if failure:
                return failure
            args = request.args
            path = f"/me/calendars/{cal_id}/calendarView/delta" if cal_id else "/me/calendarView/delta"
            with self.lock:
                cal = self.calendar(sub, cal_id)
                if cal is None:
                    return error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
                if "$skiptoken" in args:
                    body = self.resume(args["$skiptoken"])
                    if body is None:
                        return error(410, "resyncRequired", "Resync required. Replace any local items with the server's.")
                    return jsonify(body)
                basic = not (granted & {"Calendars.Read", "Calendars.ReadWrite"})
                tz = common.zone(prefers().get("outlook.timezone", "UTC"))
                if "$deltatoken" in args:
                    state = self.delta_tokens.get(args["$deltatoken"])
                    if state is None or state["cal"] != cal["id"] or state["sub"] != sub:
                        return error(410, "syncStateNotFound", "The sync state generation is not found.")
                    lo, hi = state["lo"], state["hi"]
                    current = self.view(cal, lo, hi, timezone.utc, basic)
                    changed = [
                        item_id for item_id, item in current.items()
                        if state["snapshot"].get(item_id) != self.version(item)
                    ]
                    rendered = self.view(cal, lo, hi, tz, basic)
                    items = [rendered[item_id] for item_id in changed]
                    items += [
                        {"@odata.type": "#microsoft.graph.event", "id": item_id,
                         "@removed": {"reason": "deleted"}}
                        for item_id in state["snapshot"] if item_id not in current
                    ]
                else:
                    try:
                        lo = common.parse_instant(args["startDateTime"])
                        hi = common.parse_instant(args["endDateTime"])
                    except (KeyError, ValueError):
                        return error(400, "ErrorInvalidParameter",
                                     "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.")
                    current = self.view(cal, lo, hi, timezone.utc, basic)
                    items = list(self.view(cal, lo, hi, tz, basic).values())
                token = secrets.token_urlsafe(16)
                self.delta_tokens[token] = {
                    "sub": sub, "cal": cal["id"], "lo": lo, "hi": hi,
                    "snapshot": {item_id: self.version(item) for item_id, item in current.items()},
                }
                items.sort(key=lambda item: item["id"])
                body = self.paged(items, self.page_size(), path,
                                  {"@odata.deltaLink": f"{self.api_root()}{path}?$deltatoken={token}"})
            return jsonify({"@odata.context": f"{self.api_root()}/$metadata#Collection(event)", **body})

        @app.get("/v1.0/me/calendars/<cal_id>/calendarView/delta")
        def calendar_delta(cal_id):
            return delta(cal_id)

        @app.get("/v1.0/me/calendarView/delta")
        def default_delta():
            return delta(None)

        @app.post("/v1.0/me/calendar/getSchedule")
        def get_schedule():
            sub, _, failure = self.authorize("getSchedule", CALENDAR_SCOPES)
            if failure:
                return failure
            body = request.get_json(force=True, silent=True) or {}
            try:
                lo = common.parse_instant(body["startTime"]["dateTime"]).replace(tzinfo=None).replace(
                    tzinfo=common.zone(body["startTime"].get("timeZone", "UTC")))
                hi = common.parse_instant(body["endTime"]["dateTime"]).replace(tzinfo=None).replace(
                    tzinfo=common.zone(body["endTime"].get("timeZone", "UTC")))
                interval = int(body.get("availabilityViewInterval", 30))
            except (KeyError, ValueError, TypeError):
                return error(400, "ErrorInvalidRequest", "Invalid request body.")
            if hi <= lo or not 5 <= interval <= 1440:
                return error(400, "ErrorInvalidParameter", "Invalid time window or interval.")
            if hi - lo > timedelta(days=62):
                days = (hi - lo).days + (1 if (hi - lo) % timedelta(days=1) else 0)
                return error(400, "ErrorTimeIntervalTooBig",
                             "The requested time duration specified for FreeBusyViewOptions.TimeWindow "
                             f"is too long. The allowed limit = 62 days; the actual limit = {days} days.")
            tz = common.zone(prefers().get("outlook.timezone", "UTC"))
            zone_name = "UTC" if tz is timezone.utc else str(tz)
            out = []
            with self.lock:
                for address in body.get("schedules", []):
                    owner = next((u for u in self.users.values()
                                  if address.lower() in {(u["mail"] or "").lower(), u["userPrincipalName"].lower()}),
                                 None)
                    if owner is None:
                        out.append({"scheduleId": address, "availabilityView": "", "scheduleItems": [],
                                    "error": {"message": "The mailbox was not found.",
                                              "responseCode": "ErrorMailboxNotFound"}})
                        continue
                    default = next((c for c in owner["calendars"].values() if c["isDefaultCalendar"]), None)
                    items = []
                    for event in (default or {"events": {}})["events"].values():
                        for instance, start, end in self.occurrences(event, lo, hi):
                            if instance.get("isCancelled"):
                                continue
                            if (instance.get("responseStatus") or {}).get("response") == "declined":
                                continue
                            items.append((instance.get("showAs", "busy"), start, end))
                    slots = []
                    cursor = lo
                    while cursor < hi:
                        after = cursor + timedelta(minutes=interval)
                        level = max((LEVEL.get(s.lower(), "2") for s, a, b in items
                                     if common.overlaps(a, b, cursor, after)), default="0")
                        slots.append(level)
                        cursor = after
                    out.append({
                        "scheduleId": address,
                        "availabilityView": "".join(slots),
                        "scheduleItems": [
                            {"isPrivate": False, "status": status,
                             "start": {"dateTime": graph_time(a, tz), "timeZone": zone_name},
                             "end": {"dateTime": graph_time(b, tz), "timeZone": zone_name}}
                            for status, a, b in sorted(items, key=lambda i: i[1])
                        ],
                        "workingHours": {"daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                                         "startTime": "08:00:00.0000000", "endTime": "17:00:00.0000000",
                                         "timeZone": {"name": "UTC"}},
                    })
            return jsonify({"@odata.context": f"{self.api_root()}/$metadata#Collection(microsoft.graph.scheduleInformation)",
                            "value": out})

        # -- admin -------------------------------------------------------

        @app.post("/_admin/users/<sub>")
        def admin_user(sub):
            body = request.get_json(force=True)
            with self.lock:
                user = self.user(sub)
                if "mail" in body:
                    user["mail"] = body["mail"]
                if body.get("userPrincipalName"):
                    user["userPrincipalName"] = body["userPrincipalName"]
            return jsonify({"id": user["id"]})

        @app.post("/_admin/users/<sub>/calendars")
        def admin_calendar(sub):
            body = request.get_json(force=True)
            with self.lock:
                calendars = self.user(sub)["calendars"]
                cal_id = body.get("id") or "AAMkAD" + common.new_id() + "="
                default = body.get("isDefaultCalendar", not calendars)
                calendars[cal_id] = {"id": cal_id, "name": body.get("name", "Calendar"),
                                     "isDefaultCalendar": bool(default),
                                     "events": calendars.get(cal_id, {}).get("events", {})}
            return jsonify({"id": cal_id})

        def store(sub, cal_id, event_id, event):
            cal = self.calendar(sub, cal_id)
            if cal is None:
                return error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
            event = dict(event)
            event["id"] = event_id
            event.setdefault("showAs", "busy")
            event.setdefault("isAllDay", False)
            event.setdefault("isCancelled", False)
            event.setdefault("responseStatus", {"response": "organizer", "time": "0001-01-01T00:00:00Z"})
            event["changeKey"] = common.new_id()
            event["lastModifiedDateTime"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            try:
                start, _, _ = self.bounds(event)
                if event.get("recurrence"):
                    rrule_of(event["recurrence"], start.replace(tzinfo=None))
            except (KeyError, ValueError) as failure:
                return error(400, "ErrorInvalidRequest", f"bad event: {failure}")
            cal["events"][event_id] = event
            return jsonify(event)

        @app.post("/_admin/users/<sub>/calendars/<cal_id>/events")
        def admin_add_event(sub, cal_id):
            body = request.get_json(force=True)
            with self.lock:
                return store(sub, cal_id, body.get("id") or "AAMkAGev" + common.new_id() + "=", body)

        @app.put("/_admin/users/<sub>/calendars/<cal_id>/events/<event_id>")
        def admin_put_event(sub, cal_id, event_id):
            with self.lock:
                return store(sub, cal_id, event_id, request.get_json(force=True))

        @app.patch("/_admin/users/<sub>/calendars/<cal_id>/events/<event_id>")
        def admin_patch_event(sub, cal_id, event_id):
            with self.lock:
                cal = self.calendar(sub, cal_id)
                if cal is None or event_id not in cal["events"]:
                    return error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
                merged = dict(cal["events"][event_id])
                merged.update(request.get_json(force=True))
                return store(sub, cal_id, event_id, merged)

        @app.delete("/_admin/users/<sub>/calendars/<cal_id>/events/<event_id>")
        def admin_delete_event(sub, cal_id, event_id):
            with self.lock:
                cal = self.calendar(sub, cal_id)
                if cal is None or cal["events"].pop(event_id, None) is None:
                    return error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
            return jsonify({"ok": True})

        @app.post("/_admin/invalidate-sync")
        def admin_invalidate():
            with self.lock:
                self.delta_tokens.clear()
                self.skip_tokens.clear()
            return jsonify({"ok": True})


def main():
    parser = common.base_arguments(__doc__.splitlines()[0])
    GraphFake(parser.parse_args()).serve()


if __name__ == "__main__":
    main()
