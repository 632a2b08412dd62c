"""run-once and check-config say when the wall would be blind: a glob that matches no file, a
source that failed, a file with nothing recognisable in it."""

import json

from tests.conftest import events_config
from tests.dashboard.test_cli import socwall, write_config
from tests.dashboard.test_jobs import write_events


def test_run_once_fails_when_a_panels_source_matches_no_file(tmp_path, redis_url, prefix):
    data = tmp_path / "events"
    data.mkdir()
    write_events(data, [5, 30])
    raw = events_config(data, redis_url, prefix)
    raw["sources"]["events"]["path"] = str(tmp_path / "moved" / "*.csv")
    path = write_config(tmp_path, raw)
    result = socwall("run-once", "--config", str(path), "--json", "--now", "2026-11-23T12:00:00Z")
    assert result.returncode == 1
    said = f"its source is blind: no file matches {tmp_path / 'moved' / '*.csv'}"
    assert f"run-once: panel failed: {said}" in result.stderr.splitlines()
    meta = json.loads(result.stdout)["failed"]["meta"]
    assert meta["source"]["status"] == "blind"
    going = socwall("run-once", "--config", str(path), "--keep-going", "--now", "2026-11-23T12:00Z")
    assert going.returncode == 0 and f"failed: {said}" in going.stdout


def test_run_once_fails_when_a_source_failed_and_says_why_in_words(tmp_path, redis_url, prefix):
    data = tmp_path / "events"
    data.mkdir()
    (data / "a.csv").write_text("when,kind\n2026-11-23T11:00:00Z,failed_login\n")
    path = write_config(tmp_path, events_config(data, redis_url, prefix))
    result = socwall("run-once", "--config", str(path), "--now", "2026-11-23T12:00:00Z")
    assert result.returncode == 1
    line = next(x for x in result.stderr.splitlines() if x.startswith("run-once: panel failed:"))
    assert line == ("run-once: panel failed: its source failed: a.csv: column 'ts' "
                    "(the `timestamp` setting) is missing")  # fmt: skip


def test_check_config_warns_about_paths_that_match_nothing(tmp_path, redis_url, prefix):
    data = tmp_path / "events"
    data.mkdir()
    raw = events_config(data, redis_url, prefix)
    result = socwall("check-config", str(write_config(tmp_path, raw)))
    warning = f"warning: sources.events.path: {data / '*.csv'} matches no file"
    assert result.returncode == 0 and warning in result.stderr
    assert socwall("check-config", "--strict", str(write_config(tmp_path, raw))).returncode == 1
    write_events(data, [5])
    result = socwall("check-config", "--strict", str(write_config(tmp_path, raw)))
    assert result.returncode == 0 and "warning" not in result.stderr
