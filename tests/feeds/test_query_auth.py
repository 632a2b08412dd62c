"""The `query` source for authentication events: the demo's auth.log, parsed once and loaded
into Parquet and PostgreSQL under a lake's own column names and outcome values, gives the auth
file source's metric series and the same suspicious_users and metric_compare panels."""

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from socwall.dashboard.clock import Clock
from socwall.dashboard.config import parse_config
from socwall.dashboard.demo.auth import DemoAuth
from socwall.dashboard.jobs import run_panel, run_source
from socwall.feeds import auth, query
from tests.feeds.test_query_flows import UNRUNNABLE
from tests.feeds.test_query_postgres import database  # noqa: F401  (fixture)

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2024, 3, 9, 23, 0, tzinfo=UTC)
METRICS = auth.METRICS
COLUMNS = {"user": "account", "outcome": "result", "host": "hostname", "src_ip": "client",
           "method": "method", "reason": "reason", "invalid_user": "no_such_user",
           "privileged": "privileged", "count": "attempts"}  # fmt: skip
OUTCOMES = {"failure": ["FAILED"], "success": ["OK"]}


def demo_auth_log(tmp_path) -> Path:
    folder = tmp_path / "auth"
    DemoAuth(folder, TZ, 7, NOW).write_until(NOW)
    return folder / "auth.log"


def lake_table(log: Path) -> pa.Table:
    """The demo's events, as a lake would hold them."""
    events, bad = auth.parse(log.read_bytes(), "syslog", NOW, TZ)
    assert bad == 0 and len(events) > 30_000
    return as_lake(events)


def as_lake(events: list) -> pa.Table:
    """The auth reader's events under a lake's own column names and outcome words."""
    word = {"failure": "FAILED", "success": "OK", None: None}
    return pa.table({
        "ts": pa.array([e.ts for e in events], pa.timestamp("us", tz="UTC")),
        "hostname": [e.host for e in events], "account": [e.user for e in events],
        "client": [e.src_ip for e in events], "result": [word[e.outcome] for e in events],
        "method": [e.method for e in events], "reason": [e.reason for e in events],
        "no_such_user": [e.invalid_user for e in events], "privileged": [e.privileged for e in events],
        "attempts": pa.array([e.count for e in events], pa.int32()), "program": [e.program for e in events],
    })  # fmt: skip


def lake(engine: str, **where) -> dict:
    return {"type": "query", "engine": engine, "kind": "auth", "time_column": "ts", "columns": COLUMNS,
            "outcomes": OUTCOMES, "retention": "40d", "backfill_step": "60d", **where}  # fmt: skip


def wall(redis_url, prefix, sources: dict):
    panels = []
    for n, name in enumerate(sources):
        panels.append({"id": f"{name}_users", "widget": "suspicious_users", "title": "users", "source": name,
                       "at": [1, n + 1]})  # fmt: skip
        panels += [{"id": f"{name}_{metric}", "widget": "metric_compare", "title": metric, "source": name,
                    "at": [m + 2, n + 1], "options": {"metric": metric, "window": "24h"}}
                   for m, metric in enumerate(METRICS)]  # fmt: skip
    return parse_config({
        "title": "t", "timezone": "Europe/Berlin", "store": {"url": redis_url, "prefix": prefix},
        "sources": sources,
        "pages": [{"id": "p", "title": "P", "grid": {"columns": len(METRICS) + 1, "rows": len(sources)},
                   "panels": panels}],
    })  # fmt: skip


def attempts(store, source_id: str, window) -> list[tuple[str, int]]:
    """The stored attempts, each with how many it stands for. The engine sums identical
    attempts of the same instant into one with their count (the widget weighs each by its
    count), and within one instant its order may differ from the file's."""
    counts = Counter()
    for event in store.auth_events(source_id, *window):
        counts[json.dumps({**event, "count": None}, sort_keys=True)] += event["count"]
    return sorted(counts.items())


def counts_by_loop(log: Path) -> dict[str, int]:
    """The demo log's totals by a plain loop over its lines (it writes one sshd line per
    attempt, no PAM lines and no "message repeated"; a sudo that ran a command is a success
    unless it says "incorrect password attempts"): an anchor independent of both readers."""
    counts = dict.fromkeys(METRICS[:3], 0)
    for line in log.read_text().splitlines():
        if " sshd[" in line and ": Failed password for " in line:
            counts["failed_logins"] += 1
            counts["invalid_user_attempts"] += ": Failed password for invalid user " in line
        elif " sshd[" in line and ": Accepted " in line:
            counts["successful_logins"] += 1
        elif " sudo: " in line and "COMMAND=" in line:
            assert "incorrect password attempts" not in line  # none in the demo: a failure
            counts["successful_logins"] += 1
    return counts


