"""/metrics: counters that add up across refreshes and processes, lag on the source's clock,
the config reload gauge, `promtool check metrics`, and a scrape by a real Prometheus."""

import json
import shutil
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from socwall.dashboard.app import create_app
from socwall.dashboard.cli import count_reload_refused
from socwall.dashboard.clock import Clock
from socwall.dashboard.config import parse_config
from socwall.dashboard.config_watch import ConfigWatch
from socwall.dashboard.health import public_summary
from socwall.dashboard.jobs import run_all_once, run_source
from socwall.feeds import fetch
from tests.conftest import events_config, free_port
from tests.dashboard.test_jobs import CLOCK, NOW
from tests.dashboard.test_ops_endpoints import samples
from tests.feeds.test_prometheus import ready, start_prometheus
from tests.redis_nodes import wait_for

SOCWALL = Path(sys.executable).with_name("socwall")


def write_lines(directory: Path, minutes_ago: list[int], name: str = "a.csv") -> int:
    """Append failed-login events; returns the file's size (an independent byte count)."""
    path = directory / name
    new = not path.exists()
    with path.open("a") as out:
        if new:
            out.write("ts,kind\n")
        for m in minutes_ago:
            out.write((NOW - timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%SZ,failed_login\n"))
    return path.stat().st_size


def scrape(config, store, config_problem=None) -> dict[str, float]:
    client = create_app(config, store, Clock(), config_problem=config_problem).server
    return samples(client.test_client().get("/metrics").get_data(as_text=True))


def test_counters_add_up_over_refreshes_and_lag_is_on_the_replay_clock(make_config, store):
    config = make_config()
    write_lines(make_config.data_dir, [5, 30, 59])
    run_all_once(config, store, CLOCK)
    size = write_lines(make_config.data_dir, [2, 3])  # two more; the second read gets only them
    (make_config.data_dir / "b.csv").write_text("ts,kind\nnot a time,failed_login\n")
    run_all_once(config, store, CLOCK)
    got = scrape(config, store)
    assert got['socwall_source_records_read_total{source="events"}'] == 5
    assert got['socwall_source_records_unreadable_total{source="events"}'] == 1
    other = (make_config.data_dir / "b.csv").stat().st_size
    assert got['socwall_source_bytes_read_total{source="events"}'] == size + other
    assert got['socwall_source_runs_total{source="events"}'] == 2
    assert got['socwall_panel_runs_total{panel="failed"}'] == 2
    assert got['socwall_source_failures_total{source="events"}'] == 0
    # the wall clock is weeks past NOW: measured on it, the lag would be weeks
    assert got['socwall_source_lag_seconds{source="events"}'] == 2 * 60


def test_a_failed_run_is_counted_and_the_counters_keep_their_totals(make_config, store):
    config = make_config()
    write_lines(make_config.data_dir, [5])
    run_source(config, "events", store, CLOCK)
    (make_config.data_dir / "a.csv").write_text("when,kind\nx,y\n")  # the timestamp column gone
    assert run_source(config, "events", store, CLOCK)["status"] == "error"
    got = scrape(config, store)
    assert got['socwall_source_runs_total{source="events"}'] == 2
    assert got['socwall_source_failures_total{source="events"}'] == 1
    assert got['socwall_source_records_read_total{source="events"}'] == 1  # kept, not reset


def test_counters_add_up_across_processes(tmp_path, redis_url, prefix, store):
    """Two `socwall run-once` processes count into the store; this process serves the sum."""
    raw = events_config(tmp_path, redis_url, prefix)
    write_lines(tmp_path, [5, 30, 59])
    (tmp_path / "wall.yaml").write_text(yaml.safe_dump(raw))
    for _ in range(2):
        subprocess.run([str(SOCWALL), "run-once", "--config", str(tmp_path / "wall.yaml"),
                        "--now", NOW.isoformat()], check=True, capture_output=True,
                       timeout=120)  # fmt: skip
    got = scrape(parse_config(raw), store)
    assert got['socwall_source_runs_total{source="events"}'] == 2
    assert got['socwall_panel_runs_total{panel="failed24"}'] == 2
    assert got['socwall_source_records_read_total{source="events"}'] == 3  # read once


def test_feed_fetches_are_counted_by_outcome(store, tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_bytes(b"<rss>" + b"x" * 100 + b"</rss>")
    now = NOW
    for _ in range(2):  # read, then unchanged
        fetch.fetch_tracked(store, "news", "wire", str(feed), timedelta(minutes=5), now)
        now += timedelta(minutes=5)
    feed.unlink()
    with pytest.raises(fetch.FetchError):
        fetch.fetch_tracked(store, "news", "wire", str(feed), timedelta(minutes=5), now)
    assert fetch.fetch_tracked(store, "news", "wire", str(feed), timedelta(minutes=5),
                               now + timedelta(minutes=1)) is None  # fmt: skip
    counted = store.redis.hgetall(store.keys.counters())
    by_outcome = {o: int(counted.get(
        f'socwall_feed_fetches_total{{feed="wire",outcome="{o}",source="news"}}', 0))
        for o in ("ok", "not_modified", "failed", "backoff")}  # fmt: skip
    assert by_outcome == {"ok": 1, "not_modified": 1, "failed": 1, "backoff": 1}
    assert int(counted['socwall_source_bytes_read_total{source="news"}']) == 111


def test_auth_failures_are_counted_by_reason(tmp_path, redis_url, prefix, store):
    raw = events_config(tmp_path, redis_url, prefix)
    raw["access"] = {"auth": "basic", "basic": {"max_failures": 2, "users": {
        "alice": generate_password_hash("correct horse battery")}}}  # fmt: skip
    raw["screens"] = {"lobby": {"pages": ["second"], "token": "lobby-token-0123456789abcdef"}}
    config = parse_config(raw)
    client = create_app(config, store, Clock()).server.test_client()
    wrong = {"Authorization": "Basic YWxpY2U6d3Jvbmc="}  # alice:wrong
    guesses = [client.get("/main", headers=wrong).status_code for _ in range(3)]
    assert guesses == [401, 429, 429]  # the second is checked and counted, the third is not
    assert client.get("/screen/lobby?token=guess").status_code == 403
    counted = store.redis.hgetall(store.keys.counters())
    assert counted['socwall_auth_failures_total{reason="password"}'] == "2"
    assert counted['socwall_auth_failures_total{reason="locked_out"}'] == "1"
    assert counted['socwall_auth_failures_total{reason="screen_token"}'] == "1"


def test_a_refused_reload_is_counted_and_degrades_healthz_until_fixed(tmp_path, store,
                                                                     redis_url, prefix):
    raw = events_config(tmp_path, redis_url, prefix)
    path = tmp_path / "wall.yaml"
    path.write_text(yaml.safe_dump(raw))
    watch = ConfigWatch(path, on_refused=lambda: count_reload_refused(store, "serve"))
    path.write_text("pages: [unclosed\n")
    assert watch.reload() and watch.problem.startswith("wall.yaml: not valid YAML")
    config = watch.config  # the last good one stays in force
    got = scrape(config, store, watch.problem)
    assert got['socwall_config_reload_failures_total{process="serve"}'] == 1
    assert got['socwall_config_last_reload_success{process="serve"}'] == 0
    client = create_app(config, store, Clock(), config_problem=watch.problem).server
    report = client.test_client().get("/healthz").get_json()
    assert "serve: config file refused, running the last good one" in report["status"]
    assert public_summary(report, 200) == {"status": "degraded"}
    write_lines(tmp_path, [5, 30])  # a source that read something: not blind
    run_all_once(config, store, CLOCK)  # every panel ok: only the refused file degrades
    ready = create_app(config, store, Clock()).server.test_client().get("/readyz")
    assert ready.get_json() == {"status": "ready"}
    assert client.test_client().get("/readyz").get_json() == {"status": "degraded"}
    path.write_text(yaml.safe_dump(raw))
    assert watch.reload() and watch.problem is None
    got = scrape(config, store, watch.problem)
    assert got['socwall_config_last_reload_success{process="serve"}'] == 1
    assert got['socwall_config_reload_failures_total{process="serve"}'] == 1  # a count stays


def test_promtool_finds_nothing_to_complain_about(make_config, store):
    config = make_config()
    write_lines(make_config.data_dir, [5, 30])
    run_all_once(config, store, CLOCK)
    text = create_app(config, store, Clock(), config_problem="wall.yaml: broken").server \
        .test_client().get("/metrics").get_data(as_text=True)
    if shutil.which("promtool") is None:
        pytest.fail("this test needs Debian's prometheus package (apt-get install prometheus)")
    done = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0 and not done.stdout.strip() and not done.stderr.strip(), done


def query(url: str, expression: str) -> list[dict]:
    address = f"{url}/api/v1/query?" + urllib.parse.urlencode({"query": expression})
    with urllib.request.urlopen(address, timeout=5) as answer:
        return json.loads(answer.read())["data"]["result"]


def test_a_real_prometheus_scrapes_the_counters(make_config, store, tmp_path):
    config = make_config()
    write_lines(make_config.data_dir, [5, 30, 59])
    run_all_once(config, store, CLOCK)
    server = make_server("127.0.0.1", 0, create_app(config, store, Clock()).server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
        "scrape_configs": [{"job_name": "socwall", "static_configs": [
            {"targets": [f"127.0.0.1:{server.server_port}"]}]}],
    }))  # fmt: skip
    for _attempt in range(3):
        url, process = start_prometheus(tmp_path, free_port())
        if ready(url, process):
            break
    else:
        pytest.fail(f"prometheus did not start: {(tmp_path / 'prometheus.log').read_text()}")
    runs = 'socwall_source_runs_total{source="events"}'
    try:
        wait_for(lambda: query(url, runs), 60, "the first scrape")
        with urllib.request.urlopen(f"{url}/api/v1/targets", timeout=5) as answer:
            (target,) = json.loads(answer.read())["data"]["activeTargets"]
        assert target["health"] == "up" and target["lastError"] == ""
        (series,) = query(url, runs)
        assert series["metric"] == {"__name__": "socwall_source_runs_total", "source": "events",
                                    "job": "socwall", "instance": target["labels"]["instance"]}
        assert float(series["value"][1]) == 1
        read = query(url, 'socwall_source_records_read_total{source="events"}')
        assert float(read[0]["value"][1]) == 3
        write_lines(make_config.data_dir, [1])
        run_all_once(config, store, CLOCK)
        wait_for(lambda: float(query(url, runs)[0]["value"][1]) == 2, 30, "the next count")
        with urllib.request.urlopen(f"{url}/api/v1/metadata?metric=socwall_source_runs_total",
                                    timeout=5) as answer:  # fmt: skip
            (metadata,) = json.loads(answer.read())["data"]["socwall_source_runs_total"]
        assert metadata["type"] == "counter"
    finally:
        process.terminate()
        process.wait(timeout=20)
        server.shutdown()

