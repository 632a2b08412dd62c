"""The `query` source for metrics: the demo's events through DuckDB and PostgreSQL give the
events file source's series and the same metric_compare panels."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import ibis
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import yaml

from socwall.dashboard.clock import Clock
from socwall.dashboard.config import parse_config
from socwall.dashboard.demo.events import day_events, planted_anomalies
from socwall.dashboard.jobs import run_panel, run_source
from tests.feeds.test_query_postgres import database  # noqa: F401  (fixture)

DEMO_CONFIG = Path(__file__).resolve().parents[2] / "config.yaml"
DAYS = [datetime(2024, 3, d, tzinfo=UTC) for d in range(1, 10)]
NOW = DAYS[-1] + timedelta(hours=24)  # after the last row: rows later than the reading time wait


def demo_metrics() -> dict:
    """The demo wall's own metric filters (config.yaml, source security_events)."""
    return yaml.safe_load(DEMO_CONFIG.read_text())["sources"]["security_events"]["metrics"]


def demo_events(tmp_path) -> tuple[Path, pa.Table]:
    """Nine days of the demo's generated events as CSV files (for the file source) and one table."""
    tz, anomalies = ZoneInfo("Europe/Berlin"), planted_anomalies(NOW)
    tables = [day_events(day, 7, tz, anomalies) for day in DAYS]
    folder = tmp_path / "events"
    folder.mkdir()
    for day, table in zip(DAYS, tables, strict=True):
        pacsv.write_csv(table, folder / f"events-{day:%Y-%m-%d}.csv")
    return folder, pa.concat_tables(tables)


def wall(redis_url, prefix, sources: dict):
    metrics = list(demo_metrics())
    panels = [{"id": f"{name}_{metric}", "widget": "metric_compare", "title": metric, "source": name,
               "at": [m + 1, n + 1], "options": {"metric": metric, "window": "24h"}}
              for n, name in enumerate(sources) for m, metric in enumerate(metrics)]  # fmt: skip
    return parse_config({
        "title": "t", "timezone": "Europe/Berlin", "store": {"url": redis_url, "prefix": prefix},
        "sources": sources,
        "pages": [{"id": "p", "title": "P", "grid": {"columns": len(metrics), "rows": len(sources)},
                   "panels": panels}],
    })  # fmt: skip


def lake(engine: str, **where) -> dict:
    return {"type": "query", "engine": engine, "kind": "events", "time_column": "ts",
            "metrics": demo_metrics(), "retention": "40d", "backfill_step": "60d", **where}  # fmt: skip


def totals_by_duckdb(table: pa.Table) -> dict[str, float]:
    """Each demo metric's total by plain SQL on the rows as written (count, or sum of `sum`)."""
    connection = duckdb.connect()
    connection.register("rows", table)
    totals = {}
    for metric, spec in demo_metrics().items():
        where, params = [], []
        for column, wanted in spec["filter"].items():
            wanted = wanted if isinstance(wanted, list) else [wanted]
            where.append(f'"{column}" IN ({", ".join("?" * len(wanted))})')  # names from config.yaml
            params += wanted
        value = f'sum("{spec["sum"]}")' if "sum" in spec else "count(*)"
        sql = f"SELECT coalesce({value}, 0) FROM rows WHERE {' AND '.join(where)}"
        totals[metric] = float(connection.execute(sql, params).fetchone()[0])
    return totals


def same_series_and_panels(config, store, lake_name: str, table: pa.Table) -> None:
    clock = Clock(replay_start=NOW, frozen=True)
    statuses = {name: run_source(config, name, store, clock) for name in ("files", lake_name)}
    assert statuses[lake_name]["status"] == "ok", statuses[lake_name]
    assert statuses[lake_name]["rows"] == statuses["files"]["rows"] > 100_000
    ranges = [(DAYS[0], NOW + timedelta(hours=1))]
    for metric in demo_metrics():
        files = store.metric_series("files", metric, ranges)
        assert len(files) > 100 and files.sum() > 0, metric
        queried = store.metric_series(lake_name, metric, ranges)
        assert queried[queried != 0].to_dict() == files.to_dict(), metric
    by_sql = totals_by_duckdb(table)
    assert all(by_sql.values()), by_sql
    for metric, total in by_sql.items():  # not only equal to each other: equal to a plain count
        assert store.metric_series(lake_name, metric, ranges).sum() == total, metric
    for panel in config.panels():
        run_panel(config, panel, store, clock)
    for metric in demo_metrics():
        files, queried = (store.panel_data(f"{name}_{metric}") for name in ("files", lake_name))
        assert {k: v for k, v in queried.items() if k != "title"} == {k: v for k, v in files.items() if k != "title"}, metric


def test_duckdb_over_parquet_gives_the_events_sources_series_and_panels(tmp_path, store, redis_url, prefix):
    folder, table = demo_events(tmp_path)
    pq.write_table(table, tmp_path / "events.parquet")
    config = wall(redis_url, prefix, {
        "files": {"type": "events", "path": str(folder / "*.csv"), "timestamp": "ts", "metrics": demo_metrics()},
        "duck": lake("duckdb", parquet=str(tmp_path / "events.parquet")),
    })  # fmt: skip
    same_series_and_panels(config, store, "duck", table)


@pytest.mark.postgres
def test_postgres_table_gives_the_events_sources_series_and_panels(tmp_path, database, store, redis_url, prefix):  # noqa: F811
    folder, table = demo_events(tmp_path)
    ibis.connect(database).create_table("events", table)
    config = wall(redis_url, prefix, {
        "files": {"type": "events", "path": str(folder / "*.csv"), "timestamp": "ts", "metrics": demo_metrics()},
        "pg": lake("postgres", url=database, table="events"),
    })  # fmt: skip
    same_series_and_panels(config, store, "pg", table)


def test_a_filter_on_a_column_the_table_lacks_names_the_metric(tmp_path, store):
    from socwall.feeds import query
    from socwall.feeds.query_engines import QueryError

    pq.write_table(pa.table({"ts": pa.array([DAYS[0]], pa.timestamp("us", tz="UTC")), "kind": ["x"]}), tmp_path / "e.parquet")
    config = query.QueryConfig(**lake("duckdb", parquet=str(tmp_path / "e.parquet"),
                                      metrics={"hot": {"filter": {"severity": [4, 5]}}}))  # fmt: skip
    with pytest.raises(QueryError, match=r"no column severity \(for metrics.hot\)"):
        query.Source(config, "lake").ingest(store, NOW)