def same_series_and_panels(config, store, lake_name: str, log: Path) -> None:
    clock = Clock(replay_start=NOW, frozen=True)
    statuses = {name: run_source(config, name, store, clock) for name in ("files", lake_name)}
    assert statuses[lake_name]["status"] == "ok", statuses[lake_name]
    assert statuses[lake_name]["rows"] == statuses["files"]["rows"] > 30_000
    ranges = [(NOW - timedelta(days=40), NOW + timedelta(hours=1))]
    for metric in METRICS:
        files = store.metric_series("files", metric, ranges)
        assert len(files) > 100 and files.sum() > 0, metric
        queried = store.metric_series(lake_name, metric, ranges)
        assert queried[queried != 0].to_dict() == files[files != 0].to_dict(), metric
    by_loop = counts_by_loop(log)
    for metric, count in by_loop.items():
        assert store.metric_series(lake_name, metric, ranges).sum() == count, metric
    assert by_loop["failed_logins"] > by_loop["invalid_user_attempts"] > 0
    window = (NOW - timedelta(days=40), NOW)
    assert attempts(store, lake_name, window) == attempts(store, "files", window)
    for panel in config.panels():
        run_panel(config, panel, store, clock)
    users = store.panel_data(f"{lake_name}_users")
    assert users["rows"] and users["rows"][0]["user"] == "cmeyer"  # the planted brute force
    for name in ("users", *METRICS):
        files, queried = (store.panel_data(f"{source}_{name}") for source in ("files", lake_name))
        assert {k: v for k, v in queried.items() if k != "title"} == {k: v for k, v in files.items() if k != "title"}, name


def test_duckdb_over_parquet_gives_the_auth_sources_series_users_and_panels(tmp_path, store, redis_url, prefix):
    log = demo_auth_log(tmp_path)
    pq.write_table(lake_table(log), tmp_path / "auth.parquet")
    config = wall(redis_url, prefix, {
        "files": {"type": "auth", "path": str(log), "timezone": "Europe/Berlin"},
        "duck": lake("duckdb", parquet=str(tmp_path / "auth.parquet")),
    })  # fmt: skip
    same_series_and_panels(config, store, "duck", log)


@pytest.mark.postgres
def test_postgres_table_gives_the_auth_sources_series_users_and_panels(tmp_path, database, store, redis_url, prefix):  # noqa: F811
    log = demo_auth_log(tmp_path)
    ibis.connect(database).create_table("auth_events", lake_table(log))
    config = wall(redis_url, prefix, {
        "files": {"type": "auth", "path": str(log), "timezone": "Europe/Berlin"},
        "pg": lake("postgres", url=database, table="auth_events"),
    })  # fmt: skip
    same_series_and_panels(config, store, "pg", log)


def test_asking_a_span_again_replaces_its_attempts_and_keeps_the_rest(tmp_path, store):
    log = demo_auth_log(tmp_path)
    pq.write_table(lake_table(log), tmp_path / "auth.parquet")
    source = query.Source(query.QueryConfig(**lake("duckdb", parquet=str(tmp_path / "auth.parquet"))), "lake")
    source.ingest(store, NOW)
    window = (NOW - timedelta(days=40), NOW)
    first = attempts(store, "lake", window)
    assert len(first) > 15_000  # the demo log: 17 days whole, and this time 3-4 weeks ago
    mark = store.document("lake", "watermark")["bucket"]
    assert mark > (NOW - timedelta(minutes=15)).timestamp()
    stats = source.ingest(store, NOW)  # asks from the watermark minus lag: a few buckets only
    assert 0 < stats["attempts"] < 200
    assert attempts(store, "lake", window) == first


def test_auth_keeps_the_auth_sources_40_days_unless_told():
    config = {key: value for key, value in lake("duckdb", parquet="x").items() if key != "retention"}
    assert query.QueryConfig(**config).retention == auth.AuthConfig(type="auth", path="x").retention == timedelta(days=40)
    assert query.QueryConfig(**config, retention="3d").retention == timedelta(days=3)


