"""Guessing costs the guesser: a token bucket per client address (shared by serve workers in
the store, in memory while it is down) before any password hash or token comparison, a bounded
pool for the hashes, and a session cookie that keeps a signed-in browser out of all of it."""

import base64
import logging
import threading
import time
from types import SimpleNamespace

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from socwall.dashboard.app import create_app
from socwall.dashboard.clock import Clock
from socwall.dashboard.config import StoreConfig, parse_config
from socwall.dashboard.config_access import GuessConfig, _network
from socwall.dashboard.guesses import GuessBucket, bucket_of, client_address
from socwall.dashboard.password_checks import PasswordChecks
from socwall.dashboard.store import Store, connect
from tests.conftest import free_port
from tests.dashboard.test_access import (
    PASSWORD,
    PROBE_TOKEN,
    TOKEN,
    basic_access,
    basic_header,
    raw_config,
)


def dead_store() -> Store:
    return Store(connect(StoreConfig(url=f"redis://127.0.0.1:{free_port()}/0", timeout="1s")), "x")


def draws(bucket: GuessBucket, address: str, count: int) -> list[float]:
    return [round(bucket.take(address), 2) for _ in range(count)]


@pytest.mark.parametrize("where", ["store", "memory"])
def test_an_address_may_try_burst_secrets_then_per_minute(store, where):
    now = [1000.0]
    target = store if where == "store" else dead_store()
    workers = [GuessBucket(target, GuessConfig(burst=3, per_minute=60), clock=lambda: now[0])
               for _ in range(1 if where == "memory" else 2)]  # fmt: skip
    first, other = workers[0], workers[-1]
    assert draws(first, "10.0.0.9", 2) + draws(other, "10.0.0.9", 1) == [0, 0, 0]  # the burst
    assert first.wait("10.0.0.9") == pytest.approx(1.0)  # then one a second
    assert other.take("10.0.0.9") == pytest.approx(1.0)  # refused: nothing taken
    assert first.take("10.0.0.7") == 0  # another address has its own bucket
    now[0] += 1.0
    assert other.wait("10.0.0.9") == 0 and other.take("10.0.0.9") == 0
    assert first.take("10.0.0.9") == pytest.approx(1.0)
    now[0] += 60
    assert draws(first, "10.0.0.9", 4) == [0, 0, 0, 1.0]  # refilled to the burst, no more
    if where == "store":
        keys = list(store.redis.scan_iter(f"{store.keys.prefix}:guesses:*"))
        assert len(keys) == 2 and not any("10.0.0" in key for key in keys)
        assert 0 < store.redis.pttl(keys[0]) <= 64_000  # gone once the bucket is full again


def test_while_the_store_is_down_buckets_live_in_memory_bounded_and_it_is_said_once(caplog):
    bucket = GuessBucket(dead_store(), GuessConfig(burst=1, per_minute=1))
    with caplog.at_level(logging.WARNING):
        assert [bucket.take("10.1.0.1") > 0 for _ in range(3)] == [False, True, True]
    assert caplog.text.count("guesses at secrets counted in memory") == 1  # once per outage
    bucket.in_memory = {str(n): time.time() + 60 for n in range(GuessBucket.TRACKED)}
    bucket.take("10.1.0.2")
    assert len(bucket.in_memory) == GuessBucket.TRACKED and "0" not in bucket.in_memory


def environ_request(peer: str, forwarded: str | None = None) -> Request:
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    return Request(EnvironBuilder(headers=headers, environ_base={"REMOTE_ADDR": peer}).get_environ())


PROXIES = [_network("10.9.0.0/16"), _network("::1/128")]


@pytest.mark.parametrize("peer,forwarded,client", [
    ("10.9.0.5", "203.0.113.7", "203.0.113.7"),  # the proxy says who
    ("10.9.0.5", "1.1.1.1, 203.0.113.7", "203.0.113.7"),  # the client wrote 1.1.1.1 itself
    ("10.9.0.5", "203.0.113.7, 10.9.0.6", "203.0.113.7"),  # two proxies of ours
    ("10.9.0.5", None, "10.9.0.5"),  # nothing forwarded: the proxy itself
    ("10.9.0.5", " , ", "10.9.0.5"),
    ("10.9.0.5", "garbage", "garbage"),  # not an address: its own bucket all the same
    ("192.0.2.1", "203.0.113.7", "192.0.2.1"),  # not a proxy of ours: its header means nothing
    ("::1", "2001:db8::1", "2001:db8::1"),
    ("::ffff:10.9.0.5", "203.0.113.8", "203.0.113.8"),  # IPv4 proxy seen through IPv6
])  # fmt: skip
def test_the_client_address_behind_trusted_proxies(peer, forwarded, client):
    assert client_address(environ_request(peer, forwarded), PROXIES) == client
    assert client_address(environ_request(peer, forwarded), []) == peer


