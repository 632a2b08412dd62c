"""The `alertmanager` source and the `queue` panel against Debian's real prometheus-alertmanager,
started here on a free port: alerts posted, silenced (acknowledged) and resolved through its
API v2, the panel's counts, oldest age, breaches and time to acknowledge following; then the
server stopped, and the panel says the queue is unknown instead of "0 waiting"."""

import json
import shutil
import subprocess
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from socwall.dashboard.config import parse_config
from socwall.dashboard.jobs import run_panel, run_source
from socwall.feeds.alertmanager import AlertmanagerConfig, parse_alerts
from tests.conftest import free_port

BINARY = "/usr/bin/prometheus-alertmanager"


class Alertmanager:
    """prometheus-alertmanager on 127.0.0.1, clustering off, its data in a temporary folder."""

    def __init__(self, workdir):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = workdir / "alertmanager.yml"
        config.write_text('route: {receiver: "null"}\nreceivers: [{name: "null"}]\n')
        self.log = workdir / "alertmanager.log"
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                [BINARY, f"--config.file={config}", f"--storage.path={workdir / 'data'}",
                 f"--web.listen-address=127.0.0.1:{self.port}", "--cluster.listen-address="],
                stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        deadline = time.monotonic() + 20
        while not self.ready():
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, f"not ready in 20 s:\n{self.log.read_text()}"
            time.sleep(0.1)

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/-/ready", timeout=1) as answer:
                return answer.status == 200
        except OSError:
            return False

    def post(self, path: str, body) -> dict | None:
        request = urllib.request.Request(self.url + path, json.dumps(body).encode(),
                                         {"Content-Type": "application/json"})  # fmt: skip
        with urllib.request.urlopen(request, timeout=5) as answer:
            text = answer.read()
        return json.loads(text) if text.strip() else None

    def alert(self, name: str, severity: str, started: datetime, ended: datetime | None = None):
        body = {"labels": {"alertname": name, "severity": severity, "instance": "db-02"},
                "annotations": {"summary": f"{name} on the database"},
                "startsAt": started.isoformat().replace("+00:00", "Z")}  # fmt: skip
        if ended is not None:
            body["endsAt"] = ended.isoformat().replace("+00:00", "Z")
        self.post("/api/v2/alerts", [body])

    def silence(self, name: str) -> str:
        now = datetime.now(UTC)
        answer = self.post("/api/v2/silences", {
            "matchers": [{"name": "alertname", "value": name, "isRegex": False, "isEqual": True}],
            "startsAt": now.isoformat().replace("+00:00", "Z"),
            "endsAt": (now + timedelta(hours=2)).isoformat().replace("+00:00", "Z"),
            "createdBy": "analyst", "comment": "looking into it"})  # fmt: skip
        return answer["silenceID"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def alertmanager(tmp_path):
    if shutil.which(BINARY) is None:
        pytest.fail("needs Debian's prometheus-alertmanager (apt-get install it; .ci/run does)")
    server = Alertmanager(tmp_path)
    yield server
    server.stop()


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def queue_wall(url: str, redis_url: str, prefix: str) -> dict:
    return {"timezone": "Europe/Berlin", "store": {"url": redis_url, "prefix": prefix},
            "sources": {"am": {"type": "alertmanager", "url": url, "refresh": "10s",
                               "timeout": "3s"}},
            "pages": [{"id": "p", "title": "P", "grid": {"columns": 1, "rows": 1}, "panels": [
                {"id": "queue", "widget": "queue", "title": "Alert queue", "source": "am",
                 "at": [1, 1],
                 "options": {"sla": {"critical": "15m", "high": "1h"}}}]}]}  # fmt: skip


def refresh(config, store) -> dict:
    status = run_source(config, "am", store, Clock())
    run_panel(config, config.panels()[0], store, Clock())
    return status


def level(payload: dict, severity: str) -> dict:
    return next(lv for lv in payload["levels"] if lv["severity"] == severity)


def test_posted_silenced_and_resolved_alerts_move_the_queue_panel(alertmanager, store,
                                                                  redis_url, prefix):  # fmt: skip
    config = parse_config(queue_wall(alertmanager.url, redis_url, prefix))
    now = datetime.now(UTC)
    alertmanager.alert("DiskFull", "critical", now - timedelta(minutes=40))
    alertmanager.alert("ReplicationLag", "high", now - timedelta(minutes=12))
    alertmanager.alert("SlowQueries", "warning", now - timedelta(minutes=5))
    assert refresh(config, store)["status"] == "ok"
    payload = store.panel_data("queue")
    assert payload["known"] and payload["waiting"] == 3
    assert [(lv["severity"], lv["waiting"]) for lv in payload["levels"]] == [
        ("critical", 1), ("high", 1), ("medium", 1), ("low", 0)]
    critical = level(payload, "critical")
    assert critical["oldest"] in (40, 41) and critical["breach"]
    assert not level(payload, "high")["breach"]
    (fact,) = payload["facts"]
    assert fact["kind"] == "sla-breach" and fact["severity"] == "alarm"
    assert fact["text"].startswith("critical waiting 4") and fact["text"].endswith(
        "(SLA 15 min): DiskFull on db-02: DiskFull on the database")

    alertmanager.silence("DiskFull")  # someone took it
    refresh(config, store)
    payload = store.panel_data("queue")
    assert (level(payload, "critical")["waiting"], level(payload, "critical")["acknowledged"]) == (
        0, 1)
    assert payload["facts"] == [] and not payload["highlight"]
    assert payload["mtta"]["today_n"] == 1 and 40 <= payload["mtta"]["today"] <= 41.5

    alertmanager.alert("ReplicationLag", "high", now - timedelta(minutes=12),
                       ended=datetime.now(UTC) - timedelta(seconds=1))  # resolved
    refresh(config, store)
    payload = store.panel_data("queue")
    assert level(payload, "high")["waiting"] == 0 and payload["waiting"] == 1
    assert level(payload, "medium")["oldest"] in (5, 6)

    alertmanager.stop()
    status = refresh(config, store)
    assert status["status"] == "error"
    assert f"cannot reach 127.0.0.1:{alertmanager.port}: connection refused" in status["error"]
    payload = store.panel_data("queue")
    assert not payload["known"] and "cannot reach" in payload["problem"]
    (fact,) = payload["facts"]
    assert fact["kind"] == "queue-unknown" and fact["text"].endswith(
        f"; last known 1 waiting at {payload['as_of']}")
    assert store.panel_meta("queue")["highlight"]


def test_a_silence_older_than_the_alert_is_a_maintenance_not_an_acknowledgement():
    config = AlertmanagerConfig(type="alertmanager", url="http://am:9093")
    now = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    alert = {"fingerprint": "f1", "labels": {"alertname": "Down", "severity": "critical"},
             "startsAt": "2026-03-10T09:50:00Z", "endsAt": "2026-03-10T10:05:00Z",
             "status": {"state": "suppressed", "silencedBy": ["s1"], "inhibitedBy": []}}
    before = [{"id": "s1", "startsAt": "2026-03-10T09:00:00Z"}]
    after = [{"id": "s1", "startsAt": "2026-03-10T09:58:00Z"}]
    (maintenance,) = parse_alerts([alert], before, config, now)
    (taken,) = parse_alerts([alert], after, config, now)
    assert maintenance.state == taken.state == "acknowledged"
    assert maintenance.acked_at is None
    assert taken.acked_at == datetime(2026, 3, 10, 9, 58, tzinfo=UTC)
    inhibited = {**alert, "status": {"state": "suppressed", "silencedBy": [],
                                     "inhibitedBy": ["f0"]}}  # fmt: skip
    assert parse_alerts([inhibited], [], config, now) == []


def test_filter_matchers_keep_only_the_teams_alerts(alertmanager, store, redis_url, prefix):
    raw = queue_wall(alertmanager.url, redis_url, prefix)
    raw["sources"]["am"]["filter"] = ['team="soc"']
    config = parse_config(raw)
    now = datetime.now(UTC)
    for name, team in (("PhishingWave", "soc"), ("DiskFull", "ops")):
        alertmanager.post("/api/v2/alerts", [{
            "labels": {"alertname": name, "severity": "high", "team": team},
            "startsAt": (now - timedelta(minutes=3)).isoformat().replace("+00:00", "Z")}])
    assert refresh(config, store)["rows"] == 1
    payload = store.panel_data("queue")
    assert payload["waiting"] == 1 and level(payload, "high")["waiting"] == 1