def test_auth_columns_and_metrics_are_checked_with_the_yaml_key():
    with pytest.raises(ValueError, match=r"auth need `columns` for outcome"):
        query.QueryConfig(**{**lake("duckdb", parquet="x"), "columns": {"user": "account"}})
    with pytest.raises(ValueError, match=r"unknown auth fields \['bytes_out'\]"):
        query.QueryConfig(**{**lake("duckdb", parquet="x"), "columns": {**COLUMNS, "bytes_out": "b"}})
    with pytest.raises(ValueError, match="auth gives its own metrics"):
        query.QueryConfig(**lake("duckdb", parquet="x", metrics={"x": {"filter": {"a": 1}}}))


@pytest.mark.parametrize("dialect", UNRUNNABLE)
@pytest.mark.parametrize("time_unit", ["timestamp", "s"])
def test_every_auth_query_compiles_for_engines_that_cannot_run_here(dialect, time_unit):
    time_type = "timestamp('UTC')" if time_unit == "timestamp" else "int64"
    schema = {"ts": time_type, "no_such_user": "boolean", "privileged": "boolean", "attempts": "int32",
              **{c: "string" for c in ("hostname", "account", "client", "result", "method", "reason")}}  # fmt: skip
    table = ibis.table(schema, name="auth_events")
    config = query.QueryConfig(**lake(dialect, url=f"{dialect}://x@h/db", table="auth_events", time_unit=time_unit))
    start = NOW - timedelta(days=1)
    expressions = query.Source(config, "lake").expressions(table, start, NOW)
    assert len(expressions) == 3  # attempts, per-bucket metrics, failing sources per bucket
    for expr in expressions:
        sql = ibis.to_sql(expr, dialect=dialect)
        assert "auth_events" in sql and "GROUP BY" in sql.upper() and "'FAILED'" in sql
        assert "2024-03-0" in sql or str(int(start.timestamp())) in sql  # the window is in the query


SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "auth"
REAL = [("loghub_Linux_2k.log", "syslog", datetime(2024, 7, 28, tzinfo=UTC), "60d"),
        ("windows/*.jsonl", "windows", datetime(2020, 9, 16, tzinfo=UTC), "600d")]  # fmt: skip


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"no real auth logs at {SHARED}")
@pytest.mark.parametrize(("pattern", "fmt", "now", "retention"), REAL)
def test_real_auth_logs_through_duckdb_equal_the_auth_file_source(pattern, fmt, now, retention, tmp_path, store):
    """Real logs written by others (loghub's Linux syslog; Windows Security events with
    sub-second times and explicit credentials): the same metrics and stored attempts."""
    events = []
    for path in sorted(SHARED.glob(pattern)):
        parsed, _ = auth.parse(path.read_bytes(), fmt, now, ZoneInfo("UTC"))
        events += parsed
    assert len(events) > 10
    pq.write_table(as_lake(events), tmp_path / "auth.parquet")
    files = auth.Source(auth.AuthConfig(type="auth", path=str(SHARED / pattern), retention=retention), "files")
    files.ingest(store, now)
    lake_config = lake("duckdb", parquet=str(tmp_path / "auth.parquet"), retention=retention, backfill_step="700d")
    query.Source(query.QueryConfig(**lake_config), "lake").ingest(store, now)
    window = (now - timedelta(days=700), now)
    stored = attempts(store, "files", window)
    assert len(stored) > 10 and attempts(store, "lake", window) == stored
    ranges = [window]
    for metric in METRICS:
        series = store.metric_series("files", metric, ranges)
        queried = store.metric_series("lake", metric, ranges)
        assert queried[queried != 0].to_dict() == series[series != 0].to_dict(), metric


