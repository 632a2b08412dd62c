"""The prometheus source against a real Prometheus server (Debian's `prometheus` package).

Weeks of history are written as OpenMetrics, turned into TSDB blocks by Prometheus' own
`promtool tsdb create-blocks-from openmetrics`, and served by a prometheus started on a free
port on 127.0.0.1. Expected values come from the generator's formula, not from our parser.
"""

import http.server
import json
import math
import shutil
import subprocess
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from socwall.dashboard.clock import Clock
from socwall.dashboard.config import ConfigError, parse_config
from socwall.dashboard.jobs import PanelReader, run_source
from socwall.feeds import prometheus as prom
from socwall.widgets import metric_grid, week_ago
from socwall.widgets.context import PanelContext
from tests.conftest import free_port

NOW = datetime(2026, 10, 5, 10, 2, tzinfo=UTC)  # a Monday; history runs up to 10:00
STEP = 300
START = int((NOW - timedelta(days=36)).timestamp()) // STEP * STEP
END = int(NOW.timestamp()) // STEP * STEP
CLUSTERS = ["eu-1", "eu-2", "us-1"]


def latency(cluster: str, ts: int) -> float:
    """Write latency in ms: a daily rhythm; eu-2 is four times slower in the last hour."""
    hour = (ts % 86400) / 3600
    base = 10 + CLUSTERS.index(cluster) + 3 * math.sin(hour / 24 * 2 * math.pi)
    return round(base * (4 if cluster == "eu-2" and ts > END - 3600 else 1), 3)


def openmetrics() -> str:
    lines = ["# TYPE db_write_latency_ms gauge"]
    for cluster in CLUSTERS:
        lines += [
            f'db_write_latency_ms{{cluster="{cluster}"}} {latency(cluster, ts)} {ts}'
            for ts in range(START, END + 1, STEP)
        ]
    lines.append("# TYPE api_calls counter")
    total = 0
    for ts in range(START, END + 1, STEP):  # 60 calls per 5 minutes, every 5 minutes
        lines.append(f"api_calls_total {total} {ts}")
        total += 60
    return "\n".join([*lines, "# EOF", ""])


def last(hours: int) -> tuple[datetime, datetime]:
    """The buckets of the last complete hours before NOW."""
    return datetime.fromtimestamp(END - hours * 3600, UTC), NOW


