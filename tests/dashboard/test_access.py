"""Access: with auth on, every route the app registers refuses callers without credentials."""

import base64
import logging
import threading
import time
from datetime import timedelta

import pytest
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from socwall.dashboard.access_basic import FailedSignIns, _pair_id
from socwall.dashboard.app import create_app
from socwall.dashboard.clock import Clock
from socwall.dashboard.config import ConfigError, StoreConfig, parse_config
from socwall.dashboard.screens import COOKIE
from socwall.dashboard.store import Store, connect
from tests.conftest import events_config, free_port
from tests.dash_requests import panel_poll_body

TOKEN = "lobby-token-0123456789abcdef"
PASSWORD = "correct horse battery"
PROBE_TOKEN = "probe-token-for-prometheus-0123456789abcdef"
SAMPLES = {"path": "main", "filename": "wall.css", "package_name": "dash",
           "fingerprinted_path": "dash-renderer/build/dash_renderer.min.js"}  # fmt: skip


def raw_config(tmp_path, redis_url, prefix, access=None, token=TOKEN) -> dict:
    raw = events_config(tmp_path, redis_url, prefix)
    raw["access"] = access or {"auth": "none"}
    raw["screens"] = {"lobby": {"pages": ["second"], "rotate": "30s", "token": token}}
    return raw


def basic_access() -> dict:
    return {"auth": "basic", "basic": {"users": {"alice": generate_password_hash(PASSWORD)}}}


def basic_header(user="alice", password=PASSWORD) -> dict:
    pair = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


@pytest.fixture
def basic_app(tmp_path, redis_url, prefix, store):
    config = parse_config(raw_config(tmp_path, redis_url, prefix, basic_access()))
    return create_app(config, store, Clock())


def every_route(app) -> list[tuple[str, str]]:
    """(method, path) for every rule the app registers, converters filled with sample values."""
    adapter, routes = app.server.url_map.bind("localhost"), []
    for rule in app.server.url_map.iter_rules():
        path = adapter.build(rule.endpoint, {name: SAMPLES[name] for name in rule.arguments})
        method = "POST" if "POST" in rule.methods else "GET"
        routes.append((method, path))
    return routes


PROXY = {"auth": "proxy_header", "proxy_header": {"trusted_proxies": ["10.9.0.0/16"]}}
SIGN_INS = {  # mode: (access config, environ of a caller without and with credentials)
    "basic": (basic_access, {}, {"HTTP_AUTHORIZATION": basic_header()["Authorization"]}),
    "proxy_header": (lambda: PROXY, {"REMOTE_ADDR": "10.8.0.1", "HTTP_X_FORWARDED_USER": "eve"},
                     {"REMOTE_ADDR": "10.9.0.7", "HTTP_X_FORWARDED_USER": "alice"}),
}  # fmt: skip


@pytest.mark.parametrize("mode", SIGN_INS)
def test_every_route_but_livez_refuses_without_credentials_and_answers_with_them(mode, tmp_path, redis_url, prefix, store):
    access, anonymous_env, signed_in_env = SIGN_INS[mode]
    app = create_app(parse_config(raw_config(tmp_path, redis_url, prefix, access())), store, Clock())
    client = app.server.test_client()
    routes = every_route(app)
    assert len(routes) >= 13 and ("POST", "/_dash-update-component") in routes
    for method, path in routes:
        body = panel_poll_body("failed", None) if method == "POST" else None
        anonymous = client.open(path, method=method, json=body, environ_base=anonymous_env)
        if path == "/livez":
            assert anonymous.status_code == 200
        elif path == "/healthz":  # the only other answer: ok/degraded/down and nothing else
            assert set(anonymous.get_json()) == {"status"}, anonymous.data
        else:
            assert anonymous.status_code == 401, (path, anonymous.status_code)
            assert b"figure" not in anonymous.data and b"store" not in anonymous.data
            if mode == "basic":
                assert anonymous.headers["WWW-Authenticate"].startswith("Basic")
        signed_in = client.open(path, method=method, json=body, environ_base=signed_in_env)
        if path not in ("/_reload-hash", "/static/wall.css"):  # debug-only, Flask's unused dir
            assert signed_in.status_code in (200, 204), (path, signed_in.status_code)
    assert "store" in client.get("/healthz", environ_base=signed_in_env).get_json()


