"""Shared plumbing of the Google Calendar and Microsoft Graph fakes
(google_calendar.py, graph_calendar.py): TLS serving per the test-peer
convention, bearer-token validation (RFC 7662 introspection or tokens
registered through the admin API), forced throttling, request counters and
the admin endpoints both fakes have in common.

Common admin endpoints (no authentication; the fakes listen on loopback):

POST   /_admin/tokens            {"token": str, "sub": str, "scope": "a b c"}
                                 registers a bearer token (used when the fake
                                 runs without --introspect).
DELETE /_admin/tokens/<token>    forgets it (the next call answers 401).
POST   /_admin/throttle          {"count": n, "retry_after": "30" | HTTP-date}
                                 the next n API requests answer 429 with that
                                 Retry-After (default "1").
GET    /_admin/stats             {"requests": {endpoint: count}, "total": n}
                                 API requests served (admin calls excluded).
POST   /_admin/stats/reset       zeroes the counters.
"""

import argparse
import base64
import logging
import os
import secrets
import ssl
import sys
import threading
from collections import Counter
from datetime import datetime, timedelta, timezone, date
from zoneinfo import ZoneInfo

import requests
from dateutil import rrule
from flask import Flask, jsonify, request
from werkzeug.serving import make_server


def base_arguments(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--introspect", help="RFC 7662 introspection endpoint")
    parser.add_argument("--introspect-client", help="CLIENT_ID:SECRET for introspection")
    parser.add_argument(
        "--introspect-ca",
        help="CA bundle for the introspection endpoint (default: ca.pem next to --cert)",
    )
    return parser


class Fake:
    """State every fake has: tokens, throttling, counters and a lock."""

    def __init__(self, args, name):
        self.args = args
        self.app = Flask(name)
        self.lock = threading.RLock()
        self.tokens = {}
        self.throttle_left = 0
        self.throttle_retry_after = "1"
        self.stats = Counter()
        self._admin_routes()

    # -- authentication ---------------------------------------------------

    def principal(self):
        """(sub, set of scopes) for the request's bearer token, or None."""
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        token = header[len("Bearer "):].strip()
        if not token:
            return None
        if self.args.introspect:
            return self._introspect(token)
        with self.lock:
            entry = self.tokens.get(token)
        if entry is None:
            return None
        return entry["sub"], set(entry["scope"].split())

    def _introspect(self, token):
        client_id, _, secret = (self.args.introspect_client or ":").partition(":")
        ca = self.args.introspect_ca or os.path.join(
            os.path.dirname(os.path.abspath(self.args.cert)), "ca.pem"
        )
        try:
            answer = requests.post(
                self.args.introspect,
                data={"token": token, "token_type_hint": "access_token"},
                auth=(client_id, secret),
                verify=ca,
                timeout=5,
            )
            body = answer.json()
        except (requests.RequestException, ValueError) as error:
            logging.warning("introspection failed: %s", type(error).__name__)
            return None
        if answer.status_code != 200 or not body.get("active"):
            return None
        return body.get("sub", ""), set((body.get("scope") or "").split())

    # -- throttling and counters -----------------------------------------

    def count_and_throttle(self, endpoint):
        """Counts the request; returns the forced 429 response, if one is due."""
        with self.lock:
            self.stats[endpoint] += 1
            if self.throttle_left > 0:
                self.throttle_left -= 1
                return self.retry_after_value()
        return None

    def retry_after_value(self):
        return self.throttle_retry_after

    # -- admin -----------------------------------------------------------

    def _admin_routes(self):
        app = self.app

        @app.post("/_admin/tokens")
        def admin_add_token():
            body = request.get_json(force=True)
            with self.lock:
                self.tokens[body["token"]] = {
                    "sub": body["sub"],
                    "scope": body.get("scope", ""),
                }
            return jsonify({"ok": True})

        @app.delete("/_admin/tokens/<token>")
        def admin_drop_token(token):
            with self.lock:
                self.tokens.pop(token, None)
            return jsonify({"ok": True})

        @app.post("/_admin/throttle")
        def admin_throttle():
            body = request.get_json(force=True)
            with self.lock:
                self.throttle_left = int(body.get("count", 1))
                self.throttle_retry_after = str(body.get("retry_after", "1"))
            return jsonify({"ok": True})

        @app.get("/_admin/stats")
        def admin_stats():
            with self.lock:
                return jsonify(
                    {"requests": dict(self.stats), "total": sum(self.stats.values())}
                )

        @app.post("/_admin/stats/reset")
        def admin_stats_reset():
            with self.lock:
                self.stats.clear()
            return jsonify({"ok": True})

    # -- serving ---------------------------------------------------------

    def serve(self):
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.args.cert, self.args.key)
        server = make_server("127.0.0.1", 0, self.app, threaded=True, ssl_context=context)
        sys.stdout.write(f"LISTENING {server.server_port}\n")
        sys.stdout.flush()
        server.serve_forever()


def new_id(prefix=""):
    return prefix + base64.urlsafe_b64encode(secrets.token_bytes(12)).decode().rstrip("=")


def parse_instant(text):
    """RFC 3339 (or Graph's offset-less form, read as UTC) → aware datetime."""
    text = text.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # Graph writes seven fractional digits; Python takes at most six.
    if "." in text:
        head, _, tail = text.partition(".")
        digits = "".join(c for c in tail if c.isdigit())
        rest = tail[len(digits):]
        text = f"{head}.{digits[:6]}{rest}"
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


def zone(name):
    try:
        return ZoneInfo(name) if name else timezone.utc
    except Exception:  # unknown zone names fall back to UTC, as Graph does
        return timezone.utc


MAX_INSTANCES = 2000


def expand(rule_text, first_local, until_utc):
    """Local start times of a recurrence: `rule_text` is an RRULE body
    (without "RRULE:"), `first_local` a naive local datetime; instances are
    generated in local wall time, so DST changes keep the local time."""
    rule = rrule.rrulestr(rule_text, dtstart=first_local, ignoretz=True)
    out = []
    for occurrence in rule:
        if len(out) >= MAX_INSTANCES:
            break
        out.append(occurrence)
        if until_utc is not None and occurrence > until_utc.replace(tzinfo=None) + timedelta(days=2):
            break
    return out


def overlaps(start, end, lo, hi):
    return start < hi and end > lo


def as_date(text):
    return date.fromisoformat(text)
