"""The `sensors` widget on a real Redis: week-ago alignment across a DST change, one silent file
of a source with several, lateness, a drop far below the band, and what the rows render."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from socwall.dashboard.config import parse_config
from socwall.dashboard.jobs import run_panel, run_source
from socwall.feeds import arrivals
from socwall.widgets import sensors
from socwall.widgets.context import View
from tests.tick import Tick

BERLIN = ZoneInfo("Europe/Berlin")
WEEK = timedelta(days=7)



def wall(data_dir, redis_url, prefix, **options) -> dict:
    return {"timezone": "Europe/Berlin", "store": {"url": redis_url, "prefix": prefix},
            "sources": {"fw": {"type": "events", "path": str(data_dir / "*.csv"),
                               "metrics": {"n": {"filter": {"kind": "block"}}}}},
            "pages": [{"id": "p", "title": "P", "grid": {"columns": 1, "rows": 1}, "panels": [
                {"id": "sensors", "widget": "sensors", "title": "Sensors", "at": [1, 1],
                 "options": {"quiet": "15m", **options}}]}]}  # fmt: skip


@pytest.fixture
def config(redis_url, prefix, tmp_path):
    return parse_config(wall(tmp_path, redis_url, prefix))


def record(store, at: datetime, rows: int, newest: datetime | None = None) -> None:
    """One ingest, as the job runner's hook records it."""
    arrivals.record(store, "fw", None, {"rows": rows}, False, (newest or at).isoformat(), at)


def rows_by_id(store) -> dict:
    return {r["id"]: r for r in store.panel_data("sensors")["rows"]}


def test_week_ago_is_the_same_local_time_across_the_spring_dst_change(store, config):
    # Tuesday 31 March 2026, 11:15 in Berlin (CEST, UTC+2); a week before, Berlin was UTC+1
    now = datetime(2026, 3, 31, 9, 15, tzinfo=UTC)
    for k in range(1, 5):
        for minute in range(-120, 120, 5):
            at = now - k * WEEK + timedelta(minutes=minute, seconds=30)
            local_hour = at.astimezone(BERLIN).hour  # 500 a bucket between 11:00 and 12:00 local
            record(store, at, 500 if local_hour == 11 else 100)
    for minute in range(-60, 0, 5):
        at = now + timedelta(minutes=minute, seconds=30)
        record(store, at, 500 if at.astimezone(BERLIN).hour == 11 else 100)
    store.write_source_status("fw", {"status": "ok", "newest": now.isoformat()})
    run_panel(config, config.panels()[0], store, Tick(now))
    row = rows_by_id(store)["fw"]
    # 11:00-11:15 local now and in each past week: 3 buckets of 500; aligned by UTC instead,
    # the past weeks' 09:00-09:15 UTC would be 10:00-10:15 local, 300
    assert (row["count"], row["usual"], row["week_ago"]) == ("1.5k", "1.5k–1.5k", "1.5k")
    assert row["state"] == "ok" and row["words"] == "a week ago 1.5k"


def test_one_silent_file_of_two_is_its_own_alarm_row(store, redis_url, prefix, tmp_path):
    config = parse_config(wall(tmp_path, redis_url, prefix))
    files = {name: tmp_path / f"{name}.csv" for name in ("collector-a", "collector-b")}
    start = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    for minute in range(0, 91):
        at = start + timedelta(minutes=minute)
        for name, path in files.items():
            if name == "collector-b" and minute > 60:
                continue  # collector-b stops at 10:00
            new = not path.exists()
            with open(path, "a") as handle:
                handle.write("ts,kind\n" if new else "")
                handle.writelines(f"{at.isoformat()},block\n" for _ in range(20))
        run_source(config, "fw", store, Tick(at))
    clock = Tick(start + timedelta(minutes=90))
    run_panel(config, config.panels()[0], store, clock)
    rows = rows_by_id(store)
    part = rows["fw/collector-b.csv"]
    assert part["state"] == "silent" and part["kind"] == "part"
    # the hour up to the bucket of its last lines, 9:05-10:05: minutes 5-60, 56 x 20 lines
    assert part["words"] == ("collector-b.csv (fw): 0 events in 30 min; 280 per 15 min in the hour "
                             "before (no week-ago history yet)")
    assert rows["fw/collector-a.csv"]["level"] != "alarm"
    assert rows["fw"]["state"] == "learning"  # the source still gets records from collector-a
    facts = store.panel_data("sensors")["facts"]
    assert [f["row"] for f in facts] == ["fw/collector-b.csv"]
    assert list(rows)[0] == "fw/collector-b.csv"  # what needs someone comes first


def test_records_that_arrive_old_are_late(store, config):
    now = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    for k in range(1, 5):
        for minute in range(-60, 60, 5):
            at = now - k * WEEK + timedelta(minutes=minute)
            record(store, at, 300, newest=at - timedelta(seconds=60))
    for minute in range(-30, 1, 5):
        at = now + timedelta(minutes=minute)
        record(store, at, 300, newest=at - timedelta(minutes=50))  # a collector 50 min behind
    store.write_source_status("fw", {"status": "ok", "newest": (now - timedelta(minutes=50))
                                     .isoformat()})  # fmt: skip
    run_panel(config, config.panels()[0], store, Tick(now))
    row = rows_by_id(store)["fw"]
    assert row["state"] == "late" and row["level"] == "alarm"
    assert row["words"] == "fw: newest record 50 min old, usually 1 min"


def test_far_below_the_band_is_low_and_within_noise_is_not(store, config):
    now = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    for k in range(1, 5):
        for minute in range(-60, 60, 5):
            record(store, now - k * WEEK + timedelta(minutes=minute), 1000 + 10 * k)
    for minute in range(-30, 0, 5):
        record(store, now + timedelta(minutes=minute, seconds=20), 200)
    store.write_source_status("fw", {"status": "ok", "newest": now.isoformat()})
    run_panel(config, config.panels()[0], store, Tick(now))
    row = rows_by_id(store)["fw"]
    assert row["state"] == "low"
    assert row["words"] == "fw: 600 events in 15 min, usually 3.0k–3.1k"
    assert row["bar"]["value"] < row["bar"]["low"] < row["bar"]["high"]


def test_rows_render_as_text_with_the_alarm_words_whole():
    payload = {"rows": [{"id": "fw", "name": "<b>fw</b>", "kind": "source", "state": "silent",
                         "level": "alarm", "count": "0", "per_min": 0.0, "usual": "9k–12k",
                         "words": "<b>fw</b>: 0 flows in 16 min, usually 9k–12k per 15 min",
                         "bar": {"value": 0, "low": 60, "high": 80, "week": 70}}],
               "more": 3, "more_alarms": 1, "summary": "1 need attention · 4 sources",
               "quiet": 15, "facts": [{}]}  # fmt: skip
    tree = sensors.render(payload, sensors.Options(), View())
    text = str(tree.to_plotly_json())
    assert "<b>fw</b>: 0 flows in 16 min" in text  # a string child: Dash shows it as text
    summary = tree.children[0]
    assert summary.children == "1 need attention · 4 sources · 3 more not shown (1 need attention)"
    assert "alert" in summary.className


def test_an_unknown_source_in_the_options_is_a_config_error_naming_the_key(tmp_path, redis_url,
                                                                          prefix):  # fmt: skip
    from socwall.dashboard.config_messages import ConfigError

    raw = wall(tmp_path, redis_url, prefix, sources=["fw", "netflow"])
    with pytest.raises(ConfigError) as error:
        parse_config(raw)
    assert "pages[0].panels[0].options.sources[1]: unknown source 'netflow' (sources: fw)" in str(
        error.value)
