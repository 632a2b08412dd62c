"""The `query` source on a real PostgreSQL server (127.0.0.1:5432 here; .ci/run starts Debian's
when a machine has none): the same pairs and panel as the file source, errors without secrets."""

import os
import secrets
import time

import ibis
import pyarrow.parquet as pq
import pytest

from socwall.dashboard.jobs import run_panel
from socwall.feeds import query
from socwall.feeds.query_engines import QueryError
from tests.feeds import query_data as qd
from tests.feeds.test_query_flows import (
    BUCKETS,
    NOW,
    START,
    payload_without_names,
    query_config,
    refresh_both,
    wall,
)

SERVER = os.environ.get("SOCWALL_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432")
pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def database():
    """A database of its own, dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    name = f"socwall_test_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL at {SERVER}: {error}")
    admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{SERVER}/{name}"
    finally:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
        admin.close()


def test_postgres_table_gives_the_file_sources_pairs_counts_and_panel(tmp_path, database, store, redis_url, prefix):
    rows = qd.vast_rows(START, 6000)
    csv_path, parquet_path = qd.vast_csv(rows, tmp_path / "f.csv"), qd.vast_parquet(rows, tmp_path / "f.parquet")
    ibis.connect(database).create_table("netflow", pq.read_table(parquet_path))
    config = wall(redis_url, prefix, {
        "files": {"type": "flows", "path": str(csv_path), "format": "vast"},
        "lake": query_config(engine="postgres", url=database, table="netflow").model_dump(mode="json"),
    })  # fmt: skip
    clock, _ = refresh_both(config, store)
    file_pairs = qd.stored_pairs(store, "files", BUCKETS)
    assert len(file_pairs) > 1000 and qd.stored_pairs(store, "lake", BUCKETS) == file_pairs
    # not only the same as each other: the same as a plain loop over the rows written
    by_loop = qd.pair_totals_by_loop(rows, BUCKETS[0], BUCKETS[-1] + 300)
    assert qd.stored_pair_totals(file_pairs) == by_loop and len(by_loop) == 195
    for panel in config.panels():
        run_panel(config, panel, store, clock)
    assert payload_without_names(store, "top_lake") == payload_without_names(store, "top_files")


def test_a_wrong_password_is_said_without_the_password(database, store):
    url = database.replace("postgres@", "socwall_nobody@")
    config = query_config(engine="postgres", url=url, table="netflow", password="s3cret-Pa55")
    with pytest.raises(QueryError) as raised:
        query.Source(config, "lake").ingest(store, NOW)
    assert "cannot connect" in str(raised.value) and "socwall_nobody" in str(raised.value)
    assert "s3cret-Pa55" not in str(raised.value)
    assert "s3cret-Pa55" not in str(store.fetch_state("lake", "query"))


def test_a_postgres_query_past_its_timeout_is_cancelled_by_the_server(database, store):
    con = ibis.connect(database)
    con.raw_sql("CREATE VIEW slow AS SELECT TIMESTAMPTZ '2024-03-01 12:00+00' + (g % 60) * INTERVAL '1 s' AS ts, "
                "'172.16.0.' || (g % 200) AS src, '203.0.113.1'::text AS dst, g::bigint AS bytes "
                "FROM generate_series(1, 300000000) AS g").close()
    config = query_config(engine="postgres", url=database, table="slow", timeout="1s",
                          columns={"src_ip": "src", "dst_ip": "dst", "bytes_out": "bytes"})
    started = time.monotonic()
    with pytest.raises(QueryError, match="ran past its timeout"):
        query.Source(config, "lake").ingest(store, NOW)
    assert time.monotonic() - started < 10
