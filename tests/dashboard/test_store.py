"""The store against a real redis-server: payloads, versions, history, atomic positions."""

import shutil
from datetime import UTC, datetime, timedelta

import pytest
import redis

from socwall.dashboard.config import StoreConfig, parse_config
from socwall.dashboard.store import Store, StoreUnavailable, connect, describe_url, payload_version
from tests.conftest import events_config, start_redis_server

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def test_panel_meta_and_data_round_trip(store):
    store.write_panel("p", {"status": "ok", "version": "v1"}, {"x": [1, 2], "y": None})
    assert store.panel_meta("p") == {"status": "ok", "version": "v1"}
    assert store.panel_data("p") == {"x": [1, 2], "y": None}


def test_writing_meta_only_keeps_the_last_good_data(store):
    store.write_panel("p", {"status": "ok"}, {"value": 41})
    store.write_panel("p", {"status": "error", "error": "boom"}, None)
    assert store.panel_meta("p")["status"] == "error"
    assert store.panel_data("p") == {"value": 41}


def test_non_finite_numbers_are_refused_not_stored(store):
    with pytest.raises(ValueError):
        store.write_panel("p", {}, {"value": float("nan")})
    assert store.panel_data("p") is None


def test_version_depends_on_content_not_key_order():
    assert payload_version({"a": 1, "b": [2]}) == payload_version({"b": [2], "a": 1})
    assert payload_version({"a": 1}) != payload_version({"a": 2})


def test_metric_buckets_add_up_and_read_back_by_range(store):
    start = int(T0.timestamp())
    add = store.add_metric_buckets
    add("s", {"m": {start: 2, start + 300: 1}}, T0, timedelta(days=40))
    add("s", {"m": {start + 300: 3}}, T0, timedelta(days=40))
    series = store.metric_series("s", "m", [(T0, T0 + timedelta(minutes=10))])
    assert series.to_dict() == {T0: 2.0, T0 + timedelta(minutes=5): 4.0}
    assert store.covered_since("s") == T0  # the later, newer bucket did not move it


def test_several_ranges_read_only_their_buckets(store):
    week = timedelta(days=7)
    values = {int((T0 - k * week).timestamp()): k + 1 for k in range(3)}
    values[int((T0 - timedelta(days=3)).timestamp())] = 99  # not in any range
    store.add_metric_buckets("s", {"m": values}, T0, timedelta(days=40))
    ranges = [(T0 - k * week, T0 - k * week + timedelta(hours=1)) for k in range(3)]
    series = store.metric_series("s", "m", ranges)
    assert series.tolist() == [3.0, 2.0, 1.0]


def test_buckets_before_the_retention_cutoff_are_not_written(store):
    old = int(T0.timestamp()) - 3600
    store.add_metric_buckets("s", {"m": {old: 1}}, T0 + timedelta(days=40), timedelta(days=40))
    assert store.metric_series("s", "m", [(T0 - timedelta(days=1), T0)]).empty


def test_the_url_shown_never_holds_the_password():
    config = StoreConfig(url="redis://:hunter2@redis.example:6380/1")
    assert describe_url(config) == "redis://redis.example:6380/1"


def test_an_unreachable_store_answers_ping_false_and_raises_on_reads(redis_url):
    from tests.conftest import free_port

    client = connect(StoreConfig(url=f"redis://127.0.0.1:{free_port()}/0", timeout="1s"))
    dead = Store(client, "x")
    assert dead.ping() is False
    with pytest.raises(StoreUnavailable):
        dead.panel_meta("p")
    assert issubclass(redis.ConnectionError, StoreUnavailable)


def test_password_comes_from_the_environment_and_reaches_redis(tmp_path, monkeypatch):
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server to start a password-protected one")
    server, url = start_redis_server(tmp_path, "--requirepass", "s3cret-pw")
    try:
        monkeypatch.setenv("SOCWALL_TEST_REDIS_PASSWORD", "s3cret-pw")
        raw = events_config(tmp_path, url, "pw")
        raw["store"]["password"] = "${SOCWALL_TEST_REDIS_PASSWORD}"
        store = Store(connect(parse_config(raw).store), "pw")
        store.write_panel("a", {"status": "ok"}, None)
        assert store.panel_meta("a") == {"status": "ok"}
        wrong = StoreConfig(url=url, password="wrong")
        assert Store(connect(wrong), "pw").ping() is False
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_unix_socket_url(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server to start one on a unix socket")
    socket_path = tmp_path / "redis.sock"
    server, _ = start_redis_server(tmp_path, "--unixsocket", str(socket_path))
    try:
        store = Store(connect(StoreConfig(url=f"unix://{socket_path}")), "sock")
        store.write_panel("a", {"status": "ok"}, {"v": 1})
        assert store.panel_data("a") == {"v": 1}
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_generic_records_by_day_window_and_id(store):
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    rows = [{"ts": (now - timedelta(hours=h)).isoformat(), "id": f"r{h}", "v": h}
            for h in range(0, 30, 3)]  # fmt: skip  # crosses two UTC days
    assert store.add_records("s", "tickets", rows, now, timedelta(days=2), id_field="id") == 10
    assert store.add_records("s", "tickets", rows[:4], now, timedelta(days=2), id_field="id") == 0
    start, end = now - timedelta(hours=13), now - timedelta(hours=2)
    got = store.records("s", "tickets", start, end)
    expected = [r for r in rows if start <= datetime.fromisoformat(r["ts"]) < end]
    assert sorted(r["v"] for r in got) == sorted(r["v"] for r in expected) == [3, 6, 9, 12]
    key = store.keys.keyed_records("s", "tickets", now.date())
    assert 0 < store.redis.ttl(key) <= int(timedelta(days=3).total_seconds())
    assert store.add_records("s", "plain", rows[:3], now, timedelta(days=1)) == 3
    plain = store.records("s", "plain", now - timedelta(days=1), now + timedelta(days=1))
    assert sorted(r["v"] for r in plain) == [0, 3, 6]
