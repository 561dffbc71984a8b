#!/usr/bin/env python3
"""A real OAuth 2.0 authorization server for tests (Authlib on Flask).

Authorization code grant with PKCE S256 required, refresh tokens (rotated
with --rotate-refresh-tokens), RFC 7009 revocation and RFC 7662
introspection, all from Authlib; tokens live in memory. There is no login or
consent page: /authorize consents at once for the user named by the
`login_hint` query parameter (`login_hint=deny` refuses).

Test-only endpoints:
- GET /_admin/landing: echoes its query string as JSON, so a client that
  follows redirects lands there with the code (register it as the redirect
  URI: `{self}` in a --client redirect URI stands for this server's
  `https://localhost:<port>`, e.g. `--client app:s3cret:{self}/_admin/landing`);
- POST /_admin/revoke-user {"sub": ...}: revokes every token of that user;
- GET /_admin/stats: counts of token requests by grant type, revocations (and
  the subs of the tokens they hit) and introspections.

Peer convention: `--cert PEM --key KEY`, TLS on 127.0.0.1 port 0, one line
`LISTENING <port>` on stdout once accepting, logs to stderr.
"""

import argparse
import logging
import secrets
import ssl
import sys
import threading
import time

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError, grants
from authlib.oauth2.rfc6749.models import AuthorizationCodeMixin, ClientMixin, TokenMixin
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

LOCK = threading.Lock()
CLIENTS = {}
CODES = {}
# Every grant's tokens: one record per token response.
TOKENS = []
STATS = {
    "token_requests": {},
    "revocations": 0,
    "revoked_subs": [],
    "introspections": 0,
}
CONFIG = {"access_ttl": 3600, "rotate": False}


class Client(ClientMixin):
    """A registered client: exact-match redirect URIs, secret in the body or
    in Basic; an introspector may only introspect."""

    def __init__(self, client_id, secret, redirect_uris, introspector=False):
        self.client_id = client_id
        self.client_secret = secret
        self.redirect_uris = redirect_uris
        self.introspector = introspector

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope):
        return scope

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(self.client_secret, client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return not self.introspector and response_type == "code"

    def check_grant_type(self, grant_type):
        return not self.introspector and grant_type in (
            "authorization_code",
            "refresh_token",
        )


class Code(AuthorizationCodeMixin):
    def __init__(self, code, client_id, redirect_uri, scope, sub, challenge, method):
        self.code = code
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.scope = scope
        self.sub = sub
        self.code_challenge = challenge
        self.code_challenge_method = method
        self.expires_at = time.time() + 300

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope


class Token:
    """One token response: an access token and maybe a refresh token."""

    def __init__(self, client_id, sub, scope, access_token, refresh_token, expires_in):
        self.client_id = client_id
        self.sub = sub
        self.scope = scope
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.issued_at = int(time.time())
        self.expires_in = expires_in
        self.access_revoked = False
        self.refresh_revoked = False


class TokenView(TokenMixin):
    """A token record seen through one of its two strings."""

    def __init__(self, record, kind):
        self.record = record
        self.kind = kind

    def check_client(self, client):
        return client.get_client_id() == self.record.client_id or getattr(
            client, "introspector", False
        )

    def get_scope(self):
        return self.record.scope

    def get_expires_in(self):
        return self.record.expires_in

    def get_expires_at(self):
        return self.record.issued_at + self.record.expires_in

    def is_expired(self):
        return self.kind == "access_token" and self.get_expires_at() <= time.time()

    def is_revoked(self):
        if self.kind == "access_token":
            return self.record.access_revoked
        return self.record.refresh_revoked

    def get_user(self):
        return self.record.sub

    def get_client(self):
        return CLIENTS.get(self.record.client_id)


def find_token(value, hint=None):
    """The token record holding `value`, searching every type (RFC 7009
    §2.1: the hint only orders the search)."""
    kinds = ["access_token", "refresh_token"]
    if hint == "refresh_token":
        kinds.reverse()
    with LOCK:
        for kind in kinds:
            for record in TOKENS:
                if getattr(record, kind) == value:
                    return TokenView(record, kind)
    return None


def query_client(client_id):
    return CLIENTS.get(client_id)


def save_token(token, req):
    record = Token(
        req.client.get_client_id(),
        req.user,
        token.get("scope", ""),
        token["access_token"],
        token.get("refresh_token"),
        token.get("expires_in", CONFIG["access_ttl"]),
    )
    with LOCK:
        TOKENS.append(record)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code, req):
        with LOCK:
            CODES[code] = Code(
                code,
                req.client.get_client_id(),
                req.payload.redirect_uri,
                req.payload.scope,
                req.user,
                req.payload.data.get("code_challenge"),
                req.payload.data.get("code_challenge_method"),
            )

    def query_authorization_code(self, code, client):
        with LOCK:
            item = CODES.get(code)
        if item and item.client_id == client.get_client_id() and item.expires_at > time.time():
            return item
        return None

    def delete_authorization_code(self, authorization_code):
        with LOCK:
            CODES.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code):
        return authorization_code.sub


