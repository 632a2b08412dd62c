"""OIDC sign-in against a stub identity provider on 127.0.0.1: the whole redirect dance with
requests.Session, then the wall answers; a wrong issuer, audience or signature is refused;
sign-out forgets the session here and at the IdP when it offers an end_session_endpoint."""

import secrets

import pytest
import requests
from joserfc.jwk import RSAKey

from socwall.dashboard.app import create_app
from socwall.dashboard.clock import Clock
from socwall.dashboard.config import parse_config
from tests.conftest import events_config
from tests.dash_requests import panel_poll_body
from tests.oidc_idp import CLIENT_ID, CLIENT_SECRET, StubIdP, serve

HTML = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture(params=[False], ids=["no end_session"])
def idp(request):
    stub = StubIdP(end_session=request.param)
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
            elif path in ("/oidc/logout", "/oidc/signed-out"):  # nothing to hide, no session
                assert answer.status_code == 200 and b"You are signed out" in answer.data
            elif path == "/oidc/login":  # the sign-in itself: off to the identity provider
                assert answer.headers["Location"].startswith(f"{idp.url}/authorize?")
            elif headers and method == "GET" and not path.startswith("/_dash-") and path != "/oidc/callback":
                assert answer.status_code == 302, path
                assert answer.headers["Location"].startswith("/oidc/login?next="), path
            else:
                assert answer.status_code == 401, (path, headers)
                assert b"figure" not in answer.data and b"store" not in answer.data


def signed_in(wall: str) -> requests.Session:
    browser = requests.Session()
    assert browser.get(f"{wall}/", headers=HTML).status_code == 200
    assert browser.get(f"{wall}/_dash-layout").status_code == 200
    return browser


def test_sign_out_forgets_the_session_without_an_end_session_endpoint(idp, wall):
    browser = signed_in(wall)
    page = browser.get(f"{wall}/oidc/logout", headers=HTML)
    assert page.status_code == 200 and not page.history and "You are signed out" in page.text
    assert browser.get(f"{wall}/_dash-layout").status_code == 401
    assert idp.end_session_requests == []


@pytest.mark.parametrize("idp", [True], ids=["end_session"], indirect=True)
def test_sign_out_ends_the_idp_session_too_and_comes_back_to_the_wall(idp, wall):
    browser = signed_in(wall)
    page = browser.get(f"{wall}/oidc/logout", headers=HTML)
    assert page.history[0].headers["Location"].startswith(f"{idp.url}/end-session?")
    assert idp.end_session_requests == [
        {"client_id": CLIENT_ID, "post_logout_redirect_uri": f"{wall}/oidc/signed-out"}
    ]
    assert page.url == f"{wall}/oidc/signed-out" and "You are signed out" in page.text
    assert browser.get(f"{wall}/_dash-layout").status_code == 401
