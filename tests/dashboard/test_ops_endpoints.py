"""/livez, /readyz and /metrics: probes for the platform team, built from the store."""

import platform
import re
from datetime import timedelta

from socwall import __version__
from socwall.dashboard.app import create_app
from socwall.dashboard.clock import Clock
from socwall.dashboard.config import StoreConfig
from socwall.dashboard.health import health_report, public_summary
from socwall.dashboard.jobs import run_all_once
from socwall.dashboard.leader import Leader
from socwall.dashboard.store import Store, connect
from tests.conftest import free_port
from tests.dashboard.test_jobs import CLOCK, write_events
from tests.redis_nodes import wait_for


def filled(make_config, store):
    config = make_config()
    write_events(make_config.data_dir, [5, 30, 59, 61, 62])
    run_all_once(config, store, CLOCK)
    return config, create_app(config, store, Clock()).server.test_client()


def samples(text: str) -> dict[str, float]:
    """name{labels} -> value, parsed with a plain regular expression, not the product's code."""
    found = {}
    for line in text.splitlines():
        match = re.fullmatch(r"([a-z_]+(?:\{[^}]*\})?) (\S+)", line)
        if match:
            found[match[1]] = float(match[2])
    return found


def test_livez_readyz_and_metrics_on_a_filled_store(make_config, store):
    _, client = filled(make_config, store)
    assert client.get("/livez").get_json() == {"status": "alive"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["status"] in ("ready", "degraded")
    response = client.get("/metrics")
    assert response.mimetype == "text/plain"
    got = samples(response.get_data(as_text=True))
    assert got["socwall_store_up"] == 1
    assert got['socwall_source_records_read_total{source="events"}'] == 5
    assert got['socwall_source_lag_seconds{source="events"}'] == 5 * 60  # on the replay clock
    assert got['socwall_source_up{source="events"}'] == 1
    assert got['socwall_panel_up{panel="failed"}'] == 1
    stored = store.redis.hstrlen(store.keys.panel("failed"), "data")
    assert got['socwall_panel_payload_bytes{panel="failed"}'] == stored > 0
    assert got['socwall_panel_compute_seconds{panel="failed"}'] == (
        store.panel_meta("failed")["duration_ms"] / 1000
    )


def test_probes_when_the_store_is_gone(make_config):
    config = make_config()
    dead = Store(connect(StoreConfig(url=f"redis://127.0.0.1:{free_port()}/0", timeout="1s")), "x")
    client = create_app(config, dead, Clock()).server.test_client()
    assert client.get("/livez").status_code == 200
    assert client.get("/readyz").status_code == 503
    build = f'socwall_build_info{{version="{__version__}",python="{platform.python_version()}"}}'
    assert samples(client.get("/metrics").get_data(as_text=True)) == {
        "socwall_store_up": 0, build: 1
    }


def test_public_summary_hides_every_detail():
    report = {"status": "1 panel(s) not ok", "store": {"url": "redis://10.0.0.5:6379/0"}}
    assert public_summary(report, 200) == {"status": "degraded"}
    assert public_summary({"status": "ok"}, 200) == {"status": "ok"}
    assert public_summary(report, 503) == {"status": "down"}


def test_redis_without_persistence_is_warned_on_the_strip_and_healthz(make_config, store):
    # the test server runs with --save "" --appendonly no: exactly the dangerous setup
    notice = store.check_persistence()
    assert notice.startswith("Redis keeps no data on disk")
    _, client = filled(make_config, store)
    assert client.get("/healthz").get_json()["store"]["notice"] == notice
    store.redis.config_set("appendonly", "yes")
    try:
        assert store.check_persistence() is None and store.store_notice() is None
    finally:
        store.redis.config_set("appendonly", "no")


def test_healthz_lists_live_workers_from_the_set_and_forgets_expired_ones(make_config, store):
    config = make_config()
    staying = Leader(store.redis, store.keys, timedelta(seconds=30), "host:1")
    leaving = Leader(store.redis, store.keys, timedelta(milliseconds=300), "host:2")
    assert staying.tick() and not leaving.tick()
    report, _ = health_report(config, store, CLOCK.now())
    listed = [(w["id"], w["leader"]) for w in report["workers"]]
    assert listed == [("host:1", True), ("host:2", False)]
    wait_for(lambda: not store.redis.exists(store.keys.worker("host:2")), 5, "the heartbeat TTL")
    report, _ = health_report(config, store, CLOCK.now())
    assert [w["id"] for w in report["workers"]] == ["host:1"]
    assert store.redis.smembers(store.keys.workers()) == {"host:1"}  # the gone one is dropped