def test_a_wrong_password_or_unknown_user_is_refused(basic_app):
    client = basic_app.server.test_client()
    for user, password in (("alice", "x"), ("mallory", PASSWORD), ("alice", PASSWORD + " ")):
        assert client.get("/_dash-layout", headers=basic_header(user, password)).status_code == 401
    assert client.get("/_dash-layout", headers=basic_header()).status_code == 200
    assert client.get("/_dash-layout", headers=basic_header()).status_code == 200  # remembered
    assert client.get("/_dash-layout", headers=basic_header(password="y")).status_code == 401


def test_guessing_locks_the_pair_out_but_never_the_signed_in_browser(tmp_path, redis_url, prefix, store):
    access = basic_access()
    access["basic"].update(max_failures=3, lockout="5m")
    app = create_app(parse_config(raw_config(tmp_path, redis_url, prefix, access)), store, Clock())
    browser, guesser, newcomer = (app.server.test_client() for _ in range(3))  # own cookie jars
    attacker, colleague = {"REMOTE_ADDR": "10.1.1.66"}, {"REMOTE_ADDR": "10.1.1.7"}

    def status(client, environ, user="alice", password=PASSWORD):
        return client.get("/_dash-layout", headers=basic_header(user, password),
                          environ_base=environ)  # fmt: skip

    assert status(browser, attacker).status_code == 200  # alice, behind the attacker's NAT
    guesses = [status(guesser, attacker, password=f"guess{n}").status_code for n in range(3)]
    assert guesses == [401, 401, 429]  # the third wrong password is the last one checked
    locked = status(newcomer, attacker)  # the right password, without a session: locked out
    assert locked.status_code == 429 and b"Too many wrong passwords" in locked.data
    assert 290 <= int(locked.headers["Retry-After"]) <= 300
    assert [status(browser, attacker).status_code for _ in range(5)] == [200] * 5  # signed in
    assert status(guesser, attacker).status_code == 429  # remembered in this process: no matter
    assert status(newcomer, colleague).status_code == 200  # the same user from another address
    assert status(guesser, attacker, user="bob", password="x").status_code == 401  # counted apart


def test_a_lockout_counts_the_failures_of_every_serve_worker(tmp_path, redis_url, prefix, store):
    access = basic_access()
    access["basic"].update(max_failures=3, lockout="5m")
    config = parse_config(raw_config(tmp_path, redis_url, prefix, access))
    workers = [create_app(config, store, Clock()).server.test_client() for _ in range(2)]
    attacker = {"REMOTE_ADDR": "10.1.1.66"}

    def status(worker, password):
        return worker.get("/_dash-layout", headers=basic_header("alice", password),
                          environ_base=attacker).status_code  # fmt: skip

    guesses = [status(workers[n % 2], f"guess{n}") for n in range(3)]
    assert guesses == [401, 401, 429]  # two guesses in one worker, one in the other: locked
    assert [status(worker, PASSWORD) for worker in workers] == [429, 429]
    keys = list(store.redis.scan_iter(f"{prefix}:signin-failures:*"))
    assert len(keys) == 1 and "alice" not in keys[0] and "10.1.1.66" not in keys[0]
    assert 290 <= store.redis.ttl(keys[0]) <= 300


