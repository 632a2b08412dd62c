"""One bad feed server is that feed's error: the good feed stays fresh, each bad feed's reason
(and its backoff) is in the status, and no redirect or name reaches an internal address.

A real HTTP server on loopback that closes, garbles, trickles, redirects to ftp://, redirects
forever, redirects slowly, and redirects to a real redis-server's port, which must receive no
connection at all (its INFO total_connections_received, read on one kept connection).
"""

import http.server
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import redis

from socwall.feeds import fetch, kev
from socwall.feeds.http_guard import inward
from tests.conftest import start_redis_server
from tests.feeds.test_news import RSS2, news_source

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


class _Hostile(http.server.BaseHTTPRequestHandler):
    redis_port = 0
    protocol_version = "HTTP/1.0"

    def do_GET(self):  # noqa: N802 - the stdlib's name
        path = self.path
        if path == "/good":
            self._answer(200, RSS2)
        elif path == "/close":
            self.close_connection = True  # no answer at all
        elif path == "/garbage":
            self.wfile.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
        elif path == "/trickle":
            try:
                for byte in b"HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\n\r\n":
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass
        elif path == "/to-redis":
            self._redirect(f"http://127.0.0.1:{self.redis_port}/")
        elif path == "/to-ftp":
            self._redirect(f"ftp://127.0.0.1:{self.server.server_port}/feed.xml")
        elif path.startswith("/loop/"):
            self._redirect(f"/loop/{int(path.rsplit('/', 1)[1]) + 1}")
        elif path.startswith("/slow-hop/"):
            time.sleep(0.7)
            self._redirect(f"/slow-hop/{int(path.rsplit('/', 1)[1]) + 1}")

    def _answer(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def target_redis(tmp_path):
    """A redis-server of the test's own, and one kept connection to read its counters."""
    process, url = start_redis_server(tmp_path)
    client = redis.Redis.from_url(url, single_connection_client=True)
    yield client, int(url.rsplit(":", 1)[1].split("/")[0]), tmp_path
    client.close()
    process.terminate()
    process.wait(10)


@pytest.fixture
def hostile(target_redis):
    """The hostile server's base URL under the name `localhost` (the allowed host)."""
    handler = type("Handler", (_Hostile,), {"redis_port": target_redis[1]})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{server.server_port}"
    server.shutdown()


def inward_name() -> str | None:
    """A name other than `localhost` that resolves to an internal address: the machine's own
    name usually does (None when it resolves outward or not at all)."""
    name = socket.gethostname()
    try:
        found = {info[4][0] for info in socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)}
    except OSError:
        return None
    return name if name != "localhost" and found and all(map(inward, found)) else None


def connections(client) -> int:
    return int(client.info("stats")["total_connections_received"])


def test_each_bad_feed_is_its_own_error_and_nothing_reaches_redis(
    hostile, target_redis, tmp_path, store, redis_url, prefix
):
    client, redis_port, workdir = target_redis
    before = connections(client)
    feeds = {name: f"{hostile}/{path}" for name, path in [
        ("good", "good"), ("closes", "close"), ("garbles", "garbage"), ("trickles", "trickle"),
        ("to_redis", "to-redis"), ("to_ftp", "to-ftp"), ("loops", "loop/0"),
        ("slow_hops", "slow-hop/0")]}  # fmt: skip
    name = inward_name()  # not allowed, resolves inward: refused before any connection
    if name:
        feeds["inward_name"] = f"http://{name}:{redis_port}/"
    source = news_source(tmp_path, redis_url, prefix, feeds, timeout="2s",
                         allow_hosts=["localhost"])  # fmt: skip
    started = time.monotonic()
    stats = source.ingest(store, NOW)
    took = time.monotonic() - started

    assert stats["feeds"]["good"] == 2  # fresh although eight feeds around it failed
    assert [name for name, added in stats["feeds"].items() if added != "failed"] == ["good"]
    reasons = dict(warning.split(": ", 1) for warning in stats["warnings"])
    assert reasons["closes"] == "the server closed the connection without answering"
    assert reasons["garbles"].startswith("the server did not answer HTTP")
    assert reasons["trickles"] == "no complete answer within 2 s (deadline)"
    assert reasons["to_redis"].startswith("127.0.0.1 resolves to an internal address")
    assert reasons["to_ftp"].startswith("redirected to ftp://")
    assert reasons["loops"].startswith("more than 5 redirects")
    assert reasons["slow_hops"] == "no complete answer within 2 s (deadline)"
    if name:
        assert reasons["inward_name"].startswith(f"{name} resolves to an internal address")
    assert took < 2 * 2 + 1.5  # two rounds of four at once, each within its deadline
    assert connections(client) == before  # not even a TCP handshake reached Redis
    log = next(workdir.glob("redis-*.log")).read_text()
    assert "SECURITY ATTACK" not in log

    for name in ("closes", "to_redis"):  # each failure backs off, with its reason kept
        state = store.fetch_state("news", name)
        assert state["failures"] == "1" and state["error"] == reasons[name]
    again = source.ingest(store, NOW + timedelta(seconds=5))
    kept = dict(warning.split(": ", 1) for warning in again["warnings"])
    assert kept["closes"].startswith("backing off after 1 failure until 12:15 UTC")
    assert kept["closes"].endswith(": the server closed the connection without answering")
    assert again["feeds"]["good"] == 0 and again["feeds"]["closes"] == "failed"


def test_a_name_is_checked_where_it_resolves_and_an_allowed_host_is_reached(hostile):
    assert fetch.fetch(f"{hostile}/good", timeout=5, allow_hosts=["localhost"]).body == RSS2
    with pytest.raises(fetch.FetchError, match="localhost resolves to an internal address"):
        fetch.fetch(f"{hostile}/good", timeout=5)
    assert socket.getaddrinfo("localhost", 80)  # the name does resolve: the check refused it


def test_kev_backing_off_says_so_with_the_original_reason(hostile, tmp_path, store, redis_url,
                                                          prefix):  # fmt: skip
    from tests.feeds.test_kev import kev_source

    source = kev_source(f"{hostile}/close", redis_url, prefix, ["localhost"])
    with pytest.raises(fetch.FetchError, match="closed the connection without answering"):
        source.ingest(store, NOW)
    stats = source.ingest(store, NOW + timedelta(minutes=1))
    assert stats["warnings"] == [
        "catalog: backing off after 1 failure until 13:00 UTC: the server closed the connection"
        " without answering"
    ]
    assert isinstance(source, kev.Source)
