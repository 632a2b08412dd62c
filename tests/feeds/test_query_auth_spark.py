"""The `query` source for authentication events on Apache Spark in local mode: the demo's auth
events in Parquet give the DuckDB engine's attempts and metric series. Run alone with
`pytest -m spark`; CI runs it with the rest."""

import shutil
from datetime import timedelta

import pyarrow.parquet as pq
import pytest

from socwall.feeds import query
from tests.feeds.test_query_auth import (
    METRICS,
    NOW,
    attempts,
    counts_by_loop,
    demo_auth_log,
    lake,
    lake_table,
)

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs a Java runtime"),
]
pyspark = pytest.importorskip("pyspark", reason="the spark extra is not installed")


def test_spark_and_duckdb_give_the_same_attempts_and_auth_metrics(spark, tmp_path, store):
    log = demo_auth_log(tmp_path)
    pq.write_table(lake_table(log), tmp_path / "auth.parquet")
    where = {"parquet": str(tmp_path / "auth.parquet")}
    for engine in ("duckdb", "pyspark"):
        stats = query.Source(query.QueryConfig(**lake(engine, **where)), engine).ingest(store, NOW)
        assert stats["attempts"] > 15_000, engine  # the demo log: 17 days whole + week windows
    window = (NOW - timedelta(days=40), NOW)
    assert attempts(store, "pyspark", window) == attempts(store, "duckdb", window)
    for metric in METRICS:
        duck = store.metric_series("duckdb", metric, [window])
        assert duck.sum() > 0 and store.metric_series("pyspark", metric, [window]).to_dict() == duck.to_dict(), metric
    by_loop = counts_by_loop(log)  # an independent count: a plain loop over the log's lines
    assert by_loop["failed_logins"] > by_loop["invalid_user_attempts"] > 0
    for metric, count in by_loop.items():
        assert store.metric_series("pyspark", metric, [window]).sum() == count, metric