def test_with_the_store_down_failures_are_counted_in_memory(tmp_path, redis_url, prefix, caplog):
    access = basic_access()
    access["basic"].update(max_failures=2, lockout="5m")
    config = parse_config(raw_config(tmp_path, redis_url, prefix, access))
    dead = Store(connect(StoreConfig(url=f"redis://127.0.0.1:{free_port()}/0", timeout="1s")), "x")
    app = create_app(config, dead, Clock())
    statuses = [app.server.test_client().get("/_dash-layout", headers=basic_header(password=password)).status_code
                for password in (PASSWORD, "guess1", "guess2", PASSWORD)]  # fmt: skip
    assert statuses == [200, 401, 429, 429]  # signing in works; guessing is still throttled
    assert "wrong passwords counted in memory until the store answers again" in caplog.text


def test_failed_sign_ins_leave_the_window_and_stay_bounded(store):
    now = [1000.0]
    failed = FailedSignIns(store, limit=2, window=timedelta(seconds=60), clock=lambda: now[0])
    pair = ("10.0.0.1", "alice")
    failed.failed(pair)
    now[0] += 30
    assert failed.retry_after(pair) == 0
    failed.failed(pair)
    assert failed.retry_after(pair) == 30  # the first failure leaves the window in 30 s
    assert FailedSignIns(store, 2, timedelta(seconds=60), lambda: now[0]).retry_after(pair) == 30
    now[0] += 30.5
    assert failed.retry_after(pair) == 0
    for _ in range(5):
        failed.failed(pair)
    assert len(store.redis.zrange(store.keys.sign_in_failures(_pair_id(pair)), 0, -1)) == 2


def test_failures_counted_in_memory_stay_bounded():
    dead = Store(connect(StoreConfig(url=f"redis://127.0.0.1:{free_port()}/0", timeout="1s")), "x")
    failed = FailedSignIns(dead, limit=2, window=timedelta(seconds=60))
    pairs = [(f"10.{n // 65536}.{n // 256 % 256}.{n % 256}", "x") for n in range(failed.TRACKED)]
    failed.in_memory = {pair: [time.time()] for pair in pairs}
    failed.failed(("10.255.0.1", "x"))
    assert len(failed.in_memory) == FailedSignIns.TRACKED  # the oldest pair made room
    assert pairs[0] not in failed.in_memory and ("10.255.0.1", "x") in failed.in_memory


def test_probe_token_opens_metrics_readyz_and_healthz_details_and_nothing_else(tmp_path, redis_url, prefix, store):
    access = {**basic_access(), "probe_token": PROBE_TOKEN}
    app = create_app(parse_config(raw_config(tmp_path, redis_url, prefix, access)), store, Clock())
    client = app.server.test_client()
    bearer = {"Authorization": f"Bearer {PROBE_TOKEN}"}
    assert client.get("/metrics", headers=bearer).status_code == 200
    assert b"socwall_" in client.get("/metrics", headers=bearer).data
    assert client.get("/readyz", headers=bearer).status_code in (200, 503)
    assert "store" in client.get("/healthz", headers=bearer).get_json()
    for path in ("/", "/main", "/_dash-layout", "/_dash-dependencies", "/assets/wall.css"):
        assert client.get(path, headers=bearer).status_code == 401, path
    wrong = {"Authorization": f"Bearer {PROBE_TOKEN[:-1]}x"}
    assert client.get("/metrics", headers=wrong).status_code == 401
    assert client.get("/metrics").status_code == 401
    assert set(client.get("/healthz", headers=wrong).get_json()) == {"status"}


@pytest.mark.parametrize("mode,other", [("none", "basic"), ("proxy_header", "basic"), ("basic", "proxy_header")])
def test_a_sign_in_section_that_auth_does_not_use_is_an_error_not_an_open_wall(tmp_path, redis_url, prefix, mode, other):
    sections = {"basic": basic_access()["basic"], "proxy_header": PROXY["proxy_header"]}
    access = {"auth": mode, other: sections[other]}
    if mode != "none":
        access[mode] = sections[mode]
    with pytest.raises(ConfigError, match=f"access.{other}: set, but access.auth is {mode}"):
        parse_config(raw_config(tmp_path, redis_url, prefix, access))


