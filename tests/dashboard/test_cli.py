"""The socwall command, run as a user runs it: exit codes, messages, JSON on stdout."""

import json
import subprocess
import sys

import yaml

from tests.conftest import events_config
from tests.dashboard.test_jobs import NOW, write_events


def socwall(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "socwall.dashboard.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def write_config(tmp_path, raw: dict):
    path = tmp_path / "wall.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_check_config_exit_codes_and_messages(tmp_path, redis_url, prefix):
    raw = events_config(tmp_path, redis_url, prefix)
    good = write_config(tmp_path, raw)
    result = socwall("check-config", str(good))
    assert result.returncode == 0 and result.stdout.strip().endswith(": ok")
    raw["pages"][0]["panels"][1]["refresh"] = "often"
    raw["web"]["colour"] = "red"
    result = socwall("check-config", str(write_config(tmp_path, raw)))
    assert result.returncode == 2
    assert "  web.colour: unknown key" in result.stderr
    assert (
        '  pages[0].panels[1].refresh: expected a duration like 30s or 5m, got "often"'
        in result.stderr
    )


def test_run_once_prints_every_payload_replayed_at_now(tmp_path, redis_url, prefix):
    data = tmp_path / "events"
    data.mkdir()
    write_events(data, [5, 30, 59, 61])
    path = write_config(tmp_path, events_config(data, redis_url, prefix))
    result = socwall("run-once", "--config", str(path), "--json", "--now", "2026-11-23T12:00:00Z")
    assert result.returncode == 0, result.stderr
    payloads = json.loads(result.stdout)
    assert sorted(payloads) == ["blocks", "failed", "failed24"]
    assert payloads["failed"]["data"]["current"] == 3
    assert payloads["failed"]["meta"]["data_until"] == NOW.isoformat()


def test_now_latest_follows_the_newest_record(tmp_path, redis_url, prefix):
    data = tmp_path / "events"
    data.mkdir()
    write_events(data, [5, 30, 59, 61])  # newest record: 11:55
    raw = events_config(data, redis_url, prefix) | {"now": "latest"}
    result = socwall("run-once", "--config", str(write_config(tmp_path, raw)), "--json")
    meta = json.loads(result.stdout)["failed"]["meta"]
    assert meta["data_until"] == "2026-11-23T11:55:00+00:00"


def test_schema_is_json_schema_of_the_config():
    result = socwall("schema")
    schema = json.loads(result.stdout)
    assert schema["title"] == "WallConfig"
    assert {"store", "web", "sources", "pages", "timezone", "now"} <= set(schema["properties"])
    assert "metric" in json.dumps(schema["$defs"]["MetricCompareOptions"])


def test_schema_as_markdown_is_the_reference_page():
    page = socwall("schema", "--markdown").stdout
    assert page.startswith("# Configuration reference")
    poll = "| `web.poll` | duration | `\"10s\"` | how often a screen asks for new panel data |"
    assert poll in page
    assert "### widget `top_talkers`: `options`" in page and "### type `flows`" in page


def test_demo_prints_its_config_as_a_starting_point(tmp_path):
    printed = socwall("demo", "--print-config")
    assert printed.returncode == 0
    (tmp_path / "config.yaml").write_text(printed.stdout)
    checked = socwall("check-config", str(tmp_path / "config.yaml"))
    assert checked.returncode == 0, checked.stderr
    assert printed.stdout.startswith("# socwall configuration")
    assert not (tmp_path / "demo-data").exists()  # printing starts nothing


def test_every_command_has_help():
    commands = ("demo", "serve", "worker", "run-once", "check-config", "schema", "migrate-keys")
    for command in commands:
        result = socwall(command, "--help")
        assert result.returncode == 0 and "usage: socwall" in result.stdout
