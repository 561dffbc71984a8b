#!/usr/bin/env python3
"""An ICS feed server for the calendar tests, with the misbehaviours feed
clients meet in the wild. Werkzeug's threaded TLS server on 127.0.0.1, port
chosen by the OS.

    feed_server.py --cert PEM --key KEY

Feeds are stored through an admin call and then served by name:

- ``PUT /admin/feeds/<name>?content_type=..&etag=..&last_modified=..`` stores
  the request body as feed <name> (content type defaults to text/calendar;
  without etag/last_modified the feed sends no validator).
- ``GET /feeds/<name>`` serves it, answering 304 to a matching
  ``If-None-Match`` or an ``If-Modified-Since`` equal to its Last-Modified.
  ``GET /admin/hits/<name>`` tells how many full (200) bodies were sent.
- ``GET /redirect/<n>/<name>``: a chain of n redirects to itself, then the
  feed. ``GET /redirect-to?location=URL``: one redirect to any URL (refused
  addresses, http://).
- ``GET /status/<code>``: that status with a short body.
- ``GET /slow?seconds=S``: waits S seconds before answering.
- ``GET /big?bytes=N[&chunked=1]``: a calendar-looking body of N bytes, with
  a Content-Length unless chunked.
- ``GET /html``: a login page as text/html with status 200.

Prints exactly one line ``LISTENING <port>`` to stdout once it accepts
connections; everything else goes to stderr.
"""

import argparse
import logging
import sys
import threading
import time

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

FEEDS = {}
HITS = {}
LOCK = threading.Lock()


def serve_feed(request, name):
    with LOCK:
        feed = FEEDS.get(name)
    if feed is None:
        return Response("no such feed", status=404)
    etag = feed.get("etag")
    last_modified = feed.get("last_modified")
    if etag and request.headers.get("If-None-Match") == etag:
        return Response(status=304, headers={"ETag": etag})
    if (last_modified and not request.headers.get("If-None-Match")
            and request.headers.get("If-Modified-Since") == last_modified):
        return Response(status=304, headers={"Last-Modified": last_modified})
    headers = {}
    if etag:
        headers["ETag"] = etag
    if last_modified:
        headers["Last-Modified"] = last_modified
    with LOCK:
        HITS[name] = HITS.get(name, 0) + 1
    return Response(feed["body"], status=200, headers=headers,
                    content_type=feed["content_type"])


def big(request):
    size = int(request.args.get("bytes", "0"))
    head = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-PAD:"

    def generate():
        sent = 0
        yield head
        sent += len(head)
        while sent < size:
            chunk = b"x" * min(65536, size - sent)
            sent += len(chunk)
            yield chunk

    if request.args.get("chunked"):
        return Response(generate(), content_type="text/calendar")
    body = b"".join(generate())
    return Response(body, content_type="text/calendar")


def application(environ, start_response):
    request = Request(environ)
    parts = [part for part in request.path.split("/") if part]
    response = Response("not found", status=404)
    if request.method == "PUT" and len(parts) == 3 and parts[:2] == ["admin", "feeds"]:
        with LOCK:
            FEEDS[parts[2]] = {
                "body": request.get_data(),
                "content_type": request.args.get("content_type", "text/calendar"),
                "etag": request.args.get("etag"),
                "last_modified": request.args.get("last_modified"),
            }
        response = Response(status=204)
    elif len(parts) == 3 and parts[:2] == ["admin", "hits"]:
        with LOCK:
            response = Response(str(HITS.get(parts[2], 0)), content_type="text/plain")
    elif len(parts) == 2 and parts[0] == "feeds":
        response = serve_feed(request, parts[1])
    elif len(parts) == 3 and parts[0] == "redirect":
        left = int(parts[1])
        location = (f"/redirect/{left - 1}/{parts[2]}" if left > 0
                    else f"/feeds/{parts[2]}")
        response = Response(status=302, headers={"Location": location})
    elif parts == ["redirect-to"]:
        response = Response(status=302,
                            headers={"Location": request.args.get("location", "/")})
    elif len(parts) == 2 and parts[0] == "status":
        response = Response(f"status {parts[1]}", status=int(parts[1]),
                            content_type="text/plain")
        if parts[1] in ("429", "503"):
            response.headers["Retry-After"] = "120"
    elif parts == ["slow"]:
        time.sleep(float(request.args.get("seconds", "5")))
        response = Response("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
                            content_type="text/calendar")
    elif parts == ["big"]:
        response = big(request)
    elif parts == ["html"]:
        response = Response("<!doctype html><title>Sign in</title><form></form>",
                            content_type="text/html")
    return response(environ, start_response)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args()
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, application, threaded=True,
                         ssl_context=(args.cert, args.key))
    print(f"LISTENING {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
