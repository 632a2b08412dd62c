"""The `queue_http` source through its field mapping, against a local HTTP server replaying
answers in TheHive's, DFIR-IRIS's, Wazuh's and OpenSearch Alerting's documented shapes
(tests/data/queue/README.md), on a real Redis; and what a failing queue shows."""

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from socwall.dashboard.config import parse_config
from socwall.dashboard.jobs import run_panel, run_source
from tests.tick import Tick

RECORDED = Path(__file__).resolve().parents[1] / "data" / "queue"
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


class Replay:
    """A local server answering each (method, path) with a recorded file; it keeps what it was
    asked, and can be told to fail."""

    def __init__(self, routes: dict[tuple[str, str], str]):
        self.routes, self.requests, self.status = routes, [], 200
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self._answer()

            def do_POST(self):
                self._answer()

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                replay.requests.append((self.command, self.path, dict(self.headers), body))
                name = replay.routes.get((self.command, self.path))
                code = replay.status if name else 404
                data = (RECORDED / name).read_bytes() if name and code == 200 else b'{"error":1}'
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()



THEHIVE_QUERY = {"query": [{"_name": "listAlert"},
                           {"_name": "filter", "_ne": {"_field": "stage", "_value": "Closed"}},
                           {"_name": "page", "from": 0, "to": 500}]}  # fmt: skip
PRODUCTS = {
    "thehive": (("POST", "/api/v1/query?name=alerts"), "thehive_listAlert.json", {
        "method": "POST", "body": THEHIVE_QUERY, "headers": {"Authorization": "Bearer ${HIVE_KEY}"},
        "fields": {"id": "_id", "title": "title", "severity": "severity",
                   "created": "_createdAt", "status": "stage", "acknowledged": "inProgressDate"},
        "waiting": ["New"], "closed": ["Closed"],
        "severities": {"critical": [4], "high": [3], "medium": [2], "low": [1]}}),
    "iris": (("GET", "/alerts/filter?per_page=4"), "iris_alerts_filter.json", {
        "bearer_token": "${IRIS_KEY}", "items": "data.alerts", "total": "data.total",
        "fields": {"id": "alert_id", "title": "alert_title", "severity": "severity.severity_name",
                   "created": "alert_creation_time", "status": "status.status_name"},
        "waiting": ["New", "Unspecified"], "closed": ["Closed", "Merged"]}),
    "wazuh": (("POST", "/wazuh-alerts-*/_search"), "wazuh_alerts_search.json", {
        "method": "POST", "username": "socwall", "password": "${WAZUH_PASSWORD}",
        "body": {"size": 500, "query": {"range": {"rule.level": {"gte": 7}}}},
        "items": "hits.hits", "total": "hits.total",
        "fields": {"id": "_id", "title": "_source.rule.description",
                   "severity": "_source.rule.level", "created": "_source.timestamp"},
        "severities": {"critical": ["12-15"], "high": ["10-11"], "medium": ["7-9"],
                       "low": ["0-6"]}}),
    "opensearch": (("GET", "/_plugins/_alerting/monitors/alerts?size=500"),
                   "opensearch_alerting_alerts.json", {
        "items": "alerts", "total": "totalAlerts",
        "fields": {"id": "id", "title": "trigger_name", "severity": "severity",
                   "created": "start_time", "status": "state",
                   "acknowledged": "acknowledged_time"},
        "waiting": ["ACTIVE", "ERROR"], "closed": ["COMPLETED", "DELETED"],
        "severities": {"critical": ["1"], "high": ["2"], "medium": ["3"], "low": ["4"],
                       "info": ["5"]}}),
}  # fmt: skip


def queue_wall(name: str, url: str, redis_url: str, prefix: str) -> dict:
    (_, path), _, mapping = PRODUCTS[name]
    return {"timezone": "Europe/Berlin", "store": {"url": redis_url, "prefix": prefix},
            "sources": {"queue": {"type": "queue_http", "url": url + path,
                                  "allow_hosts": ["127.0.0.1"], "refresh": "1m",
                                  **mapping}},
            "pages": [{"id": "p", "title": "P", "grid": {"columns": 1, "rows": 1}, "panels": [
                {"id": "queue", "widget": "queue", "title": "Queue", "source": "queue",
                 "at": [1, 1]}]}]}  # fmt: skip


@pytest.fixture
def product(request, store, redis_url, prefix, monkeypatch):
    """(config, store, server) for one product: its recorded answer behind its request."""
    for var, value in (("HIVE_KEY", "hive-secret"), ("IRIS_KEY", "iris-secret"),
                       ("WAZUH_PASSWORD", "wazuh-secret")):  # fmt: skip
        monkeypatch.setenv(var, value)
    route, recorded, _ = PRODUCTS[request.param]
    server = Replay({route: recorded})
    yield parse_config(queue_wall(request.param, server.url, redis_url, prefix)), store, server
    server.close()


def read(config, store, at: datetime = NOW) -> tuple[dict, dict]:
    status = run_source(config, "queue", store, Tick(at))
    run_panel(config, config.panels()[0], store, Tick(at))
    return status, store.panel_data("queue")


def levels(payload: dict) -> dict[str, tuple]:
    return {lv["severity"]: (lv["waiting"], lv["acknowledged"], lv["oldest"])
            for lv in payload["levels"]}  # fmt: skip


