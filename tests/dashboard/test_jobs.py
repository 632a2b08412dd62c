"""Source and panel jobs: stamps, errors shown while the last good data stays."""

from datetime import UTC, datetime, timedelta

from socwall.dashboard.clock import Clock
from socwall.dashboard.frame import frame_state
from socwall.dashboard.jobs import run_all_once, run_panel, run_source

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CLOCK = Clock(replay_start=NOW, frozen=True)


def write_events(directory, minutes_ago: list[int], kind="failed_login", name="a.csv"):
    lines = [
        (NOW - timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%SZ") + f",{kind}"
        for m in minutes_ago
    ]
    (directory / name).write_text("ts,kind\n" + "\n".join(lines) + "\n")


def test_panel_payload_from_ingested_events(make_config, store):
    config = make_config()
    # 11:00-12:00 is the last complete hour at 12:00: three events in it, one before
    write_events(make_config.data_dir, [5, 30, 59, 61])
    run_all_once(config, store, CLOCK)
    meta, data = store.panel_meta("failed"), store.panel_data("failed")
    assert meta["status"] == "ok" and meta["data_until"] == NOW.isoformat()
    assert data["current"] == 3
    assert store.source_status("events")["rows"] == 4


def test_unchanged_payload_is_not_written_again(make_config, store):
    config = make_config()
    write_events(make_config.data_dir, [5])
    run_all_once(config, store, CLOCK)
    version = store.panel_meta("failed")["version"]
    store.redis.hset(store.keys.panel("failed"), "data", '{"sentinel": true}')
    run_panel(config, config.panels()[0], store, CLOCK)
    assert store.panel_meta("failed")["version"] == version
    assert store.panel_data("failed") == {"sentinel": True}


def test_failed_panel_job_keeps_last_good_data_and_says_why(make_config, store):
    config = make_config()
    write_events(make_config.data_dir, [5])
    run_all_once(config, store, CLOCK)
    good_meta, good_data = store.panel_meta("failed"), store.panel_data("failed")
    # history corrupted by hand: the job must fail, visibly, without losing the payload
    day_key = store.keys.metric_day("events", "failed", NOW.date())
    store.redis.hset(day_key, "1795428000", "not-a-number")
    meta = run_panel(config, config.panels()[0], store, CLOCK)
    assert meta["status"] == "error"
    assert meta["error"].startswith("could not convert string to float")  # words, no class name
    assert meta["computed_at"] == good_meta["computed_at"]
    assert store.panel_data("failed") == good_data
    state = frame_state(meta, datetime.now(UTC), 3, config.tz)
    assert state.stale and "job failed: could not convert" in state.status_text


def test_failed_source_is_recorded_and_shown_in_its_panels(make_config, store):
    config = make_config()
    (make_config.data_dir / "a.csv").write_text("when,kind\n2026-11-23T11:00:00Z,failed_login\n")
    status = run_source(config, "events", store, CLOCK)
    assert status["status"] == "error"
    assert "column 'ts' (the `timestamp` setting) is missing" in status["error"]
    meta = run_panel(config, config.panels()[0], store, CLOCK)
    assert meta["source"]["status"] == "error"
    assert frame_state(meta, datetime.now(UTC), 3, config.tz).stale


def test_a_recovered_source_clears_its_error(make_config, store):
    config = make_config()
    (make_config.data_dir / "a.csv").write_text("when,kind\n2026-11-23T11:00:00Z,failed_login\n")
    assert run_source(config, "events", store, CLOCK)["status"] == "error"
    write_events(make_config.data_dir, [5])
    status = run_source(config, "events", store, CLOCK)
    assert status["status"] == "ok" and status["error"] is None and status["failed_at"]
