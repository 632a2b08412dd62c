"""Arrivals history and the `sensors` row, end to end on a real Redis: a CSV file source read by
the job runner (its hook records what each ingest read), a file that stops growing turns its
row into an alarm after the quiet time and back when lines arrive."""

from datetime import UTC, datetime, timedelta

import pytest

from socwall.dashboard.config import parse_config
from socwall.dashboard.jobs import run_panel, run_source
from socwall.feeds import arrivals
from tests.tick import Tick

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # a Tuesday, 11:00 in Berlin
WEEK = timedelta(days=7)



def wall(data_dir, redis_url, prefix, **options) -> dict:
    return {
        "timezone": "Europe/Berlin",
        "store": {"url": redis_url, "prefix": prefix},
        "sources": {"fw": {"type": "events", "path": str(data_dir / "*.csv"), "refresh": "1m",
                           "metrics": {"blocks": {"filter": {"kind": "block"}}}}},
        "pages": [{"id": "sensors", "title": "Sensors", "grid": {"columns": 1, "rows": 1},
                   "panels": [{"id": "sensors", "widget": "sensors", "title": "Sensors",
                               "at": [1, 1], "options": {"quiet": "15m", **options}}]}],
    }  # fmt: skip


def append(path, at: datetime, lines: int) -> None:
    new = not path.exists()
    with open(path, "a") as handle:
        if new:
            handle.write("ts,kind\n")
        for n in range(lines):
            handle.write(f"{(at + timedelta(seconds=n % 60)).isoformat()},block\n")


def seed_weeks(store, source_id: str, per_bucket: int, weeks: int = 4, jitter: int = 11) -> None:
    """Past weeks around the same time, recorded by the function the job runner's hook calls."""
    for k in range(1, weeks + 1):
        start = NOW - k * WEEK - timedelta(hours=3)
        for step in range(60):  # 5 hours of 5-minute buckets
            at = start + step * arrivals.BUCKET + timedelta(seconds=30)
            arrivals.record(store, source_id, None, {"rows": per_bucket + (k * 7 + step) % jitter},
                            False, at.isoformat(), at)  # fmt: skip


@pytest.fixture
def setup(store, redis_url, prefix, tmp_path):
    config = parse_config(wall(tmp_path, redis_url, prefix))
    return config, store, tmp_path / "fw.csv"


def row_of(store, panel: str = "sensors", row: str = "fw") -> dict:
    payload = store.panel_data(panel)
    return next(r for r in payload["rows"] if r["id"] == row)


def test_a_file_that_stops_growing_is_silent_after_the_quiet_time_and_back_when_lines_arrive(
        setup):  # fmt: skip
    config, store, path = setup
    seed_weeks(store, "fw", per_bucket=300)
    clock = Tick(NOW - timedelta(minutes=40))
    append(path, clock.at, 600)
    run_source(config, "fw", store, clock)  # the first read: its backlog is history, not arrivals
    assert store.metric_series("fw:arrivals", "rows", [(NOW - WEEK / 7, NOW)]).empty
    for minute in range(-39, 1):  # 60 lines a minute: 300 per bucket, as in the past weeks
        clock.at = NOW + timedelta(minutes=minute)
        append(path, clock.at, 60)
        run_source(config, "fw", store, clock)
    rows = store.metric_series("fw:arrivals", "rows", [(NOW - timedelta(minutes=40), NOW)])
    assert rows.sum() == 39 * 60 and rows.iloc[1:-1].eq(300).all()  # what the file gave, once
    run_panel(config, config.panels()[0], store, clock)
    assert row_of(store)["state"] == "ok" and not store.panel_meta("sensors")["highlight"]

    for minute in (5, 10, 14):  # nothing new: a pause, judged up to the last line, no claim
        clock.at = NOW + timedelta(minutes=minute)
        run_source(config, "fw", store, clock)
        run_panel(config, config.panels()[0], store, clock)
        assert row_of(store)["state"] in ("ok", "pause"), minute
        assert store.panel_data("sensors")["facts"] == []

    clock.at = NOW + timedelta(minutes=16)
    run_source(config, "fw", store, clock)
    run_panel(config, config.panels()[0], store, clock)
    row, payload = row_of(store), store.panel_data("sensors")
    assert row["state"] == "silent" and row["level"] == "alarm"
    low, high = (float(x.rstrip("k")) * (1000 if x.endswith("k") else 1)
                 for x in row["usual"].split("–"))  # fmt: skip
    assert 900 <= low <= high <= 930  # 3 buckets of 300-310 at this time in the past weeks
    assert row["words"].startswith("fw: 0 events in 16 min, usually ")
    assert row["words"].endswith(" per 15 min")
    assert payload["facts"] == [{"kind": "silent", "severity": "alarm", "text": row["words"],
                                 "row": "fw", "services": ["fw"],
                                 "at": clock.at.isoformat()}]  # fmt: skip
    assert payload["highlight"] and store.panel_meta("sensors")["highlight"]

    clock.at = NOW + timedelta(minutes=17)
    append(path, clock.at, 60)
    run_source(config, "fw", store, clock)
    run_panel(config, config.panels()[0], store, clock)
    row = row_of(store)
    assert row["state"] == "back" and row["level"] == "calm"
    assert row["words"] == "sending again, after 17 min without records"
    assert store.panel_data("sensors")["facts"] == []