def test_probe_token_must_be_long(tmp_path, redis_url, prefix):
    raw = raw_config(tmp_path, redis_url, prefix, {**basic_access(), "probe_token": "short"})
    with pytest.raises(ConfigError, match="access.probe_token: .*at least 32 characters"):
        parse_config(raw)


def test_unknown_paths_and_options_requests_are_refused_too(basic_app):
    client = basic_app.server.test_client()
    assert client.get("/no/such/thing/at/all").status_code == 401
    assert client.options("/_dash-update-component").status_code == 401


SHOW_PAGE = [("page", "children"), ("page-title", "children"), ("page-nav", "children"),
             ("wall", "className"), ("rotate", "disabled"), ("rotate", "interval")]  # fmt: skip


def show_page_body(pathname: str) -> dict:
    """The routing callback's request, as the browser sends it for a URL path."""
    return {
        "output": ".." + "...".join(f"{i}.{p}" for i, p in SHOW_PAGE) + "..",
        "outputs": [{"id": i, "property": p} for i, p in SHOW_PAGE],
        "inputs": [{"id": "url", "property": "pathname", "value": pathname},
                   {"id": "url", "property": "search", "value": ""}],
    }  # fmt: skip


def open_screen(client, token=TOKEN):
    return client.get(f"/screen/lobby?token={token}")


def test_screen_token_becomes_a_strict_http_only_cookie_and_leaves_the_url(basic_app):
    client = basic_app.server.test_client()
    first = open_screen(client)
    assert first.status_code == 303 and first.headers["Location"] == "/screen/lobby"
    cookie = first.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and TOKEN not in cookie
    assert client.get("/screen/lobby").status_code == 200
    assert client.get("/_dash-layout").status_code == 200
    assert client.get("/_dash-dependencies").status_code == 200
    assert client.post("/_dash-update-component", json=panel_poll_body("failed24", None)).status_code == 200


def test_screen_session_gets_403_for_panels_pages_and_endpoints_not_its_own(basic_app):
    client = basic_app.server.test_client()
    open_screen(client)
    assert client.post("/_dash-update-component", json=panel_poll_body("failed", None)).status_code == 403
    for path in ("/", "/main", "/metrics", "/readyz"):
        assert client.get(path).status_code == 403, path
    assert set(client.get("/healthz").get_json()) == {"status"}
    for path in ("/main", "/", "/screen/other", "/screen/lobbyx"):
        assert client.post("/_dash-update-component", json=show_page_body(path)).status_code == 403
    own = client.post("/_dash-update-component", json=show_page_body("/screen/lobby"))
    assert own.status_code == 200 and "Failed logins 24h" in own.get_data(as_text=True)


def test_screen_shows_only_its_pages_as_a_kiosk(tmp_path, redis_url, prefix, store):
    raw = raw_config(tmp_path, redis_url, prefix)
    raw["screens"]["lobby"]["pages"] = ["second", "main"]
    client = create_app(parse_config(raw), store, Clock()).server.test_client()
    open_screen(client)
    body = show_page_body("/screen/lobby")
    shown = client.post("/_dash-update-component", json=body).get_json()["response"]
    assert shown["page-title"]["children"] == "Second"
    assert shown["wall"]["className"] == "wall kiosk burn-in" and shown["page-nav"]["children"] == []
    assert shown["rotate"] == {"disabled": False, "interval": 30_000}
    turn = {"output": "url.pathname", "outputs": {"id": "url", "property": "pathname"},
            "inputs": [{"id": "rotate", "property": "n_intervals", "value": 1}],
            "state": [{"id": "url", "property": "pathname", "value": "/screen/lobby/second"}]}  # fmt: skip
    nxt = client.post("/_dash-update-component", json=turn).get_json()["response"]
    assert nxt["url"]["pathname"] == "/screen/lobby/main"