@pytest.mark.parametrize("stored_as", ["naive local", "epoch ms"])
def test_attempts_keep_their_utc_time_from_local_or_epoch_columns(stored_as, tmp_path, store):
    # Europe/Berlin: 2024-03-31 02:00 local does not exist; 01:30.25 is 00:30.25 UTC, 03:30 is 01:30 UTC
    utc = [datetime(2024, 3, 31, 0, 30, 0, 250000, tzinfo=UTC), datetime(2024, 3, 31, 1, 30, tzinfo=UTC)]
    if stored_as == "naive local":
        ts, where = pa.array([t.astimezone(TZ).replace(tzinfo=None) for t in utc], pa.timestamp("us")), {"timezone": "Europe/Berlin"}
    else:
        ts, where = pa.array([int(t.timestamp() * 1000) for t in utc], pa.int64()), {"time_unit": "ms"}
    table = pa.table({"ts": ts, "account": ["ann", "ann"], "result": ["FAILED", "OK"], "client": ["198.51.100.7"] * 2})
    pq.write_table(table, tmp_path / "a.parquet")
    columns = {"user": "account", "outcome": "result", "src_ip": "client"}
    config = query.QueryConfig(**{**lake("duckdb", parquet=str(tmp_path / "a.parquet"), **where), "columns": columns})
    now = datetime(2024, 3, 31, 6, tzinfo=UTC)
    query.Source(config, "lake").ingest(store, now)
    stored = store.auth_events("lake", now - timedelta(days=1), now)
    assert [(e["ts"], e["outcome"], e["user"], e["count"]) for e in stored] == [
        ("2024-03-31T00:30:00.250000+00:00", "failure", "ann", 1), ("2024-03-31T01:30:00+00:00", "success", "ann", 1)]
    thirty = [pd.Timestamp(datetime(2024, 3, 31, h, 30, tzinfo=UTC)) for h in (0, 1)]  # 5-minute buckets
    hours = [(now - timedelta(hours=6), now)]
    assert store.metric_series("lake", "failed_logins", hours).to_dict() == {thirty[0]: 1.0, thirty[1]: 0.0}
    assert store.metric_series("lake", "successful_logins", hours).to_dict() == {thirty[0]: 0.0, thirty[1]: 1.0}
    assert store.metric_series("lake", "failing_source_ips", hours).to_dict() == {thirty[0]: 1.0, thirty[1]: 0.0}


@pytest.mark.postgres
def test_a_refused_login_shows_in_words_in_healthz_without_the_password_and_other_panels_go_on(
        tmp_path, database, store, redis_url, prefix, monkeypatch, caplog):  # noqa: F811
    from socwall.dashboard.app import create_app

    monkeypatch.setenv("SOCWALL_TEST_LAKE_PASSWORD", "s3cret-Lake-Pa55")
    log = demo_auth_log(tmp_path)
    url = database.replace("postgres@", "socwall_nobody@")
    config = wall(redis_url, prefix, {
        "files": {"type": "auth", "path": str(log), "timezone": "Europe/Berlin"},
        "pg": lake("postgres", url=url, table="auth_events", password="${SOCWALL_TEST_LAKE_PASSWORD}"),
    })  # fmt: skip
    clock = Clock(replay_start=NOW, frozen=True)
    statuses = {name: run_source(config, name, store, clock) for name in ("files", "pg")}
    assert statuses["files"]["status"] == "ok"
    assert statuses["pg"]["status"] == "error" and "cannot connect" in statuses["pg"]["error"]
    assert "socwall_nobody" in statuses["pg"]["error"]
    for panel in config.panels():
        run_panel(config, panel, store, clock)
    assert store.panel_data("files_users")["rows"][0]["user"] == "cmeyer"
    health = create_app(config, store, clock).server.test_client().get("/healthz")
    text = health.get_data(as_text=True)
    assert "cannot connect" in text and "socwall_nobody" in text
    assert "s3cret-Lake-Pa55" not in text and "s3cret-Lake-Pa55" not in json.dumps(store.source_status("pg"))
    assert "cannot connect" in caplog.text and "s3cret-Lake-Pa55" not in caplog.text  # nor in the log


def test_metric_grid_takes_the_metrics_of_a_query_source(redis_url, prefix):
    from socwall.dashboard.config import ConfigError

    def grid(metric: str):
        return parse_config({
            "title": "t", "store": {"url": redis_url, "prefix": prefix},
            "sources": {"lake": lake("duckdb", parquet="auth.parquet")},
            "pages": [{"id": "p", "title": "P", "grid": {"columns": 1, "rows": 1}, "panels": [
                {"id": "g", "widget": "metric_grid", "title": "G", "at": [1, 1],
                 "options": {"cells": [{"source": "lake", "metric": metric}]}}]}],
        })  # fmt: skip

    assert grid("failing_source_ips").panels()[0].options.cells[0].metric == "failing_source_ips"
    with pytest.raises(ConfigError, match=r"cells\[0\].metric: no metric 'bytes' \(has: failed_logins"):
        grid("bytes")