def test_without_week_ago_history_the_hour_before_the_silence_is_the_usual(setup):
    config, store, path = setup
    clock = Tick(NOW - timedelta(minutes=70))
    append(path, clock.at, 10)
    run_source(config, "fw", store, clock)
    for minute in range(-69, 1):
        clock.at = NOW + timedelta(minutes=minute)
        append(path, clock.at, 20)
        run_source(config, "fw", store, clock)
    clock.at = NOW + timedelta(minutes=20)
    run_source(config, "fw", store, clock)
    run_panel(config, config.panels()[0], store, clock)
    row = row_of(store)
    assert row["state"] == "silent"
    # the hour up to the bucket of the last lines (09:05-10:05): 56 minutes of 20 lines
    assert row["words"] == ("fw: 0 events in 20 min; 280 per 15 min in the hour before "
                            "(no week-ago history yet)")


def test_a_source_that_usually_sleeps_now_is_quiet_not_silent(setup):
    config, store, path = setup
    seed_weeks(store, "fw", per_bucket=0, jitter=1)
    clock = Tick(NOW - timedelta(minutes=60))
    append(path, clock.at, 5)
    run_source(config, "fw", store, clock)
    clock.at = NOW - timedelta(minutes=40)
    append(path, clock.at, 5)
    run_source(config, "fw", store, clock)
    run_source(config, "fw", store, Tick(NOW - timedelta(minutes=35)))
    clock.at = NOW
    run_source(config, "fw", store, clock)
    run_panel(config, config.panels()[0], store, clock)
    row = row_of(store)
    assert row["state"] == "quiet" and row["level"] == "calm"
    assert row["words"] == "nothing for 40 min, as usual at this time"


def test_a_failing_source_is_an_alarm_in_its_own_words(setup, tmp_path):
    config, store, path = setup
    path.write_bytes(b"\xff\xfe not a csv \x00\x00\n" * 3)
    clock = Tick(NOW)
    status = run_source(config, "fw", store, clock)
    assert status["status"] == "error"
    run_panel(config, config.panels()[0], store, clock)
    row = row_of(store)
    assert row["state"] == "error" and row["level"] == "alarm"
    assert row["words"] == f"fw: {status['error']}"


def test_part_names_follow_the_glob_and_drop_rotation_suffixes():
    name = arrivals.part_name
    assert name("/var/log/auth.log.1", "/var/log/auth.log*") == "auth.log"
    assert name("/var/log/auth.log.2.gz", "/var/log/auth.log*") == "auth.log"
    assert name("/nsm/sensor-1/conn.log", "/nsm/*/conn.log") == "sensor-1/conn.log"
    assert name("/data/flows/a.csv-20261123", "/data/flows/*.csv*") == "a.csv"
    assert name("/var/log/auth.log", "/var/log/auth.log") == "auth.log"
    assert name("/data/events/events-2026-11-26.csv", "/data/events/*.csv") == "events-*.csv"
    assert name("/zeek/2026-03-10/conn.10:00:00-11:00:00.log.gz", "/zeek/*/conn.*") == (
        "*/conn.*-*.log")
    assert name("/nsm/sensor1/stats.log", "/nsm/*/stats.log") == "sensor1/stats.log"


def test_news_feeds_are_parts_and_a_failing_feed_says_why(store):
    at = NOW
    arrivals.record(store, "news", None, {"rows": 0}, True, None, at)
    stats = {"rows": 3, "feeds": {"wire": 3, "advisories": 0, "cert": "failed"},
             "warnings": ["cert: unreachable: timed out"]}
    arrivals.record(store, "news", None, stats, False, None, at + timedelta(minutes=15))
    last = store.document("news:arrivals", "last")
    assert set(last["parts"]) == {"wire", "advisories", "cert"}
    assert last["parts"]["cert"]["error"] == "unreachable: timed out"
    assert last["parts"]["wire"]["rows_at"] == (at + timedelta(minutes=15)).isoformat()
    assert "rows_at" not in last["parts"]["advisories"]
    wire = store.metric_series("news:arrivals", arrivals.part_metric("wire"),
                               [(at, at + timedelta(hours=1))])  # fmt: skip
    assert wire.tolist() == [3.0]
