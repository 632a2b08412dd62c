# ruff: noqa: E501 - log lines in their real one-line formats
"""Distinct failing sources over 1 h and 2 h are exact (the union of the per-bucket sets, from
the file source and from a query source), and the chart draws its partial last bucket, marked,
so the line reaches where the big number's window ends."""

import re
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq

from socwall.dashboard.clock import Clock
from socwall.dashboard.config import parse_config
from socwall.dashboard.jobs import run_panel, run_source
from socwall.feeds import auth

NOW = datetime(2026, 1, 15, 12, 37, tzinfo=UTC)


def failures_log() -> list[str]:
    """Three hours of sshd failures: a few addresses fail in bucket after bucket, others once."""
    lines, start = [], NOW - timedelta(hours=3)
    for minute in range(0, 180, 2):
        at = start + timedelta(minutes=minute)
        ip = f"203.0.113.{minute % 7 + 1}" if minute % 3 else f"198.51.100.{minute // 10}"
        lines.append(f"{at:%b %d %H:%M:%S} web1 sshd[{1000 + minute}]: Failed password for root from {ip} port {minute} ssh2\n")
    return lines


def plain_distinct(lines: list[str], start: datetime, end: datetime) -> int:
    """Distinct addresses that failed in [start, end), by a regular expression."""
    found = set()
    for line in lines:
        m = re.match(r"(\w{3} \d\d \d\d:\d\d:\d\d) \S+ sshd\[\d+\]: Failed password for \S+ from (\S+)", line)
        at = datetime.strptime(f"{NOW.year} {m[1]}", "%Y %b %d %H:%M:%S").replace(tzinfo=UTC)
        if start <= at < end:
            found.add(m[2])
    return len(found)


def plain_count(lines: list[str], start: datetime, end: datetime) -> int:
    return sum(1 for line in lines if start <= datetime.strptime(f"{NOW.year} {line[:15]}", "%Y %b %d %H:%M:%S").replace(tzinfo=UTC) < end)


def wall(tmp_path, redis_url, prefix, sources: dict):
    panels = []
    for n, name in enumerate(sources):
        for m, (metric, current) in enumerate([("failing_source_ips", "1h"), ("failing_source_ips", "2h"), ("failed_logins", "1h")]):
            panels.append({"id": f"{name}_{metric}_{current}", "widget": "metric_compare", "title": metric, "source": name,
                           "at": [m + 1, n + 1], "options": {"metric": metric, "current": current, "chart_bucket": "15m", "window": "24h"}})
    return parse_config({"store": {"url": redis_url, "prefix": prefix}, "sources": sources,
                         "pages": [{"id": "p", "title": "P", "grid": {"columns": 3, "rows": len(sources)}, "panels": panels}]})


def as_lake(lines: list[str], out) -> str:
    events, _ = auth.parse("".join(lines).encode(), "syslog", NOW, auth.ZoneInfo("UTC"))
    pq.write_table(pa.table({"ts": pa.array([e.ts for e in events], pa.timestamp("us", tz="UTC")),
                             "account": [e.user for e in events], "client": [e.src_ip for e in events],
                             "result": [e.outcome for e in events]}), out)
    return str(out)


def test_distinct_failing_sources_over_one_and_two_hours_are_exact(tmp_path, store, redis_url, prefix):
    lines = failures_log()
    (tmp_path / "auth.log").write_text("".join(lines))
    lake = {"type": "query", "engine": "duckdb", "kind": "auth", "parquet": as_lake(lines, tmp_path / "auth.parquet"),
            "time_column": "ts", "columns": {"user": "account", "outcome": "result", "src_ip": "client"}, "backfill_step": "60d"}
    config = wall(tmp_path, redis_url, prefix, {"files": {"type": "auth", "path": str(tmp_path / "auth.log")}, "lake": lake})
    clock = Clock(replay_start=NOW, frozen=True)
    for name in ("files", "lake"):
        assert run_source(config, name, store, clock)["status"] == "ok"
    for panel in config.panels():
        assert run_panel(config, panel, store, clock)["status"] == "ok"
    end = NOW.replace(minute=35)  # the last complete 5-minute bucket ends at 12:35
    one, two = plain_distinct(lines, end - timedelta(hours=1), end), plain_distinct(lines, end - timedelta(hours=2), end)
    summed = sum(plain_distinct(lines, end - timedelta(minutes=5 * (k + 1)), end - timedelta(minutes=5 * k)) for k in range(12))
    assert summed > one  # the sum of per-bucket distincts would be wrong here
    for name in ("files", "lake"):
        assert store.panel_data(f"{name}_failing_source_ips_1h")["current"] == one == 13  # summed per bucket: 30
        assert store.panel_data(f"{name}_failing_source_ips_2h")["current"] == two == 19
        chart = store.panel_data(f"{name}_failing_source_ips_1h")
        eleven = datetime(2026, 1, 15, 11, 0, tzinfo=UTC)
        assert chart["today"][chart["x"].index("2026-01-15T11:00")] == plain_distinct(lines, eleven, eleven + timedelta(minutes=15))


def test_the_partial_chart_bucket_is_drawn_and_marked(tmp_path, store, redis_url, prefix):
    lines = failures_log()
    (tmp_path / "auth.log").write_text("".join(lines))
    config = wall(tmp_path, redis_url, prefix, {"files": {"type": "auth", "path": str(tmp_path / "auth.log")}})
    clock = Clock(replay_start=NOW, frozen=True)
    run_source(config, "files", store, clock)
    for panel in config.panels():
        run_panel(config, panel, store, clock)
    for panel_id, count in (("files_failed_logins_1h", plain_count), ("files_failing_source_ips_1h", plain_distinct)):
        data = store.panel_data(panel_id)
        assert data["partial"] == {"x": "2026-01-15T12:30", "until": "12:35"}
        last = data["x"].index("2026-01-15T12:30")
        assert len(data["today"]) == last + 1  # the line reaches 12:35, where the number's window ends
        assert data["today"][last] == count(lines, NOW.replace(minute=30), NOW.replace(minute=35))
        assert data["today"][last - 1] == count(lines, NOW.replace(minute=15), NOW.replace(minute=30))