class S256Required(CodeChallenge):
    """PKCE required, and only with S256."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge") or data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE with code_challenge_method=S256 is required")
        super().validate_code_challenge(grant, redirect_uri)

    def get_authorization_code_challenge(self, authorization_code):
        return authorization_code.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code):
        return authorization_code.code_challenge_method


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def authenticate_refresh_token(self, refresh_token):
        view = find_token(refresh_token, "refresh_token")
        if view and view.kind == "refresh_token" and not view.is_revoked():
            return view
        return None

    def authenticate_user(self, refresh_token):
        return refresh_token.record.sub

    def issue_token(self, user, refresh_token):
        self.INCLUDE_NEW_REFRESH_TOKEN = CONFIG["rotate"]
        return super().issue_token(user, refresh_token)

    def revoke_old_credential(self, refresh_token):
        with LOCK:
            if CONFIG["rotate"]:
                refresh_token.record.refresh_revoked = True


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string, token_type_hint):
        return find_token(token_string, token_type_hint)

    def revoke_token(self, token, req):
        with LOCK:
            STATS["revoked_subs"].append(token.record.sub)
            if token.kind == "refresh_token":
                # Revoking a refresh token revokes the grant (RFC 7009 §2.1).
                token.record.refresh_revoked = True
                token.record.access_revoked = True
            else:
                token.record.access_revoked = True


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string, token_type_hint):
        return find_token(token_string, token_type_hint)

    def check_permission(self, token, client, req):
        return getattr(client, "introspector", False)

    def introspect_token(self, token):
        record = token.record
        payload = {
            "active": True,
            "scope": record.scope,
            "sub": record.sub,
            "client_id": record.client_id,
            "token_type": "Bearer" if token.kind == "access_token" else "refresh_token",
        }
        if token.kind == "access_token":
            payload["exp"] = token.get_expires_at()
            payload["iat"] = record.issued_at
        return payload


def create_app():
    app = Flask(__name__)
    app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {
        "authorization_code": CONFIG["access_ttl"],
        "refresh_token": CONFIG["access_ttl"],
    }
    app.config["OAUTH2_REFRESH_TOKEN_GENERATOR"] = True
    server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
    server.register_grant(AuthorizationCodeGrant, [S256Required(required=True)])
    server.register_grant(RefreshTokenGrant)
    server.register_endpoint(Revocation)
    server.register_endpoint(Introspection)

    @app.get("/authorize")
    def authorize():
        hint = request.args.get("login_hint")
        user = None if hint in (None, "", "deny") else hint
        try:
            grant = server.get_consent_grant(end_user=user)
        except OAuth2Error as error:
            return server.handle_error_response(None, error)
        return server.create_authorization_response(grant_user=user, grant=grant)

    @app.post("/token")
    def token():
        grant_type = request.form.get("grant_type", "")
        with LOCK:
            counts = STATS["token_requests"]
            counts[grant_type] = counts.get(grant_type, 0) + 1
        return server.create_token_response()

    @app.post("/revoke")
    def revoke():
        with LOCK:
            STATS["revocations"] += 1
        return server.create_endpoint_response(Revocation.ENDPOINT_NAME)

    @app.post("/introspect")
    def introspect():
        with LOCK:
            STATS["introspections"] += 1
        return server.create_endpoint_response(Introspection.ENDPOINT_NAME)

    @app.get("/_admin/landing")
    def landing():
        return jsonify(request.args.to_dict())

    @app.post("/_admin/revoke-user")
    def revoke_user():
        sub = (request.get_json(silent=True) or {}).get("sub")
        revoked = 0
        with LOCK:
            for record in TOKENS:
                if record.sub == sub:
                    record.access_revoked = True
                    record.refresh_revoked = True
                    revoked += 1
        return jsonify({"revoked": revoked})

    @app.get("/_admin/stats")
    def stats():
        with LOCK:
            return jsonify(
                {
                    "token_requests": dict(STATS["token_requests"]),
                    "revocations": STATS["revocations"],
                    "revoked_subs": list(STATS["revoked_subs"]),
                    "introspections": STATS["introspections"],
                }
            )

    return app


def client_arg(text):
    parts = text.split(":", 2)
    if len(parts) != 3 or not all(parts):
        raise argparse.ArgumentTypeError("expected ID:SECRET:REDIRECT_URI")
    return parts


def introspector_arg(text):
    parts = text.split(":", 1)
    if len(parts) != 2 or not all(parts):
        raise argparse.ArgumentTypeError("expected ID:SECRET")
    return parts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--client", action="append", type=client_arg, default=[])
    parser.add_argument("--introspector", action="append", type=introspector_arg, default=[])
    parser.add_argument("--rotate-refresh-tokens", action="store_true")
    parser.add_argument("--access-ttl", type=int, default=3600)
    args = parser.parse_args()

    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    CONFIG["access_ttl"] = args.access_ttl
    CONFIG["rotate"] = args.rotate_refresh_tokens
    for client_id, secret, redirect_uri in args.client:
        existing = CLIENTS.get(client_id)
        if existing:
            existing.redirect_uris.append(redirect_uri)
        else:
            CLIENTS[client_id] = Client(client_id, secret, [redirect_uri])
    for client_id, secret in args.introspector:
        CLIENTS[client_id] = Client(client_id, secret, [], introspector=True)

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server = make_server("127.0.0.1", 0, create_app(), threaded=True, ssl_context=context)
    # `{self}` in a redirect URI is this server's own origin, known only now:
    # tests register `{self}/_admin/landing`.
    origin = f"https://localhost:{server.server_port}"
    for client in CLIENTS.values():
        client.redirect_uris = [uri.replace("{self}", origin) for uri in client.redirect_uris]
    print(f"LISTENING {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