def test_screen_without_or_with_a_wrong_token_is_refused_with_a_reason(basic_app):
    client = basic_app.server.test_client()
    missing = client.get("/screen/lobby")
    assert missing.status_code == 401 and b"needs its token" in missing.data
    wrong = open_screen(client, "x" * 30)
    assert wrong.status_code == 403 and b"wrong or was revoked" in wrong.data
    assert "Set-Cookie" not in wrong.headers
    assert client.get("/screen/elsewhere?token=" + TOKEN).status_code == 404
    client.set_cookie(COOKIE, "lobby." + "0" * 64)  # forged
    assert client.get("/screen/lobby").status_code == 401
    assert client.get("/_dash-layout").status_code == 401


def test_a_new_token_in_the_config_revokes_the_old_cookie_and_token(tmp_path, redis_url, prefix, store):
    before = create_app(parse_config(raw_config(tmp_path, redis_url, prefix)), store, Clock())
    client = before.server.test_client()
    cookie = open_screen(client).headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    raw = raw_config(tmp_path, redis_url, prefix, token="a-brand-new-token-9876543210")
    after = create_app(parse_config(raw), store, Clock()).server.test_client()
    after.set_cookie(COOKIE, cookie)
    assert after.get("/screen/lobby").status_code == 401
    assert open_screen(after).status_code == 403


def test_proxy_header_is_believed_only_from_a_trusted_address(tmp_path, redis_url, prefix, store):
    access = {"auth": "proxy_header",
              "proxy_header": {"header": "X-Forwarded-User", "trusted_proxies": ["10.9.0.0/16"]}}  # fmt: skip
    app = create_app(parse_config(raw_config(tmp_path, redis_url, prefix, access)), store, Clock())
    client = app.server.test_client()
    user = {"X-Forwarded-User": "alice"}
    trusted = client.get("/_dash-layout", headers=user, environ_base={"REMOTE_ADDR": "10.9.3.4"})
    assert trusted.status_code == 200
    for peer in ("127.0.0.1", "10.8.0.1", "::1"):
        other = client.get("/_dash-layout", headers=user, environ_base={"REMOTE_ADDR": peer})
        assert other.status_code == 401, peer
    empty = client.get("/_dash-layout", environ_base={"REMOTE_ADDR": "10.9.3.4"})
    assert empty.status_code == 401


def test_config_errors_name_the_key(tmp_path):
    raw = raw_config(tmp_path, "redis://127.0.0.1:6379/0", "p", token="short")
    raw["screens"]["lobby"]["pages"] = ["second", "nowhere"]
    raw["access"] = {"auth": "basic", "basic": {"users": {"alice": "hunter2-plain"}}}
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    text = str(caught.value)
    assert "access.basic.users.alice: not a password hash" in text
    assert "screens.lobby.token: a screen token needs at least 16 characters" in text
    assert "hunter2-plain" not in text and "short" not in text.replace("shorter", "")
    raw["screens"]["lobby"]["token"] = TOKEN
    raw["access"] = {"auth": "oidc"}
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    assert caught.value.problems == [
        "access.oidc: required when access.auth is oidc",
        "screens.lobby.pages[1]: unknown page 'nowhere' (pages: main, second)",
    ]


def test_a_secret_of_the_wrong_type_is_not_echoed_in_the_error(tmp_path):
    raw = raw_config(tmp_path, "redis://127.0.0.1:6379/0", "p", token=12345678901234567890)
    raw["access"] = {"auth": "basic", "basic": {"users": {"alice": 98765432109876}}}
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    assert sorted(caught.value.problems) == [
        "access.basic.users.alice: expected a valid string",
        "screens.lobby.token: expected a valid string",
    ]