def test_an_ipv6_client_owns_one_bucket_for_its_64_and_mapped_v4_is_v4():
    assert bucket_of("2001:db8:1:2::1") == bucket_of("2001:db8:1:2:ffff::9")
    assert bucket_of("2001:db8:1:2::1") != bucket_of("2001:db8:1:3::1")
    assert bucket_of("::ffff:192.0.2.4") == bucket_of("192.0.2.4") != bucket_of("192.0.2.5")


@pytest.fixture
def counted_checks(monkeypatch):
    """Every password hash the sign-in runs, counted."""
    import werkzeug.security

    real, calls = werkzeug.security.check_password_hash, []

    def counting(hashed, password):
        calls.append(password)
        return real(hashed, password)

    monkeypatch.setattr(werkzeug.security, "check_password_hash", counting)
    return calls


def guarded_app(tmp_path, redis_url, prefix, store, burst=5, **access):
    raw = raw_config(tmp_path, redis_url, prefix, {**basic_access(), **access})
    raw["access"]["guesses"] = {"burst": burst, "per_minute": 1}
    return create_app(parse_config(raw), store, Clock())


def test_new_user_names_each_cost_a_token_and_past_the_burst_no_hash_runs(tmp_path, redis_url, prefix, store, counted_checks, caplog):
    client = guarded_app(tmp_path, redis_url, prefix, store).server.test_client()
    with caplog.at_level(logging.WARNING):
        statuses = [client.get("/_dash-layout", headers=basic_header(f"user{n}", "guess")).status_code
                    for n in range(30)]  # fmt: skip
    assert statuses == [401] * 4 + [429] * 26  # the 5th is checked, then told to wait
    assert len(counted_checks) == 5  # the other 25 guesses cost a Redis round trip, no scrypt
    assert caplog.text.count("basic sign-in failed") == 5  # each failed guess logged, no flood
    refused = client.get("/_dash-layout", headers=basic_header(password="guess"))
    assert refused.status_code == 429 and 55 <= int(refused.headers["Retry-After"]) <= 60
    assert b"Too many sign-in attempts from this address" in refused.data
    colleague = client.get("/_dash-layout", headers=basic_header(), environ_base={"REMOTE_ADDR": "10.0.0.8"})
    assert colleague.status_code == 200


def test_behind_a_proxy_each_forwarded_client_has_its_own_bucket(tmp_path, redis_url, prefix, store, counted_checks):
    app = guarded_app(tmp_path, redis_url, prefix, store, burst=2, trusted_proxies=["10.9.0.0/16"])

    def status(forwarded: str, peer="10.9.0.5", password="guess"):  # a new browser each time
        return app.server.test_client().get("/_dash-layout", headers={**basic_header(password=password), "X-Forwarded-For": forwarded},
                          environ_base={"REMOTE_ADDR": peer}).status_code  # fmt: skip

    assert [status("203.0.113.66") for _ in range(3)] == [401, 429, 429]
    assert [status("198.51.100.9, 203.0.113.66") for _ in range(2)] == [429, 429]  # spoofed hop
    assert status("203.0.113.7", password=PASSWORD) == 200  # another client of the same proxy
    assert [status("203.0.113.9", peer="192.0.2.1") for _ in range(3)] == [401, 429, 429]  # untrusted
    assert status("203.0.113.10", peer="192.0.2.1", password=PASSWORD) == 429  # its own address


def test_a_screen_token_guess_costs_a_token_and_is_logged(tmp_path, redis_url, prefix, store, caplog):
    client = guarded_app(tmp_path, redis_url, prefix, store, burst=3).server.test_client()
    screen = client.get(f"/screen/lobby?token={TOKEN}")  # the screen itself: no token spent
    assert screen.status_code == 303
    with caplog.at_level(logging.WARNING):
        guesses = [client.get(f"/screen/lobby?token=guess{n:020d}").status_code for n in range(5)]
    assert guesses == [403, 403, 403, 429, 429]
    assert caplog.text.count("wrong token for screen 'lobby' from 127.0.0.1") == 3
    right = client.get(f"/screen/lobby?token={TOKEN}")  # unchecked while the bucket is empty
    assert right.status_code == 429 and "Retry-After" in right.headers
    assert client.get("/screen/lobby").status_code == 200  # the cookie it got still works
    other = client.get(f"/screen/lobby?token={TOKEN}", environ_base={"REMOTE_ADDR": "10.0.0.8"})
    assert other.status_code == 303


