"""The `query` source on Apache Spark in local mode (pyspark from PyPI, Java from apt): the same
Parquet files give the file source's pairs and panel and the DuckDB engine's metric series; a query past
its timeout is cancelled. Run alone with `pytest -m spark`; CI runs them with the rest."""

import shutil
import threading
import time
from datetime import timedelta

import pyarrow.parquet as pq
import pytest

from socwall.dashboard.clock import Clock
from socwall.dashboard.jobs import run_panel, run_source
from socwall.feeds import query, query_engines
from socwall.feeds.query_engines import QueryError
from tests.feeds import query_data as qd
from tests.feeds.test_query_events import NOW as EVENTS_NOW
from tests.feeds.test_query_events import demo_events, demo_metrics, lake, totals_by_duckdb
from tests.feeds.test_query_flows import (
    BUCKETS,
    NOW,
    START,
    payload_without_names,
    query_config,
    wall,
)
from tests.feeds.test_query_partitions import assert_pruned_read_gives_the_plain_pairs

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs a Java runtime"),
]
pyspark = pytest.importorskip("pyspark", reason="the spark extra is not installed")


def test_spark_over_parquet_gives_the_file_sources_and_duckdbs_pairs_and_panel(spark, tmp_path, store, redis_url, prefix):
    """The same flows as a VAST CSV (file source), and as Parquet read by DuckDB and by Spark:
    the same counts, stored pairs and top_talkers payload, through the worker's job runner."""
    rows = qd.vast_rows(START, 3000)
    csv_path, parquet_path = qd.vast_csv(rows, tmp_path / "f.csv"), qd.vast_parquet(rows, tmp_path / "f.parquet")
    config = wall(redis_url, prefix, {
        "files": {"type": "flows", "path": str(csv_path), "format": "vast"},
        **{engine: query_config(engine=engine, parquet=str(parquet_path)).model_dump(mode="json")
           for engine in ("duckdb", "pyspark")},
    })  # fmt: skip
    clock = Clock(replay_start=NOW - timedelta(minutes=20), frozen=True)
    statuses = {name: run_source(config, name, store, clock) for name in ("files", "duckdb", "pyspark")}
    assert statuses["pyspark"]["status"] == "ok", statuses["pyspark"]
    for key in ("rows", "bad_rows", "repaired", "ports_cleared"):
        assert statuses["pyspark"][key] == statuses["files"][key] == statuses["duckdb"][key], key
    file_pairs = qd.stored_pairs(store, "files", BUCKETS)
    assert len(file_pairs) > 500 and any(":" in host for _, host, *_ in file_pairs)
    assert qd.stored_pairs(store, "pyspark", BUCKETS) == qd.stored_pairs(store, "duckdb", BUCKETS) == file_pairs
    by_loop = qd.pair_totals_by_loop(rows, BUCKETS[0], BUCKETS[-1] + 300)  # an independent count
    assert qd.stored_pair_totals(file_pairs) == by_loop and len(by_loop) == 195
    for panel in config.panels():
        run_panel(config, panel, store, clock)
    files = payload_without_names(store, "top_files")
    assert files["rows"] and payload_without_names(store, "top_pyspark") == files == payload_without_names(store, "top_duckdb")


def test_spark_and_duckdb_give_the_same_metric_series(spark, tmp_path, store, redis_url, prefix):
    _, table = demo_events(tmp_path)
    pq.write_table(table, tmp_path / "events.parquet")
    where = {"parquet": str(tmp_path / "events.parquet")}
    for engine in ("duckdb", "pyspark"):
        query.Source(query.QueryConfig(**lake(engine, **where)), engine).ingest(store, EVENTS_NOW)
    ranges = [(EVENTS_NOW - timedelta(days=9), EVENTS_NOW)]
    by_sql = totals_by_duckdb(table)  # an independent count: plain SQL on the rows as written
    for metric in demo_metrics():
        duck = store.metric_series("duckdb", metric, ranges)
        assert duck.sum() > 0 and store.metric_series("pyspark", metric, ranges).to_dict() == duck.to_dict()
        assert duck.sum() == by_sql[metric], metric


def test_spark_reads_only_the_days_of_the_window(spark, tmp_path, store):
    assert_pruned_read_gives_the_plain_pairs("pyspark", tmp_path, store)


def endless_flows(spark, name: str) -> None:
    """A view of a trillion flows: any query over it runs far past a test's timeout."""
    spark.range(0, 10**12).selectExpr(
        "timestamp'2024-03-01 12:00:00' AS ts", "concat('172.16.0.', id % 200) AS src",
        "concat('203.0.113.', id % 250) AS dst", "id AS bytes").createOrReplaceTempView(name)


def test_a_spark_query_past_its_timeout_is_cancelled_and_only_that_one(spark, store):
    """Two sources query the session at once; the one with the short timeout is cancelled on
    time, and its cancel leaves the other's jobs running until the other's own timeout."""
    endless_flows(spark, "endless")
    columns = {"src_ip": "src", "dst_ip": "dst", "bytes_out": "bytes"}
    errors = {}

    def ingest(source_id: str, timeout: str) -> None:
        config = query_config(engine="pyspark", table="endless", timeout=timeout, columns=columns)
        started = time.monotonic()
        try:
            query.Source(config, source_id).ingest(store, NOW)
        except QueryError as error:
            errors[source_id] = (str(error), time.monotonic() - started)

    patient = threading.Thread(target=ingest, args=("patient", "15s"))
    patient.start()
    ingest("hasty", "3s")
    patient.join(timeout=60)
    message, seconds = errors["hasty"]
    assert "ran past its timeout (3 s)" in message and seconds < 13, errors
    message, seconds = errors["patient"]
    assert "ran past its timeout (15 s)" in message and 15 <= seconds < 40, errors
    assert spark.range(3).count() == 3  # the session survives the cancels


def test_a_timeout_that_fires_before_spark_starts_the_jobs_still_cancels_them(spark):
    """Under load Spark can take longer to plan a query than its timeout: a cancel sent before
    the jobs exist cancels nothing, so the cancel is sent again until the call returns."""
    import ibis

    endless_flows(spark, "endless_early")
    con = ibis.pyspark.connect(spark)
    expr = (con.table("endless_early").bytes % 1000).sum()
    outcome = {}

    def run() -> None:
        try:
            query_engines.run(con, "pyspark", expr, timedelta(milliseconds=1))  # before any job
        except QueryError as error:
            outcome["error"] = str(error)

    caller = threading.Thread(target=run, daemon=True)
    caller.start()
    caller.join(timeout=60)
    assert not caller.is_alive(), "the query ran on past its timeout"
    assert "ran past its timeout" in outcome["error"]
    assert spark.range(3).count() == 3