def test_token_never_reaches_the_logs_of_a_real_werkzeug_server(tmp_path, redis_url, prefix, store, caplog):
    import requests

    app = create_app(parse_config(raw_config(tmp_path, redis_url, prefix)), store, Clock())
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    logging.getLogger("werkzeug").setLevel(logging.DEBUG)
    logging.getLogger("urllib3").setLevel(logging.WARNING)  # the test's own client, not the server
    try:
        with caplog.at_level(logging.DEBUG):
            session = requests.Session()
            assert session.get(f"{base}/screen/lobby?token={TOKEN}").status_code == 200
            session.post(f"{base}/_dash-update-component", json=panel_poll_body("failed24", None))
            session.post(f"{base}/_dash-update-component", json=panel_poll_body("failed", None))
            requests.get(f"{base}/screen/lobby?kiosk=1&token={TOKEN}x")  # wrong: logged, redacted
            requests.get(f"{base}/screen/lobby/second?token={TOKEN}")
    finally:
        server.shutdown()
        logging.getLogger("urllib3").setLevel(logging.NOTSET)
    lines = caplog.text
    assert "/screen/lobby?token=*** " in lines and "kiosk=1&token=***" in lines  # logged at all
    assert TOKEN not in lines


def test_check_config_shows_access_with_secrets_masked(tmp_path, capsys, monkeypatch):
    import yaml

    from socwall.dashboard.cli import main

    access = {**basic_access(), "probe_token": "${PROBE_TOKEN}"}
    raw = raw_config(tmp_path, "redis://127.0.0.1:6379/0", "p", access, token="${LOBBY_TOKEN}")
    monkeypatch.setenv("LOBBY_TOKEN", TOKEN)
    monkeypatch.setenv("PROBE_TOKEN", PROBE_TOKEN)
    path = tmp_path / "wall.yaml"
    path.write_text(yaml.safe_dump(raw))
    assert main(["check-config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "access.basic.users: alice (hashes **********)" in out
    assert "access.probe_token: ********** (Bearer for /metrics, /readyz, /healthz)" in out
    assert "screens.lobby: pages second, rotate 30s, token **********" in out
    assert "access.guesses: 10 at once, then 6 a minute per client address" in out
    assert TOKEN not in out and PROBE_TOKEN not in out and "scrypt:" not in out


def test_hash_password_reads_stdin_and_the_hash_signs_in(monkeypatch, capsys):
    import io

    from werkzeug.security import check_password_hash

    from socwall.dashboard.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret words\n"))
    assert main(["hash-password"]) == 0
    hashed = capsys.readouterr().out.strip()
    assert hashed.startswith("scrypt:") and check_password_hash(hashed, "s3cret words")
    assert not check_password_hash(hashed, "s3cret words\n")


@pytest.mark.parametrize("typed", ["\n", "short77\n"])
def test_hash_password_refuses_a_password_under_8_characters(monkeypatch, capsys, typed):
    import io

    from socwall.dashboard.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO(typed))
    assert main(["hash-password"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "at least 8 characters" in captured.err


def test_anonymous_healthz_is_worked_out_at_most_once_per_5s_per_worker(basic_app, monkeypatch):
    from socwall.dashboard import access

    calls, real = [], access.health_report
    monkeypatch.setattr(access, "health_report", lambda *a, **k: calls.append(1) or real(*a, **k))
    client = basic_app.server.test_client()
    answers = [client.get("/healthz") for _ in range(50)]
    assert {tuple(a.get_json()) for a in answers} == {("status",)} and len(calls) == 1
    assert all(a.headers["Cache-Control"] == "no-store" for a in answers)
    basic_app.server.extensions["socwall_guard"].summary.until = 0  # 5 s later
    client.get("/healthz")
    assert len(calls) == 2
    assert "store" in client.get("/healthz", headers=basic_header()).get_json()  # signed in: whole
    assert len(calls) == 2  # (the route's own report, not the summary's)
