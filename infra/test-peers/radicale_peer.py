#!/usr/bin/env python3
"""A real CalDAV server for the calendar tests: Radicale (pinned in
infra/requirements.txt) run in-process behind Werkzeug's threaded TLS server
on 127.0.0.1, port chosen by the OS.

    radicale_peer.py --cert PEM --key KEY --user alice@example.com:app-password
                     [--user ...] [--no-free-busy]

Users authenticate with HTTP Basic against a plain htpasswd file; each owns
the collections under /<user>/ (rights "owner_only"). Storage lives in a
temporary directory removed at exit. `--no-free-busy` puts a WSGI layer in
front that answers 403 to every REPORT whose body is a free-busy-query, the
way servers without RFC 4791 section 7.10 support do, so the client's
calendar-query fallback runs against a real server.

Prints exactly one line `LISTENING <port>` to stdout once it accepts
connections; everything else goes to stderr.
"""

import argparse
import io
import logging
import os
import sys
import tempfile

import radicale
import radicale.config
from werkzeug.serving import make_server


def refuse_free_busy(app):
    """Answers 403 (DAV:supported-report) to free-busy-query REPORTs."""

    def wrapped(environ, start_response):
        if environ.get("REQUEST_METHOD") == "REPORT":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length > 0 else b""
            if b"free-busy-query" in body:
                answer = (b'<?xml version="1.0" encoding="utf-8"?>'
                          b'<D:error xmlns:D="DAV:"><D:supported-report/></D:error>')
                start_response("403 Forbidden", [
                    ("Content-Type", "application/xml; charset=utf-8"),
                    ("Content-Length", str(len(answer)))])
                return [answer]
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return app(environ, start_response)

    return wrapped


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--user", action="append", default=[],
                        help="name:password, repeatable")
    parser.add_argument("--no-free-busy", action="store_true")
    args = parser.parse_args()

    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    workdir = tempfile.TemporaryDirectory(prefix="radicale-peer-")
    htpasswd = os.path.join(workdir.name, "users")
    with open(htpasswd, "w", encoding="utf-8") as out:
        for user in args.user:
            name, _, password = user.partition(":")
            out.write(f"{name}:{password}\n")

    configuration = radicale.config.load()
    configuration.update({
        "auth": {
            "type": "htpasswd",
            "htpasswd_filename": htpasswd,
            "htpasswd_encryption": "plain",
            "delay": "0",
            "cache_logins": "False",
        },
        "rights": {"type": "owner_only"},
        "storage": {"filesystem_folder": os.path.join(workdir.name, "collections")},
        "logging": {"level": "warning", "mask_passwords": "True"},
    }, "radicale_peer", privileged=True)
    application = radicale.Application(configuration)
    if args.no_free_busy:
        application = refuse_free_busy(application)

    server = make_server("127.0.0.1", 0, application, threaded=True,
                         ssl_context=(args.cert, args.key))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    print(f"LISTENING {server.server_port}", flush=True)
    try:
        server.serve_forever()
    finally:
        workdir.cleanup()


if __name__ == "__main__":
    main()
