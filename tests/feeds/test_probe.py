"""The probe source against a real HTTP server and TCP listeners on 127.0.0.1 (nowhere else)."""

import asyncio
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from socwall.dashboard.config import ConfigError, parse_config
from socwall.dashboard.jobs import run_source
from socwall.feeds import probe

NOW = datetime(2026, 3, 25, 12, 0, tzinfo=UTC)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the http.server API
        port = self.server.server_address[1]
        routes = {
            "/ok": (200, None),
            "/broken": (503, None),
            "/moved": (302, "/ok"),  # same host: followed
            "/away": (302, "http://elsewhere.invalid/ok"),  # another host: never followed
            "/loop": (302, f"http://127.0.0.1:{port}/loop"),
        }
        code, location = routes.get(self.path, (404, None))
        self.send_response(code)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def http_port():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def silent_port():
    """A listener that accepts connections (the kernel's backlog) and never says a word."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture(scope="module")
def closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # bound once, now nobody listens there
    return port


def targets(http_port, silent_port, closed_port):
    base = f"http://127.0.0.1:{http_port}"
    return [
        probe.Target(name="web ok", url=f"{base}/ok"),
        probe.Target(name="web 503", url=f"{base}/broken"),
        probe.Target(name="web moved", url=f"{base}/moved"),
        probe.Target(name="web away", url=f"{base}/away"),
        probe.Target(name="web loop", url=f"{base}/loop"),
        probe.Target(name="tcp open", tcp=f"127.0.0.1:{http_port}"),
        probe.Target(name="tcp closed", tcp=f"127.0.0.1:{closed_port}"),
        probe.Target(name="http hangs", url=f"http://127.0.0.1:{silent_port}/"),
    ]


def test_each_kind_of_answer_and_a_hanging_probe_costs_only_its_timeout(
    http_port, silent_port, closed_port
):
    started = time.perf_counter()
    results = asyncio.run(probe.check_all(targets(http_port, silent_port, closed_port),
                                          timeout=1.0, concurrency=8, verify=True))  # fmt: skip
    elapsed = time.perf_counter() - started
    summary = {name: (r["up"], r["detail"]) for name, r in results.items()}
    assert summary["web ok"] == (True, "HTTP 200")
    assert summary["web 503"] == (False, "HTTP 503")
    assert summary["web moved"] == (True, "HTTP 200")
    assert summary["web away"] == (False, "redirects to another host (elsewhere.invalid)")
    assert summary["web loop"] == (False, "more than 3 redirects")
    assert summary["tcp open"] == (True, "open")
    assert summary["tcp closed"] == (False, "Connection refused")
    assert summary["http hangs"] == (False, "no answer within 1 s")
    assert 0.95 <= results["http hangs"]["latency_ms"] / 1000 < 2
    assert 0.95 <= elapsed < 2  # bounded by the one timeout, not a sum
    others = [r["latency_ms"] for name, r in results.items() if name != "http hangs"]
    assert max(others) < 700  # the others did not wait for the hanging one


def test_concurrency_is_bounded(silent_port):
    # a TCP connect to a listening socket succeeds at once (backlog); an HTTP request hangs
    hanging = [probe.Target(name=f"hang {i}", url=f"http://127.0.0.1:{silent_port}/")
               for i in range(3)]  # fmt: skip
    started = time.perf_counter()
    asyncio.run(probe.check_all(hanging, timeout=0.3, concurrency=1, verify=True))
    assert time.perf_counter() - started >= 0.9  # one after the other: 3 x 0.3 s


def test_history_since_and_flips():
    target = [probe.Target(name="db", tcp="127.0.0.1:1")]
    up, down = {"db": {"up": True, "detail": "open", "latency_ms": 1}}, {
        "db": {"up": False, "detail": "refused", "latency_ms": 1}}
    hour = timedelta(hours=1)
    state = probe.merge({}, up, target, NOW, 24 * hour)
    assert state["db"]["since"] == NOW.isoformat() and state["db"]["flips"] == []
    state = probe.merge(state, up, target, NOW + timedelta(minutes=1), 24 * hour)
    assert state["db"]["since"] == NOW.isoformat()  # unchanged: since stays
    t2 = NOW + timedelta(minutes=2)
    state = probe.merge(state, down, target, t2, 24 * hour)
    assert (state["db"]["up"], state["db"]["since"], state["db"]["flips"]) == (
        False, t2.isoformat(), [t2.isoformat()])
    state = probe.merge(state, down, target, NOW + 25 * hour, 24 * hour)
    assert state["db"]["flips"] == []  # older than the history: dropped


def raw_wall(redis_url, prefix, **source):
    return {
        "store": {"url": redis_url, "prefix": prefix},
        "sources": {"probe": {"type": "probe", **source}},
        "pages": [{"id": "ctx", "title": "Context", "panels": [
            {"id": "st", "widget": "status", "title": "Status", "source": "probe", "at": [1, 1]},
        ]}],
    }  # fmt: skip


class FixedClock:
    def __init__(self, now):
        self.moment = now

    def now(self):
        return self.moment


def test_ingest_keeps_state_in_redis(tmp_path, redis_url, prefix, store, http_port, closed_port):
    config = parse_config(raw_wall(redis_url, prefix, timeout="1s", targets=[
        {"name": "web", "url": f"http://127.0.0.1:{http_port}/ok"},
        {"name": "db-02 postgres", "host": "db-02", "tcp": f"127.0.0.1:{closed_port}"},
    ]), tmp_path)  # fmt: skip
    status = run_source(config, "probe", store, FixedClock(NOW))
    assert status["status"] == "ok" and status["down"] == 1
    run_source(config, "probe", store, FixedClock(NOW + timedelta(minutes=12)))
    state = store.document("probe", "status")
    assert state["db-02 postgres"]["up"] is False and state["db-02 postgres"]["host"] == "db-02"
    assert state["db-02 postgres"]["since"] == NOW.isoformat()
    assert state["db-02 postgres"]["checked_at"] == (NOW + timedelta(minutes=12)).isoformat()


@pytest.mark.parametrize("target,words", [
    ({"name": "x", "tcp": "nohostport"}, "tcp must be host:port"),
    ({"name": "x", "url": "ftp://127.0.0.1/"}, "url must be http"),
    ({"name": "x"}, "exactly one of"),
    ({"name": "x", "tcp": "127.0.0.1:1", "url": "http://127.0.0.1/"}, "exactly one of"),
])  # fmt: skip
def test_bad_targets_name_their_key(tmp_path, redis_url, prefix, target, words):
    with pytest.raises(ConfigError, match=rf"sources\.probe\.targets\[0\].*{words}"):
        parse_config(raw_wall(redis_url, prefix, targets=[target]), tmp_path)
