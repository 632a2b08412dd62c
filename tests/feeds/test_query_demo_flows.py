"""The demo's own flows (VAST 2013 CSV, with its planted exfiltration, flows recorded backwards
and ICMP as OTHER with port 0) loaded into Parquet and PostgreSQL under the VAST column names,
mapped as the README's Impala example maps them: the same top_talkers and hbi_contacts panels
as the flows file source reading the CSV files."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import ibis
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from socwall.dashboard.clock import Clock
from socwall.dashboard.config import parse_config
from socwall.dashboard.demo.flows import EXFIL, DemoFlows
from tests.feeds import query_data as qd
from tests.feeds.test_query_flows import payload_without_names
from tests.feeds.test_query_postgres import database  # noqa: F401  (fixture, by name)

NOW = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)


def demo_flows(tmp_path) -> tuple[Path, pa.Table]:
    """The demo's two days of flow files, and the same rows as one table."""
    folder = tmp_path / "flows"
    DemoFlows(folder, ZoneInfo("Europe/Berlin"), 7, NOW).write_until(NOW)
    tables = [pacsv.read_csv(path) for path in sorted(folder.glob("*.csv"))]
    return folder, pa.concat_tables(tables, promote_options="permissive")


def vast_lake(engine: str, **where) -> dict:
    """The README's Impala form of the VAST netflow table, on another engine."""
    return {"type": "query", "engine": engine, "kind": "flows", "time_column": "TimeSeconds",
            "time_unit": "s", "columns": qd.VAST_COLUMNS, "retention": "3d", "backfill_step": "3d",
            "refresh": "30s", **where}  # fmt: skip


def wall(redis_url, prefix, sources: dict, inventory: Path):
    panels = []
    for n, name in enumerate(sources):
        panels += [{"id": f"top_{name}", "widget": "top_talkers", "title": "top", "source": name,
                    "at": [1, n + 1], "options": {"window": "1h"}},
                   {"id": f"hbi_{name}", "widget": "hbi_contacts", "title": "hbi", "source": name,
                    "at": [2, n + 1], "options": {"inventory": str(inventory)}}]  # fmt: skip
    return parse_config({
        "title": "t", "store": {"url": redis_url, "prefix": prefix}, "sources": sources,
        "pages": [{"id": "p", "title": "P", "grid": {"columns": 2, "rows": len(sources)}, "panels": panels}],
    })  # fmt: skip


def exfil_bytes_by_duckdb(table: pa.Table, now: datetime) -> int:
    """What the exfiltrating host sent to the outside in top_talkers' 1 h window (buckets from
    13:05 as the window ends with the bucket now filling), by plain SQL on the rows as written:
    its own side's bytes, whichever way the row was recorded, so no repair rule is involved."""
    start = now.timestamp() + 300 - 3600
    sql = """SELECT sum(CASE WHEN firstSeenSrcIp = $ip THEN firstSeenSrcTotalBytes
                             ELSE firstSeenDestTotalBytes END)
             FROM rows WHERE (firstSeenSrcIp = $ip OR firstSeenDestIp = $ip)
               AND TimeSeconds >= $start AND TimeSeconds < $end
               AND NOT regexp_matches(CASE WHEN firstSeenSrcIp = $ip THEN firstSeenDestIp
                                           ELSE firstSeenSrcIp END, '^(10|192\\.168)\\.')"""
    connection = duckdb.connect()
    connection.register("rows", table)
    params = {"ip": EXFIL.ip, "start": start // 300 * 300, "end": now.timestamp()}
    return int(connection.execute(sql, params).fetchone()[0])


def same_panels(config, store, lake_name: str, table: pa.Table) -> None:
    from socwall.dashboard.jobs import run_panel, run_source

    clock = Clock(replay_start=NOW, frozen=True)
    statuses = {name: run_source(config, name, store, clock) for name in ("files", lake_name)}
    assert statuses[lake_name]["status"] == "ok", statuses[lake_name]
    for key in ("rows", "bad_rows", "repaired", "ports_cleared"):
        assert statuses[lake_name][key] == statuses["files"][key], key
    assert statuses["files"]["rows"] > 100_000 and statuses["files"]["repaired"] > 0
    buckets = list(range(int((NOW - timedelta(days=3)).timestamp()), int(NOW.timestamp()), 300))
    assert qd.stored_pairs(store, lake_name, buckets) == qd.stored_pairs(store, "files", buckets)
    for panel in config.panels():
        run_panel(config, panel, store, clock)
    top = payload_without_names(store, f"top_{lake_name}")
    assert top == payload_without_names(store, "top_files")
    assert EXFIL.ip in str(top)  # the planted exfiltration ranks
    exfil = next(row for row in top["rows"] if row["host"] == EXFIL.ip)
    assert exfil["value"] == exfil_bytes_by_duckdb(table, NOW)  # an independent count
    hbi = payload_without_names(store, f"hbi_{lake_name}")
    assert hbi["talking"] > 0 and hbi == payload_without_names(store, "hbi_files")


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_demo_flows_through_the_engine_give_the_file_sources_panels(engine, tmp_path, request, store, redis_url, prefix):
    folder, table = demo_flows(tmp_path)
    if engine == "duckdb":
        pq.write_table(table, tmp_path / "netflow.parquet")
        lake = vast_lake("duckdb", parquet=str(tmp_path / "netflow.parquet"))
    else:
        url = request.getfixturevalue("database")
        ibis.connect(url).create_table("netflow", table)
        lake = vast_lake("postgres", url=url, table="netflow")
    files = {"type": "flows", "path": str(folder / "*.csv"), "format": "vast", "retention": "3d"}
    config = wall(redis_url, prefix, {"files": files, "lake": lake}, tmp_path / "hosts.csv")
    same_panels(config, store, "lake", table)