def ready(url: str, process: subprocess.Popen) -> bool:
    """True once Prometheus is ready; False when it exits first (e.g. its port was taken)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            time.sleep(0.2)
    pytest.fail("prometheus did not become ready in 60 s")


@pytest.fixture(scope="module")
def prometheus_url(tmp_path_factory):
    """A prometheus on a free loopback port serving 36 days of generated history."""
    if shutil.which("prometheus") is None or shutil.which("promtool") is None:
        pytest.fail("these tests need Debian's prometheus package (apt-get install prometheus)")
    work = tmp_path_factory.mktemp("prometheus")
    (work / "history.om").write_text(openmetrics())
    subprocess.run(
        ["promtool", "tsdb", "create-blocks-from", "openmetrics", "-q",
         str(work / "history.om"), str(work / "data")],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    (work / "prometheus.yml").write_text("global:\n  scrape_interval: 1m\n")
    for _attempt in range(3):  # a port taken before Prometheus binds it: try another
        url, process = start_prometheus(work, free_port())
        if ready(url, process):
            break
    else:
        pytest.fail(f"prometheus exited at start:\n{(work / 'prometheus.log').read_text()}")
    yield url
    process.terminate()
    process.wait(timeout=20)


def start_prometheus(work: Path, port: int) -> tuple[str, subprocess.Popen]:
    with open(work / "prometheus.log", "w") as log:
        process = subprocess.Popen(
            ["prometheus", f"--config.file={work / 'prometheus.yml'}",
             f"--storage.tsdb.path={work / 'data'}", "--storage.tsdb.retention.time=100y",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return f"http://127.0.0.1:{port}", process


def source_config(url: str, **extra) -> prom.PrometheusConfig:
    metrics = {
        "db_latency": {"query": "avg by (cluster) (db_write_latency_ms)", "by": "cluster"},
        "api_calls": {"query": "sum(increase(api_calls_total[5m]))", "kind": "count"},
    }
    return prom.PrometheusConfig(type="prometheus", url=url, metrics=metrics, **extra)


def test_history_is_read_into_buckets_with_the_generated_values(prometheus_url, store):
    config = source_config(prometheus_url)
    stats = prom.Source(config, "ops").ingest(store, NOW)
    assert stats["warnings"] == []
    for cluster in CLUSTERS:
        series = store.metric_series("ops", f"db_latency@{cluster}", [(NOW - timedelta(days=37), NOW)])
        # the sample at t closes the bucket [t - 5m, t)
        expected = {ts - STEP: latency(cluster, ts) for ts in range(START + STEP, END + 1, STEP)}
        got = {int(t.timestamp()): v for t, v in series.items()}
        assert len(got) == len(expected)
        assert all(got[k] == pytest.approx(v) for k, v in expected.items())
    assert store.document("ops", "labels-db_latency") == [f"db_latency@{c}" for c in CLUSTERS]
    calls = store.metric_series("ops", "api_calls", [last(hours=2)])
    assert len(calls) == 24 and set(calls.round(6)) == {60.0}


def test_refresh_asks_only_since_the_watermark_and_values_are_set_not_added(
    prometheus_url, store
):
    config = source_config(prometheus_url)
    prom.Source(config, "ops").ingest(store, NOW)
    again = prom.Source(config, "ops").ingest(store, NOW + timedelta(minutes=10))  # a restart
    assert again["rows"] <= 4 * (len(CLUSTERS) + 1)  # the open bucket again, nothing older
    calls = store.metric_series("ops", "api_calls", [last(hours=1)])
    assert set(calls.round(6)) == {60.0}  # asked twice, stored once


def test_limit_keeps_the_largest_label_values(prometheus_url, store):
    config = prom.PrometheusConfig(
        type="prometheus", url=prometheus_url, backfill="1d",
        metrics={"db_latency": {"query": "avg by (cluster) (db_write_latency_ms)", "by": "cluster", "limit": 1}},
    )  # fmt: skip
    prom.Source(config, "ops").ingest(store, NOW)
    assert store.document("ops", "labels-db_latency") == ["db_latency@eu-2"]  # 4x slower now


def test_a_bad_query_is_named_in_words_and_the_other_metrics_go_on(prometheus_url, store):
    config = prom.PrometheusConfig(
        type="prometheus", url=prometheus_url, backfill="1d",
        metrics={
            "broken": {"query": "sum(rate(api_calls_total[5m])"},
            "many": {"query": "db_write_latency_ms"},
            "api_calls": {"query": "sum(increase(api_calls_total[5m]))", "kind": "count"},
        },
    )  # fmt: skip
    stats = prom.Source(config, "ops").ingest(store, NOW)
    broken, many = stats["warnings"]
    assert broken.startswith("broken: bad_data:") and "parse error" in broken
    assert "returns 3 series" in many and "`by`" in many
    assert len(store.metric_series("ops", "api_calls", [last(hours=1)])) == 12


def test_an_unreachable_server_fails_the_source_in_words(store, make_config):
    url = f"http://127.0.0.1:{free_port()}"
    config = source_config(url, backfill="1d")
    with pytest.raises(prom.PrometheusError, match="unreachable"):
        prom.Source(config, "ops").ingest(store, NOW)


class _AuthHandler(http.server.BaseHTTPRequestHandler):
    seen: list = []

    def do_GET(self):  # noqa: N802
        self.seen.append(self.headers.get("Authorization"))
        body = json.dumps({"status": "success", "data": {"resultType": "matrix", "result": []}})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


@pytest.mark.parametrize(
    "extra, header",
    [
        ({"username": "wall", "password": "s3cret"}, "Basic d2FsbDpzM2NyZXQ="),
        ({"bearer_token": "tok-123"}, "Bearer tok-123"),
    ],
)
def test_credentials_are_sent(store, extra, header):
    server = http.server.HTTPServer(("127.0.0.1", 0), _AuthHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _AuthHandler.seen.clear()
        url = f"http://127.0.0.1:{server.server_port}"
        prom.Source(source_config(url, backfill="1d", **extra), "ops").ingest(store, NOW)
        assert _AuthHandler.seen and set(_AuthHandler.seen) == {header}
    finally:
        server.shutdown()


def test_config_errors_name_the_key(redis_url, prefix):
    raw = {
        "store": {"url": redis_url, "prefix": prefix},
        "sources": {"ops": {"type": "prometheus", "url": "prometheus:9090",
                            "metrics": {"x": {"query": "up", "kind": "level"}}}},
        "pages": [{"id": "p", "title": "P", "grid": {"columns": 1, "rows": 1}, "panels": []}],
    }  # fmt: skip
    with pytest.raises(ConfigError) as error:
        parse_config(raw)
    text = "\n".join(error.value.problems)
    assert "sources.ops.url" in text and "sources.ops.metrics.x.kind" in text


def test_grid_over_prometheus_history_flags_the_slow_cluster_only(prometheus_url, store, redis_url, prefix):
    raw = {
        "timezone": "Europe/Berlin",
        "store": {"url": redis_url, "prefix": prefix},
        "sources": {"ops": {"type": "prometheus", "url": prometheus_url, "metrics": {
            "db_latency": {"query": "avg by (cluster) (db_write_latency_ms)", "by": "cluster"},
            "api_calls": {"query": "sum(increase(api_calls_total[5m]))", "kind": "count"}}}},
        "pages": [{"id": "ops", "title": "Ops", "grid": {"columns": 1, "rows": 1}, "panels": [{
            "id": "grid", "widget": "metric_grid", "title": "Ops", "at": [1, 1],
            "options": {"cells": [
                {"source": "ops", "metric": "db_latency", "expand": True, "unit": "ms", "decimals": 1},
                {"source": "ops", "metric": "api_calls"}]}}]}],
    }  # fmt: skip
    config = parse_config(raw)
    status = run_source(config, "ops", store, Clock(NOW, frozen=True))
    assert status["status"] == "ok"

    panel = config.pages[0].panels[0]
    context = PanelContext(NOW, config.tz, None)
    inputs = metric_grid.load(PanelReader(config, store), panel, context)
    payload = metric_grid.compute(inputs, panel.options, context)
    cells = {(c["label"], c["detail"]): c for c in payload["cells"]}
    assert set(cells) == {("db_latency", c) for c in CLUSTERS} | {("api_calls", None)}
    # a gauge's current window is the mean of its buckets: 09:00-10:00 UTC, samples 09:05..10:00
    window = range(END - 3600 + STEP, END + 1, STEP)
    for cluster in CLUSTERS:
        expected = sum(latency(cluster, ts) for ts in window) / len(window)
        assert cells[("db_latency", cluster)]["value"] == pytest.approx(expected)
    assert cells[("db_latency", "eu-2")]["outside"] == "above"
    assert [c for c in payload["cells"] if c["outside"]] == [cells[("db_latency", "eu-2")]]
    assert cells[("api_calls", None)]["value"] == pytest.approx(720)  # a count adds up: 12 x 60
    assert payload["highlight"] is True
    assert week_ago.window_total("gauge")([1.0, float("nan"), 3.0]) == 2.0
