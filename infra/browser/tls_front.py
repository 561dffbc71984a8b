#!/usr/bin/env python3
"""A local TLS front for the HTTP Observatory scan: HTTPS on port 443 that
forwards every request to the local gateway, and plain HTTP on port 80 that
answers 301 to the same path over HTTPS, as CloudFront does for the deployed
pages. Loopback only.

    tls_front.py --upstream http://127.0.0.1:<port> --certs <dir> [--lifetime 300]

It makes a throwaway certificate authority and a certificate for `localhost`
(and 127.0.0.1, ::1) with the openssl command line in <dir>; a client trusts
it through <dir>/ca.pem (Node: NODE_EXTRA_CA_CERTS). It prints `ready` once
both ports listen and stops by itself after --lifetime seconds.
"""

import argparse
import http.client
import socket
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

# Hop-by-hop headers (RFC 9110 7.6.1) are the front's own business.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}
MAX_BODY = 1 << 20


def make_certificates(directory, host):
    """A CA and a server certificate for `host` signed by it, EC P-256,
    valid two days. Returns (ca, cert, key) paths."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, cert = (d / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem"))
    ext = d / "server.ext"
    ext.write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\n"
        f"subjectAltName=DNS:{host},IP:127.0.0.1,IP:::1\n",
        encoding="ascii",
    )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    steps = [
        ["openssl", "req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2",
         "-subj", "/CN=Bookwarden local test CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ["openssl", "req", *ec, "-keyout", key, "-out", csr, "-subj", f"/CN={host}"],
        ["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
         "-out", cert, "-days", "2", "-extfile", ext],
    ]
    for step in steps:
        subprocess.run([str(a) for a in step], check=True, capture_output=True)
    return ca, cert, key


class DualStackServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def bind(handler, port, families):
    """Servers on 127.0.0.1 and, where the machine has it, ::1."""
    servers = []
    for family, address in families:
        try:
            server_class = type("Server", (DualStackServer,), {"address_family": family})
            servers.append(server_class((address, port), handler))
        except OSError as error:
            if family == socket.AF_INET:
                raise SystemExit(
                    f"tls_front: cannot listen on {address}:{port} ({error}); "
                    "ports 80 and 443 need root (or CAP_NET_BIND_SERVICE) and must be free"
                ) from error
    return servers


def proxy_handler(upstream):
    target = urlsplit(upstream)

    class Proxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def forward(self):
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY:
                self.send_error(413)
                return
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
            except OSError as error:
                self.send_error(502, f"upstream: {error}")
                return
            finally:
                connection.close()
            self.send_response_only(response.status, response.reason)
            for name, value in response.getheaders():
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = forward

        def log_message(self, fmt, *args):
            sys.stderr.write("tls_front https: " + (fmt % args) + "\n")

    return Proxy


def redirect_handler(host):
    class Redirect(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def redirect(self):
            self.send_response_only(301)
            self.send_header("Location", f"https://{host}{self.path}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = redirect

        def log_message(self, fmt, *args):
            sys.stderr.write("tls_front http: " + (fmt % args) + "\n")

    return Redirect


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", required=True, help="the gateway, http://127.0.0.1:<port>")
    parser.add_argument("--certs", required=True, help="directory for the CA and certificate")
    parser.add_argument("--host", default="localhost", help="the name the certificate is for")
    parser.add_argument("--https-port", type=int, default=443)
    parser.add_argument("--http-port", type=int, default=80)
    parser.add_argument("--lifetime", type=float, default=300, help="seconds until it stops")
    args = parser.parse_args(argv)
    upstream = urlsplit(args.upstream)
    if upstream.hostname not in ("127.0.0.1", "::1", "localhost"):
        parser.error("the upstream must be on this machine")

    _, cert, key = make_certificates(args.certs, args.host)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)

    families = [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")]
    secure = bind(proxy_handler(args.upstream), args.https_port, families)
    for server in secure:
        server.socket = context.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False
        )
    plain = bind(redirect_handler(args.host), args.http_port, families)
    for server in secure + plain:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"ready https://{args.host}:{args.https_port} http://{args.host}:{args.http_port}", flush=True)
    threading.Event().wait(args.lifetime)
    for server in secure + plain:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
