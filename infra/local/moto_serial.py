"""moto behind a one-request-at-a-time lock, for Bookwarden's local stack.

moto's threaded server does not make TransactWriteItems atomic under concurrent
requests; serialising every request makes it behave like one DynamoDB endpoint.
The lock also makes moto_patches.py safe: it keeps moto fast and small as data
grows (see there).

One endpoint of its own, cheap however much mail was sent (unlike moto's
/moto-api/data.json, which serialises every object moto holds):

  GET /bookwarden/sent-mail?limit=N   the N latest raw messages SES accepted,
                                      newest first (default 10; limit=all: every one)
  -> {"total": <messages sent>, "messages": [{"id", "source", "destinations", "raw_data"}]}

Usage: moto_serial.py PORT   (0 picks a free port)
Prints "listening <port>" once ready. Exits when its stdin closes, so the
process that started it cannot leave it behind, however that process ends.
"""

import json
import logging
import os
import signal
import sys
import threading
from urllib.parse import parse_qs

import moto_patches
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.ses.models import RawMessage, ses_backends
from werkzeug.serving import make_server

SENT_MAIL_PATH = "/bookwarden/sent-mail"


def sent_mail(limit):
    """The `limit` latest raw messages (None: all), newest first, and how many
    there are. Looks only at the messages it returns."""
    sent = [
        message
        for _, _, backend in ses_backends.iter_backends()
        for message in backend.sent_messages
        if isinstance(message, RawMessage)
    ]
    latest = sent[::-1] if limit is None else sent[: -limit - 1 : -1] if limit else []
    return {
        "total": len(sent),
        "messages": [
            {
                "id": m.id,
                "source": m.source,
                "destinations": m.destinations,
                "raw_data": m.raw_data,
            }
            for m in latest
        ],
    }


def sent_mail_response(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    raw_limit = query.get("limit", ["10"])[0]
    try:
        limit = None if raw_limit == "all" else int(raw_limit)
        if limit is not None and limit < 0:
            raise ValueError
    except ValueError:
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return [b"limit: a whole number of messages, or all\n"]
    body = json.dumps(sent_mail(limit)).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


class Serialised:
    """WSGI middleware: one request inside moto at a time, body included."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            if environ.get("PATH_INFO") == SENT_MAIL_PATH:
                return sent_mail_response(environ, start_response)
            result = self.app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        return [body]


def exit_when_parent_goes(stream):
    stream.read()
    os._exit(0)


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    moto_patches.install()
    app = DomainDispatcherApplication(create_backend_app)
    # Loopback only, unless a developer opts in so that `sam local` containers
    # can reach it (README): BOOKWARDEN_MOTO_HOST=0.0.0.0.
    host = os.environ.get("BOOKWARDEN_MOTO_HOST", "127.0.0.1")
    server = make_server(host, port, Serialised(app), threaded=True)
    threading.Thread(target=exit_when_parent_goes, args=(sys.stdin,), daemon=True).start()
    print(f"listening {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
