"""moto behind a one-request-at-a-time lock, for Bookwarden's local stack.

moto's threaded server does not make TransactWriteItems atomic under concurrent
requests; serialising every request makes it behave like one DynamoDB endpoint.

Usage: moto_serial.py PORT   (0 picks a free port)
Prints "listening <port>" once ready. Exits when its stdin closes, so the
process that started it cannot leave it behind, however that process ends.
"""

import logging
import os
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server


class Serialised:
    """WSGI middleware: one request inside moto at a time, body included."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
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
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server("127.0.0.1", port, Serialised(app), threaded=True)
    threading.Thread(target=exit_when_parent_goes, args=(sys.stdin,), daemon=True).start()
    print(f"listening {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