@pytest.mark.parametrize("product", ["thehive"], indirect=True)
def test_thehive_stages_and_in_progress_dates(product):
    config, store, server = product
    status, payload = read(config, store)
    method, path, headers, body = server.requests[0]
    assert (method, path, body) == ("POST", "/api/v1/query?name=alerts", THEHIVE_QUERY)
    assert headers["Authorization"] == "Bearer hive-secret"  # from ${HIVE_KEY}
    assert status["status"] == "ok" and status["rows"] == 4
    assert levels(payload) == {"critical": (1, 0, 42), "high": (0, 1, None),
                               "medium": (1, 0, 15), "low": (0, 1, None)}  # fmt: skip
    assert [b["title"] for b in payload["breaches"]] == [
        "Phishing report: invoice.pdf.exe sent to 14 users"]
    assert payload["mtta"]["today_n"] == 1 and payload["mtta"]["today"] == 15.0  # 35 -> 20 min
    assert payload["facts"][0]["text"] == ("critical waiting 42 min (SLA 15 min): Phishing "
                                           "report: invoice.pdf.exe sent to 14 users")


@pytest.mark.parametrize("product", ["iris"], indirect=True)
def test_iris_statuses_names_and_an_incomplete_page(product):
    config, store, server = product
    status, payload = read(config, store)
    assert server.requests[0][2]["Authorization"] == "Bearer iris-secret"
    assert levels(payload)["high"] == (1, 0, 95) and levels(payload)["critical"] == (0, 1, None)
    assert levels(payload)["medium"] == (0, 1, None) and levels(payload)["low"] == (0, 0, None)
    assert status["warnings"] == ["the answer holds 4 of 5 items: the counts are too low; ask "
                                  "for more per page"]  # fmt: skip
    assert payload["truncated"] and payload["mtta"]["today_n"] == 0  # first seen taken: no time
    assert [b["severity"] for b in payload["breaches"]] == ["high"]  # 95 min against 1 h


@pytest.mark.parametrize("product", ["wazuh"], indirect=True)
def test_wazuh_levels_as_ranges_and_every_alert_waiting(product):
    config, store, server = product
    status, payload = read(config, store)
    method, path, headers, body = server.requests[0]
    assert method == "POST" and body["query"]["range"]["rule.level"] == {"gte": 7}
    assert headers["Authorization"] == "Basic c29jd2FsbDp3YXp1aC1zZWNyZXQ="  # socwall:wazuh-secret
    assert levels(payload) == {"critical": (1, 0, 70), "high": (1, 0, 25), "medium": (1, 0, 4),
                               "low": (0, 0, None)}  # fmt: skip
    assert payload["waiting"] == 3 and payload["acknowledged"] == 0
    assert [b["minutes"] for b in payload["breaches"]] == [70]


@pytest.mark.parametrize("product", ["opensearch"], indirect=True)
def test_opensearch_alerting_acknowledged_times_and_completed_alerts(product):
    config, store, server = product
    _, payload = read(config, store)
    assert levels(payload) == {"critical": (1, 0, 25), "high": (0, 1, None),
                               "medium": (0, 0, None), "low": (0, 0, None)}  # fmt: skip
    # the acknowledged one (50 -> 44 min) and the completed one (180 -> 170 min): 8 min mean
    assert payload["mtta"]["today_n"] == 2 and payload["mtta"]["today"] == 8.0
    _, again = read(config, store, NOW + timedelta(minutes=1))
    assert again["mtta"]["today_n"] == 2  # an acknowledgement is counted once


@pytest.mark.parametrize("product", ["thehive"], indirect=True)
def test_an_item_taken_between_two_polls_counts_from_the_poll_that_saw_it(product, tmp_path):
    config, store, server = product
    read(config, store)
    taken = json.loads((RECORDED / "thehive_listAlert.json").read_text())
    taken[2]["stage"] = "InProgress"  # the medium one, taken without an inProgressDate
    (tmp_path / "taken.json").write_text(json.dumps(taken))
    server.routes[("POST", "/api/v1/query?name=alerts")] = str(tmp_path / "taken.json")
    _, payload = read(config, store, NOW + timedelta(minutes=2))
    assert payload["mtta"]["today_n"] == 2
    assert payload["mtta"]["today"] == round((15 + 17) / 2, 1)  # created 15 min before NOW


@pytest.mark.parametrize("product", ["iris"], indirect=True)
def test_a_refused_or_garbled_queue_is_unknown_never_zero_and_backs_off(product):
    config, store, server = product
    read(config, store)
    server.status = 401
    status, payload = read(config, store, NOW + timedelta(minutes=1))
    assert status["status"] == "error"
    assert "answered HTTP 401 Unauthorized (check the credentials)" in status["error"]
    assert not payload["known"] and payload["waiting"] == 1  # the last known, said as such
    assert payload["facts"][0]["text"].endswith("; last known 1 waiting at 11:00")
    asked = len(server.requests)
    status, _ = read(config, store, NOW + timedelta(minutes=1, seconds=30))
    assert len(server.requests) == asked  # backing off: not asked again yet
    assert "next try at 10:02:00 UTC" in status["error"]  # refresh x 2^0
    server.status = 200
    server.routes = {("GET", "/alerts/filter?per_page=4"): "wazuh_alerts_search.json"}
    status, payload = read(config, store, NOW + timedelta(minutes=4))
    assert "`data.alerts` is not a list of items" in status["error"]
    assert not payload["known"]


def test_a_status_without_its_waiting_values_is_a_config_error(redis_url, prefix, monkeypatch):
    from socwall.dashboard.config_messages import ConfigError

    monkeypatch.setenv("IRIS_KEY", "x")
    raw = queue_wall("iris", "http://iris", redis_url, prefix)
    del raw["sources"]["queue"]["waiting"]
    with pytest.raises(ConfigError) as error:
        parse_config(raw)
    assert "sources.queue" in str(error.value) and "list the `waiting` values" in str(error.value)