def test_probe_token_guesses_are_throttled(tmp_path, redis_url, prefix, store):
    app = guarded_app(tmp_path, redis_url, prefix, store, burst=2, probe_token=PROBE_TOKEN)
    client = app.server.test_client()

    def status(token):
        return client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).status_code

    assert [status("x" * 40) for _ in range(2)] + [status(PROBE_TOKEN)] == [401, 401, 401]
    other = client.get("/metrics", headers={"Authorization": f"Bearer {PROBE_TOKEN}"},
                       environ_base={"REMOTE_ADDR": "10.0.0.8"})  # fmt: skip
    assert other.status_code == 200


def test_the_password_pool_runs_its_turns_and_refuses_past_its_places():
    release, started = threading.Event(), threading.Semaphore(0)

    def slow_check(answer):
        started.release()
        release.wait(10)
        return answer

    checks, results = PasswordChecks(running=1, waiting=2, wait_seconds=10), {}
    threads = [threading.Thread(target=lambda n=n: results.__setitem__(n, checks.run(slow_check, True)))
               for n in range(3)]  # fmt: skip
    for thread in threads:
        thread.start()
    assert started.acquire(timeout=5)  # one runs, two wait: every place taken
    begin = time.monotonic()
    assert checks.run(slow_check, True) is None and time.monotonic() - begin < 0.5  # at once
    release.set()
    for thread in threads:
        thread.join(10)
    assert results == {0: True, 1: True, 2: True}
    short = PasswordChecks(running=1, waiting=1, wait_seconds=0.2)
    release.clear()
    blocker = threading.Thread(target=short.run, args=(slow_check, True))
    blocker.start()
    assert started.acquire(timeout=5)
    assert short.run(slow_check, True) is None  # its turn did not come within 0.2 s
    release.set()
    blocker.join(10)


def session_of(response) -> str:
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie" and "socwall_desk" in v)
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and PASSWORD not in cookie
    return cookie.split(";")[0].split("=", 1)[1]


def test_the_session_cookie_opens_nothing_alone_and_ends_with_its_password(tmp_path, redis_url, prefix, store):
    now = [1_700_000_000.0]
    app = guarded_app(tmp_path, redis_url, prefix, store, burst=50)
    sign_in = app.server.extensions["socwall_guard"].sign_in
    sign_in.clock = lambda: now[0]
    client = app.server.test_client()
    value = session_of(client.get("/_dash-layout", headers=basic_header()))
    assert base64.b64encode(PASSWORD.encode()) not in value.encode()
    client.set_cookie("socwall_desk", value)
    assert client.get("/_dash-layout").status_code == 401  # the cookie alone: nothing
    assert client.get("/_dash-layout", headers=basic_header(password="y")).status_code == 401
    assert client.get("/_dash-layout", headers=basic_header("bob", PASSWORD)).status_code == 401
    fresh = client.get("/_dash-layout", headers=basic_header())
    assert fresh.status_code == 200 and "Set-Cookie" not in fresh.headers  # nothing to renew
    now[0] += 7 * 3600  # past half its life: renewed while in use
    assert "socwall_desk" in client.get("/_dash-layout", headers=basic_header()).headers["Set-Cookie"]
    with app.server.test_request_context():
        assert sign_in._in_session(SimpleNamespace(cookies={"socwall_desk": value}), "alice", PASSWORD)
        now[0] += 6 * 3600  # 13 h: the old value is over
        assert not sign_in._in_session(SimpleNamespace(cookies={"socwall_desk": value}), "alice", PASSWORD)
        now[0] -= 6 * 3600
        sign_in.hashes["alice"] = basic_access()["basic"]["users"]["alice"]  # the same password, hashed anew
        assert not sign_in._in_session(SimpleNamespace(cookies={"socwall_desk": value}), "alice", PASSWORD)


def test_the_bucket_draws_atomically_on_a_redis_cluster_too(tmp_path):
    from tests.redis_nodes import start_cluster, stop

    processes, ports = start_cluster(tmp_path)
    try:
        url = f"redis+cluster://127.0.0.1:{ports[0]},127.0.0.1:{ports[1]}"
        now = [1000.0]
        workers = [GuessBucket(Store(connect(StoreConfig(url=url)), "wall"), GuessConfig(burst=2, per_minute=60),
                               clock=lambda: now[0]) for _ in range(2)]  # fmt: skip
        addresses = [f"10.2.0.{n}" for n in range(20)]  # keys all over the slots' nodes
        for address in addresses:
            assert [workers[0].take(address), workers[1].take(address)] == [0, 0]
            assert workers[0].take(address) == pytest.approx(1.0)
        now[0] += 1.0
        assert all(workers[1].take(address) == 0 for address in addresses)
    finally:
        stop(processes)
