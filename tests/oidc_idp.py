"""A stub OpenID Connect identity provider on 127.0.0.1 for the sign-in tests (requests and
Chromium): discovery, an authorization endpoint that signs everyone in at once, a token
endpoint that checks the client secret and answers an RS256 ID token, its JWKS, and optionally
an end-session endpoint."""

import base64
import secrets
import threading
import time
from urllib.parse import urlencode

from flask import Flask, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

CLIENT_ID, CLIENT_SECRET = "socwall-wall", "client-secret-from-the-idp"
def serve(app) -> tuple[str, object]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


class StubIdP:
    """Discovery, /authorize (redirects back with a code), /token (an RS256 id_token), /jwks and,
    when asked for, /end-session (RP-initiated logout)."""

    def __init__(self, end_session: bool = False):
        self.key = RSAKey.generate_key(2048, parameters={"kid": "idp-key"})
        self.signing_key = self.key  # a test swaps it to sign with a key the JWKS does not have
        self.claims_override: dict = {}
        self.codes: dict[str, dict] = {}
        self.token_requests: list[str] = []
        self.authorize_requests = 0
        self.end_session_requests: list[dict] = []
        self.end_session = end_session
        app = Flask("stub-idp")
        app.add_url_rule("/.well-known/openid-configuration", "discovery", self.discovery)
        app.add_url_rule("/authorize", "authorize", self.authorize)
        app.add_url_rule("/token", "token", self.token, methods=["POST"])
        app.add_url_rule("/end-session", "end_session", self.end_session_endpoint)
        app.add_url_rule("/jwks", "jwks", self.jwks)
        self.url, self.server = serve(app)

    def discovery(self):
        return jsonify({
            "issuer": self.url, "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token", "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            **({"end_session_endpoint": f"{self.url}/end-session"} if self.end_session else {}),
        })  # fmt: skip

    def jwks(self):
        return jsonify({"keys": [self.key.as_dict(private=False)]})

    def end_session_endpoint(self):
        self.end_session_requests.append(dict(request.args))
        return redirect(request.args["post_logout_redirect_uri"])

    def authorize(self):
        assert request.args["client_id"] == CLIENT_ID and request.args["response_type"] == "code"
        self.authorize_requests += 1
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"nonce": request.args.get("nonce")}
        back = {"code": code, "state": request.args["state"]}
        return redirect(f"{request.args['redirect_uri']}?{urlencode(back)}")

    def token(self):
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        self.token_requests.append(request.headers.get("Authorization", ""))
        if request.headers.get("Authorization") != f"Basic {expected}":
            return jsonify({"error": "invalid_client"}), 401
        grant = self.codes.pop(request.form["code"])
        now = int(time.time())
        claims = {"iss": self.url, "sub": "u-123", "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                  "nonce": grant["nonce"], "preferred_username": "alice"}  # fmt: skip
        claims.update(self.claims_override)
        id_token = jwt.encode({"alg": "RS256", "kid": "idp-key"}, claims, self.signing_key)
        return jsonify({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                        "expires_in": 300, "id_token": id_token})  # fmt: skip
