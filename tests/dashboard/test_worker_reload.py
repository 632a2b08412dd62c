"""SIGHUP to the worker: a valid file is taken, an invalid one refused; the worker lives on."""

import json
import signal
import subprocess
import sys

import redis
import yaml

from socwall.dashboard.config import parse_config
from socwall.dashboard.config_watch import config_version
from socwall.dashboard.store import Store
from tests.conftest import events_config
from tests.dashboard.test_jobs import write_events
from tests.dashboard.test_leader import wait_for


def test_sighup_reloads_a_valid_config_and_keeps_the_last_good_one(tmp_path, redis_url, prefix):
    data = tmp_path / "events"
    data.mkdir()
    write_events(data, [5, 30])
    config = tmp_path / "wall.yaml"
    raw = events_config(data, redis_url, prefix)
    config.write_text(yaml.safe_dump(raw))
    log = (tmp_path / "worker.log").open("w")
    beat = tmp_path / "beat.json"
    worker = subprocess.Popen(
        [sys.executable, "-m", "socwall.dashboard.cli", "worker", "--config", str(config),
         "--heartbeat-file", str(beat)], stdout=log, stderr=log,
    )  # fmt: skip
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        wait_for(lambda: client.get(f"{prefix}:leader"), 20, "a leader")
        config.write_text("pages: [unclosed\n")
        worker.send_signal(signal.SIGHUP)
        text = lambda: (tmp_path / "worker.log").read_text()  # noqa: E731
        wait_for(lambda: "config reload refused" in text(), 10, "the refusal logged")
        assert worker.poll() is None
        before = beat.stat().st_mtime
        wait_for(lambda: beat.stat().st_mtime > before, 5, "heartbeats after the refusal")
        raw["title"] = "Reloaded wall"
        config.write_text(yaml.safe_dump(raw))
        worker.send_signal(signal.SIGHUP)
        wait_for(lambda: "config reloaded from" in text(), 10, "the reload logged")
        assert worker.poll() is None
        wait_for(lambda: json.loads(beat.read_text())["leader"], 10, "leading again")
    finally:
        worker.kill()
        worker.wait(timeout=10)
        log.close()


def test_a_changed_file_is_reloaded_and_its_version_published(tmp_path, redis_url, prefix):
    data = tmp_path / "events"
    data.mkdir()
    config = tmp_path / "wall.yaml"
    raw = events_config(data, redis_url, prefix)
    config.write_text(yaml.safe_dump(raw))
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "socwall.dashboard.cli", "worker", "--config", str(config)],
        stdout=log, stderr=log,
    )  # fmt: skip
    store = Store(redis.Redis.from_url(redis_url, decode_responses=True), prefix)
    published = lambda: (store.running_config() or {}).get("config_version")  # noqa: E731
    try:
        first = config_version(parse_config(raw))
        wait_for(lambda: published() == first, 20, "the first version published")
        config.write_text("pages: [unclosed\n")  # no signal: the file watch sees it
        wait_for(lambda: (store.running_config() or {}).get("config_problem"), 10, "refusal")
        assert store.running_config()["config_problem"].startswith("wall.yaml: not valid YAML")
        assert published() == first
        raw["title"] = "Edited wall"
        config.write_text(yaml.safe_dump(raw))
        second = config_version(parse_config(raw))
        wait_for(lambda: published() == second, 10, "the new version published")
        assert store.running_config()["config_problem"] is None and worker.poll() is None
    finally:
        worker.kill()
        worker.wait(timeout=10)
        log.close()
