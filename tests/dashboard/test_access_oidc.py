"""OIDC sign-in against a stub identity provider on 127.0.0.1: the whole redirect dance with
requests.Session, then the wall answers; a wrong issuer, audience or signature is refused."""

import base64
import secrets
import threading
import time
from urllib.parse import urlencode

import pytest
import requests
from flask import Flask, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import RSAKey
from socwall.dashboard.app import create_app
from socwall.dashboard.clock import Clock
from socwall.dashboard.config import parse_config
from werkzeug.serving import make_server

from tests.conftest import events_config
from tests.dash_requests import panel_poll_body

CLIENT_ID, CLIENT_SECRET = "socwall-wall", "client-secret-from-the-idp"
HTML = {"Accept": "text/html,application/xhtml+xml"}


def serve(app) -> tuple[str, object]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


class StubIdP:
    """Discovery, /authorize (redirects back with a code), /token (an RS256 id_token), /jwks."""

    def __init__(self):
        self.key = RSAKey.generate_key(2048, parameters={"kid": "idp-key"})
        self.signing_key = self.key  # a test swaps it to sign with a key the JWKS does not have
        self.claims_override: dict = {}
        self.codes: dict[str, dict] = {}
        self.token_requests: list[str] = []
        app = Flask("stub-idp")
        app.add_url_rule("/.well-known/openid-configuration", "discovery", self.discovery)
        app.add_url_rule("/authorize", "authorize", self.authorize)
        app.add_url_rule("/token", "token", self.token, methods=["POST"])
        app.add_url_rule("/jwks", "jwks", lambda: jsonify({"keys": [self.key.as_dict(private=False)]}))
        self.url, self.server = serve(app)

    def discovery(self):
        return jsonify({
            "issuer": self.url, "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token", "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        })  # fmt: skip

    def authorize(self):
        assert request.args["client_id"] == CLIENT_ID and request.args["response_type"] == "code"
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"nonce": request.args.get("nonce"), "redirect": request.args["redirect_uri"]}
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
                  "nonce": grant["nonce"], "preferred_username": "alice", **self.claims_override}  # fmt: skip
        id_token = jwt.encode({"alg": "RS256", "kid": "idp-key"}, claims, self.signing_key)
        return jsonify({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                        "expires_in": 300, "id_token": id_token})  # fmt: skip


@pytest.fixture
def idp():
    stub = StubIdP()
    yield stub
    stub.server.shutdown()


@pytest.fixture
def wall(idp, tmp_path, redis_url, prefix, store):
    raw = events_config(tmp_path, redis_url, prefix)
    raw["access"] = {"auth": "oidc", "oidc": {
        "issuer": idp.url, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "scopes": ["openid", "profile"], "session_secret": secrets.token_hex(32)}}  # fmt: skip
    url, server = serve(create_app(parse_config(raw), store, Clock()).server)
    yield url
    server.shutdown()


def test_sign_in_dance_then_the_wall_answers(idp, wall):
    browser = requests.Session()
    assert browser.get(f"{wall}/_dash-layout").status_code == 401
    page = browser.get(f"{wall}/second", headers=HTML)
    hops = [r.headers["Location"] for r in page.history]
    assert hops[0] == "/oidc/login?next=%2Fsecond"
    assert hops[1].startswith(f"{idp.url}/authorize?") and "nonce=" in hops[1]
    assert hops[2].startswith(f"{wall}/oidc/callback?code=")
    assert hops[3] == "/second" and page.status_code == 200 and "_dash-renderer" in page.text
    assert idp.token_requests and idp.codes == {}
    assert browser.get(f"{wall}/_dash-layout").status_code == 200
    poll = browser.post(f"{wall}/_dash-update-component", json=panel_poll_body("failed", None))
    assert poll.status_code == 200 and "waiting for first data" in poll.text
    assert "store" in browser.get(f"{wall}/healthz").json()
    assert requests.get(f"{wall}/_dash-layout").status_code == 401  # another browser, no session


@pytest.mark.parametrize("case", ["wrong issuer", "wrong audience", "bad signature", "wrong nonce"])
def test_a_token_that_does_not_check_out_is_refused(idp, wall, case):
    if case == "bad signature":
        idp.signing_key = RSAKey.generate_key(2048, parameters={"kid": "idp-key"})
    else:
        idp.claims_override = {"wrong issuer": {"iss": "https://evil.example/"},
                               "wrong audience": {"aud": "another-client"},
                               "wrong nonce": {"nonce": "replayed"}}[case]  # fmt: skip
    browser = requests.Session()
    page = browser.get(f"{wall}/", headers=HTML)
    assert idp.token_requests, "the dance reached the token endpoint"
    assert page.status_code == 401 and "Sign-in failed" in page.text
    assert browser.get(f"{wall}/_dash-layout").status_code == 401
    assert browser.get(f"{wall}/", headers=HTML).history[0].headers["Location"].startswith("/oidc/login")


def test_callback_without_a_started_sign_in_is_refused_and_next_stays_local(idp, wall):
    browser = requests.Session()
    assert browser.get(f"{wall}/oidc/callback?code=x&state=y").status_code == 401
    page = browser.get(f"{wall}/oidc/login?next=//evil.example/", allow_redirects=True)
    assert page.url.startswith(wall) and page.history[-1].headers["Location"] == "/"


def test_every_route_but_livez_and_sign_in_refuses_or_redirects_without_a_session(idp, tmp_path, redis_url, prefix, store):
    from tests.dashboard.test_access import every_route

    raw = events_config(tmp_path, redis_url, prefix)
    raw["access"] = {"auth": "oidc", "oidc": {"issuer": idp.url, "client_id": CLIENT_ID,
                     "client_secret": CLIENT_SECRET, "session_secret": "s" * 32}}  # fmt: skip
    app = create_app(parse_config(raw), store, Clock())
    client = app.server.test_client()
    routes = every_route(app)
    assert ("GET", "/oidc/callback") in routes and ("GET", "/metrics") in routes
    for method, path in routes:
        for headers in ({}, HTML):
            answer = client.open(path, method=method, headers=headers,
                                 json=panel_poll_body("failed", None) if method == "POST" else None)  # fmt: skip
            if path == "/livez":
                assert answer.status_code == 200
            elif path == "/healthz":
                assert set(answer.get_json()) == {"status"}
            elif path == "/oidc/login":  # the sign-in itself: off to the identity provider
                assert answer.headers["Location"].startswith(f"{idp.url}/authorize?")
            elif headers and method == "GET" and not path.startswith("/_dash-") and path != "/oidc/callback":
                assert answer.status_code == 302, path
                assert answer.headers["Location"].startswith("/oidc/login?next="), path
            else:
                assert answer.status_code == 401, (path, headers)
                assert b"figure" not in answer.data and b"store" not in answer.data
