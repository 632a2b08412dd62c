"""The `query` source on Apache Spark in local mode (pyspark from PyPI, Java from apt): the same
Parquet files give the file source's pairs and the DuckDB engine's metric series; a query past
its timeout is cancelled. Run alone with `pytest -m spark`; CI runs them with the rest."""

import shutil
import threading
import time
from datetime import timedelta

import pyarrow.parquet as pq
import pytest
from socwall.dashboard.clock import Clock
from socwall.dashboard.jobs import run_source
from socwall.feeds import query
from socwall.feeds.query_engines import QueryError

from tests.feeds import query_data as qd
from tests.feeds.test_query_events import NOW as EVENTS_NOW
from tests.feeds.test_query_events import demo_events, demo_metrics, lake
from tests.feeds.test_query_flows import BUCKETS, NOW, START, query_config
from tests.feeds.test_query_partitions import assert_pruned_read_gives_the_plain_pairs

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs a Java runtime"),
]
pyspark = pytest.importorskip("pyspark", reason="the spark extra is not installed")


def test_spark_over_parquet_gives_the_file_sources_pairs(spark, tmp_path, store):
    from socwall.feeds import flows

    rows = qd.vast_rows(START, 3000)
    csv_path, parquet_path = qd.vast_csv(rows, tmp_path / "f.csv"), qd.vast_parquet(rows, tmp_path / "f.parquet")
    file_stats = flows.Source(flows.FlowsConfig(type="flows", path=str(csv_path), format="vast"), "files").ingest(store, NOW)
    stats = query.Source(query_config(engine="pyspark", parquet=str(parquet_path)), "spark").ingest(store, NOW)
    assert (stats["rows"], stats["bad_rows"], stats["repaired"]) == (file_stats["rows"], file_stats["bad_rows"], file_stats["repaired"])
    file_pairs = qd.stored_pairs(store, "files", BUCKETS)
    assert len(file_pairs) > 500 and qd.stored_pairs(store, "spark", BUCKETS) == file_pairs


def test_spark_and_duckdb_give_the_same_metric_series(spark, tmp_path, store, redis_url, prefix):
    _, table = demo_events(tmp_path)
    pq.write_table(table, tmp_path / "events.parquet")
    where = {"parquet": str(tmp_path / "events.parquet")}
    for engine in ("duckdb", "pyspark"):
        query.Source(query.QueryConfig(**lake(engine, **where)), engine).ingest(store, EVENTS_NOW)
    ranges = [(EVENTS_NOW - timedelta(days=9), EVENTS_NOW)]
    for metric in demo_metrics():
        duck = store.metric_series("duckdb", metric, ranges)
        assert duck.sum() > 0 and store.metric_series("pyspark", metric, ranges).to_dict() == duck.to_dict()


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


def test_spark_source_through_the_job_runner_reports_ok(spark, tmp_path, store, redis_url, prefix):
    from tests.feeds.test_query_flows import wall

    path = qd.vast_parquet(qd.vast_rows(START, 200), tmp_path / "f.parquet")
    config = wall(redis_url, prefix, {"lake": query_config(engine="pyspark", parquet=str(path)).model_dump(mode="json")})
    status = run_source(config, "lake", store, Clock(replay_start=NOW, frozen=True))
    assert status["status"] == "ok" and status["rows"] > 0, status
