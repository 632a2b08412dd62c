"""The `query` source for flows: the engine's sums equal the file source's, panel for panel,
refreshes are incremental from a watermark kept in Redis, and failures say why in words."""

import json
import time
from datetime import UTC, datetime, timedelta

import duckdb
import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from socwall.dashboard.clock import Clock
from socwall.dashboard.config import parse_config
from socwall.dashboard.jobs import run_panel, run_source
from socwall.errors import Waiting
from socwall.feeds import query
from socwall.feeds.query_engines import QueryError
from tests.feeds import query_data as qd

START = datetime(2024, 3, 1, tzinfo=UTC)
NOW = START + timedelta(days=1, hours=1)
BUCKETS = list(range(int(START.timestamp()), int(NOW.timestamp()), 300))


def query_config(**fields) -> query.QueryConfig:
    defaults = {"type": "query", "engine": "duckdb", "kind": "flows", "time_column": "ts",
                "columns": qd.VAST_COLUMNS, "backfill_step": "30d"}  # fmt: skip
    return query.QueryConfig(**{**defaults, **fields})


def wall(redis_url, prefix, sources: dict) -> "WallConfig":  # noqa: F821
    """One page with a top_talkers panel per source."""
    panels = [{"id": f"top_{name}", "widget": "top_talkers", "title": name, "source": name,
               "at": [n + 1, 1], "options": {"window": "1h"}}
              for n, name in enumerate(sources)]  # fmt: skip
    return parse_config({
        "title": "t", "store": {"url": redis_url, "prefix": prefix}, "sources": sources,
        "pages": [{"id": "p", "title": "P", "grid": {"columns": len(sources), "rows": 1},
                   "panels": panels}],
    })  # fmt: skip


def refresh_both(config, store):
    """Run the `files` and the `lake` source once; the lake's counts must equal the files'."""
    clock = Clock(replay_start=NOW - timedelta(minutes=20), frozen=True)
    statuses = {name: run_source(config, name, store, clock) for name in ("files", "lake")}
    assert statuses["lake"]["status"] == "ok", statuses["lake"]
    for key in ("rows", "bad_rows", "repaired", "ports_cleared"):
        assert statuses["lake"][key] == statuses["files"][key], key
    return clock, statuses


def payload_without_names(store, panel_id: str) -> dict:
    data = store.panel_data(panel_id)
    assert data is not None, store.panel_meta(panel_id)
    return {k: v for k, v in data.items() if k not in ("source", "title")}


def test_duckdb_over_parquet_gives_the_file_sources_pairs_counts_and_panel(tmp_path, store, redis_url, prefix):
    rows = qd.vast_rows(START, 6000)
    csv_path, parquet_path = qd.vast_csv(rows, tmp_path / "f.csv"), qd.vast_parquet(rows, tmp_path / "f.parquet")
    config = wall(redis_url, prefix, {
        "files": {"type": "flows", "path": str(csv_path), "format": "vast"},
        "lake": {**query_config(parquet=str(parquet_path)).model_dump(mode="json"), "refresh": "1m"},
    })  # fmt: skip
    clock, statuses = refresh_both(config, store)
    assert statuses["lake"]["repaired"] > 0 and statuses["lake"]["ports_cleared"] > 0
    assert statuses["lake"]["bad_rows"] > 0  # 2^60 bytes, 010.0.0.1, 300.1.1.1, not-an-ip
    file_pairs = qd.stored_pairs(store, "files", BUCKETS)
    assert len(file_pairs) > 1000
    assert qd.stored_pairs(store, "lake", BUCKETS) == file_pairs
    assert any(":" in host for _, host, *_ in file_pairs)  # IPv6 hosts decided in Python
    # not only the same as each other: the same as a plain loop over the rows written
    by_loop = qd.pair_totals_by_loop(rows, BUCKETS[0], BUCKETS[-1] + 300)
    assert qd.stored_pair_totals(file_pairs) == by_loop and len(by_loop) == 195
    assert sum(1 for r in rows if r[5].startswith("203.0.113.") and r[7] == 443) > 50  # swapped
    for panel in config.panels():
        run_panel(config, panel, store, clock)
    assert payload_without_names(store, "top_lake") == payload_without_names(store, "top_files")


@pytest.mark.skipif(not qd.ZEEK_CONN.exists(), reason="../shared/data is not here")
def test_real_zeek_capture_through_duckdb_equals_the_zeek_reader(tmp_path, store):
    parquet_path = qd.zeek_parquet(qd.ZEEK_CONN, tmp_path / "conn.parquet")
    from socwall.feeds import flows

    end = datetime(2018, 11, 10, tzinfo=UTC)
    files = flows.FlowsConfig(type="flows", path=str(qd.ZEEK_CONN), retention="30d")
    file_stats = flows.Source(files, "files").ingest(store, end)
    lake = query_config(parquet=str(parquet_path), columns=qd.ZEEK_COLUMNS, time_unit="s",
                        retention="30d", backfill_step="60d")  # fmt: skip
    lake_stats = query.Source(lake, "lake").ingest(store, end)
    buckets = list(range(int((end - timedelta(days=10)).timestamp()), int(end.timestamp()), 300))
    file_pairs = qd.stored_pairs(store, "files", buckets)
    assert len(file_pairs) > 100
    assert qd.stored_pairs(store, "lake", buckets) == file_pairs
    # an independent count: rows of the log that are not comments
    data_rows = sum(1 for line in qd.ZEEK_CONN.read_text().splitlines() if line and not line.startswith("#"))
    assert lake_stats["rows"] + lake_stats["bad_rows"] == data_rows == 13001
    assert (lake_stats["rows"], lake_stats["bad_rows"]) == (file_stats["rows"], file_stats["bad_rows"])


def test_a_refresh_asks_from_the_watermark_minus_lag_and_replaces_those_buckets(tmp_path, store):
    lake_dir = tmp_path / "lake"
    lake_dir.mkdir()
    qd.vast_parquet(qd.vast_rows(START, 2000), lake_dir / "a.parquet")
    config = query_config(parquet=str(lake_dir / "*.parquet"), lag="10m")
    query.Source(config, "lake").ingest(store, NOW)
    mark = store.document("lake", "watermark")["bucket"]
    assert mark == max(b for b in BUCKETS if store.flow_pairs("lake", [b]).shape[0])
    before = qd.stored_pairs(store, "lake", BUCKETS)

    source = query.Source(config, "lake")  # a new process: only the store remembers
    start, end, backfilling = source.window(mark, NOW)
    assert int(start.timestamp()) == mark - 600 and not backfilling
    late = [[r[0] - 60, *r[1:]] for r in qd.vast_rows(datetime.fromtimestamp(mark, UTC), 1)]
    late[0][5], late[0][6], late[0][14] = "172.16.0.99", "198.51.100.7", 12345  # a new pair
    qd.vast_parquet(late, lake_dir / "b.parquet")
    source.ingest(store, NOW)
    after = qd.stored_pairs(store, "lake", BUCKETS)
    added = sorted(set(after) - set(before))
    assert [(host, peer, sent) for _, host, peer, sent, *_ in added] == [("172.16.0.99", "198.51.100.7", 12345)]
    assert set(before) <= set(after)  # asking a bucket again replaced it: nothing doubled
    assert len(after) == len(before) + 1


def test_first_start_backfills_the_retention_one_step_per_refresh_with_progress(tmp_path, store):
    path = qd.vast_parquet(qd.vast_rows(START, 500), tmp_path / "f.parquet")
    config = query_config(parquet=str(path), retention="3d", backfill_step="1d")
    now = START + timedelta(days=1, hours=12)
    source = query.Source(config, "lake")
    steps = []
    for _ in range(5):
        stats = source.ingest(store, now)
        steps.append(stats.get("backfill"))
    # 3 days in steps of 1 day, each re-asking the 10 minutes of `lag`: four refreshes
    assert [step is None for step in steps] == [False, False, False, True, True], steps
    percents = [int(step.split(", ")[1].split("%")[0]) for step in steps[:3]]
    assert 0 < percents[0] < percents[1] < percents[2] <= 100, steps
    full = qd.stored_pairs(store, "lake", BUCKETS)
    expected = query.Source(query_config(parquet=str(path), retention="3d"), "once")
    expected.ingest(store, now)
    assert full == qd.stored_pairs(store, "once", BUCKETS) and full
    by_loop = qd.pair_totals_by_loop(qd.vast_rows(START, 500), (now - timedelta(days=3)).timestamp(),
                                     now.timestamp())  # fmt: skip
    assert qd.stored_pair_totals(full) == by_loop and len(by_loop) > 50


def test_a_missing_column_is_named_with_the_columns_the_table_has(tmp_path, store):
    path = qd.vast_parquet(qd.vast_rows(START, 10), tmp_path / "f.parquet")
    columns = {**qd.VAST_COLUMNS, "src_ip": "srcaddr"}
    with pytest.raises(QueryError, match=r"no column srcaddr \(for src_ip\); the table has: .*firstSeenSrcIp"):
        query.Source(query_config(parquet=str(path), columns=columns), "lake").ingest(store, NOW)


def test_a_failure_backs_off_and_says_why_until_the_next_attempt(tmp_path, store):
    config = query_config(parquet=str(tmp_path / "none-*.parquet"), refresh="1m")
    with pytest.raises(QueryError, match="cannot read"):
        query.Source(config, "lake").ingest(store, NOW)
    with pytest.raises(Waiting, match=r"^cannot read .* \(next try at 01:01:00 UTC\)$"):
        query.Source(config, "lake").ingest(store, NOW + timedelta(seconds=59))
    with pytest.raises(QueryError, match="cannot read"):
        query.Source(config, "lake").ingest(store, NOW + timedelta(seconds=61))
    assert store.fetch_state("lake", "query")["failures"] == "2"


def test_a_query_past_its_timeout_is_cancelled(tmp_path, store):
    database = tmp_path / "slow.duckdb"
    with duckdb.connect(str(database)) as con:  # a view that takes minutes to scan
        con.sql("CREATE VIEW flows AS SELECT TIMESTAMPTZ '2024-03-01 12:00:00+00' + to_seconds(a.range % 60) AS ts, "
                "'172.16.0.' || (a.range % 200) AS src, '203.0.113.' || (b.range % 200) AS dst, "
                "a.range AS bytes FROM range(100000) a, range(100000) b")
    config = query_config(url=f"duckdb://{database}", table="flows", timeout="1s",
                          columns={"src_ip": "src", "dst_ip": "dst", "bytes_out": "bytes"})  # fmt: skip
    started = time.monotonic()
    with pytest.raises(QueryError, match="ran past its timeout"):
        query.Source(config, "lake").ingest(store, NOW)
    assert time.monotonic() - started < 10


def test_naive_local_timestamps_are_bucketed_in_utc_across_dst(tmp_path, store):
    # Europe/Berlin: 2024-03-31 02:00 local does not exist; 01:30 is 00:30 UTC, 03:30 is 01:30 UTC
    local = [datetime(2024, 3, 31, 1, 30), datetime(2024, 3, 31, 3, 30)]
    table = pa.table({"ts": pa.array(local, pa.timestamp("us")), "src": ["172.16.0.1"] * 2,
                      "dst": ["203.0.113.1"] * 2, "bytes": [10, 20]})  # fmt: skip
    pq.write_table(table, tmp_path / "f.parquet")
    config = query_config(parquet=str(tmp_path / "f.parquet"), timezone="Europe/Berlin",
                          columns={"src_ip": "src", "dst_ip": "dst", "bytes_out": "bytes"})  # fmt: skip
    query.Source(config, "lake").ingest(store, datetime(2024, 3, 31, 6, tzinfo=UTC))
    half_past = [int(datetime(2024, 3, 31, h, 30, tzinfo=UTC).timestamp()) for h in (0, 1)]
    stored = qd.stored_pairs(store, "lake", half_past)
    assert [(bucket, sent) for bucket, _, _, sent, *_ in stored] == list(zip(half_past, [10, 20], strict=True))


UNRUNNABLE = ("trino", "impala", "clickhouse")


@pytest.mark.parametrize("dialect", UNRUNNABLE)
@pytest.mark.parametrize("time_unit", ["timestamp", "ms"])
def test_every_query_compiles_for_engines_that_cannot_run_here(dialect, time_unit):
    time_type = "timestamp('UTC')" if time_unit == "timestamp" else "int64"
    schema = {"ts": time_type, "day": "string", **{c: "string" for c in ("sa", "da", "proto")},
              **{c: "int64" for c in ("sp", "dp", "ob", "ib")}}  # fmt: skip
    table = ibis.table(schema, name="netflow")
    config = query_config(engine=dialect, url=f"{dialect}://x@h/db", table="netflow", time_unit=time_unit,
                          partition={"column": "day"}, columns={"src_ip": "sa", "dst_ip": "da", "proto": "proto",
                          "src_port": "sp", "dst_port": "dp", "bytes_out": "ob", "bytes_in": "ib"})  # fmt: skip
    for expr in query.Source(config, "lake").expressions(table, START, NOW):
        sql = ibis.to_sql(expr, dialect=dialect)
        assert "netflow" in sql and "GROUP BY" in sql.upper()
        assert "2024-03-0" in sql or str(int(START.timestamp()) * 1000) in sql  # the window is in the query


def test_stored_pairs_sum_a_pair_named_two_ways_and_count_special_ipv6_sides():
    from socwall.feeds import query_flows as qf
    from socwall.feeds.flow_rules import PRIVATE_NETWORKS, Networks

    groups = [  # bucket, host, peer, state, bytes, received, connections, bytes_opened, opened
        (300, "172.16.0.1", "203.0.113.5", qf.CROSSING, 13, 8, 3, 10, 2),  # summed by the engine
        (300, "FD00::1", "2001:db8::9", qf.UNSETTLED, 5, 0, 1, 0, 0),  # src opened: it sent 5
        (300, "fd00::1", "2001:db8::9", qf.UNSETTLED, 6, 0, 1, 0, 0),
        (300, "203.0.113.5", "::ffff:172.16.0.1", qf.UNSETTLED, 7, 4, 1, 0, 0),  # the peer opened
        (600, "fe80::1", "172.16.0.1", qf.UNSETTLED_SPECIAL, 1, 1, 4, 0, 0),
        (600, "::ffff:224.0.0.1", "172.16.0.1", qf.UNSETTLED, 1, 1, 5, 0, 0),
        (600, None, None, qf.OTHER, 9, 9, 8, 0, 0),  # inside only: not stored
        (600, None, None, qf.BAD, 9, 9, 2, 0, 0),
    ]  # fmt: skip
    names = ("bucket", "host", "peer", "state", "bytes", "received", "connections", "bytes_opened", "opened")
    table = pa.table(dict(zip(names, map(list, zip(*groups, strict=True)), strict=True)))
    table = table.set_column(3, "state", table["state"].cast(pa.int8()))
    pairs, special = qf.stored_pairs(table, Networks(PRIVATE_NETWORKS, []), 300)
    got = sorted(zip(*(pairs[c].to_pylist() for c in ("bucket", "host", "peer", "bytes", "connections",
                                                       "bytes_opened", "opened")), strict=True))  # fmt: skip
    # ::ffff:172.16.0.1 is 172.16.0.1: the settled pair is summed into the engine's crossing one
    assert got == [(300, "172.16.0.1", "203.0.113.5", 17, 4, 10, 2), (300, "fd00::1", "2001:db8::9", 11, 2, 11, 2)]
    assert special == 9  # fe80::1 (4) and the IPv4-mapped multicast (5): the engine left both to Python


def test_per_bucket_counts_come_from_the_same_groups():
    from socwall.feeds import query_flows as qf

    groups = [  # bucket, state, connections, repaired, cleared, last
        (300, qf.CROSSING, 3, 1, 0, 310), (300, qf.BAD, 2, 0, 1, 399), (300, qf.SPECIAL_SIDE, 4, 0, 0, 320),
        (600, qf.UNSETTLED_SPECIAL, 5, 2, 0, 650), (600, qf.OTHER, 1, 0, 3, 601),
    ]  # fmt: skip
    names = ("bucket", "state", "connections", "repaired", "cleared", "last")
    table = pa.table(dict(zip(names, map(list, zip(*groups, strict=True)), strict=True)))
    _, per_bucket = qf.split_answers([table.set_column(1, "state", table["state"].cast(pa.int8()))])
    columns = ("bucket", "rows", "bad_rows", "special", "repaired", "cleared", "last")
    assert sorted(zip(*(per_bucket[c].to_pylist() for c in columns), strict=True)) == [
        (300, 9, 2, 4, 1, 1, 399), (600, 6, 0, 5, 2, 3, 650)]


def test_stored_pairs_of_an_answer_in_several_chunks_make_the_same_blobs():
    from socwall.feeds import query_flows as qf
    from socwall.feeds.flow_rules import PRIVATE_NETWORKS, Networks
    from socwall.feeds.flow_sums import flow_blobs, rank_hosts

    def chunk(rows):  # bucket, host, peer, bytes
        names = ("bucket", "host", "peer", "bytes")
        table = pa.table(dict(zip(names, map(list, zip(*rows, strict=True)), strict=True)))
        n = table.num_rows
        return table.append_column("state", pa.array([qf.CROSSING] * n, pa.int8())).append_column(
            "received", pa.array([0] * n)).append_column("connections", pa.array([1] * n)).append_column(
            "bytes_opened", table["bytes"]).append_column("opened", pa.array([1] * n))  # fmt: skip

    first = chunk([(300, "10.0.0.1", "8.8.8.8", 5), (600, "10.0.0.2", "1.1.1.1", 7)])
    second = chunk([(300, "10.0.0.2", "8.8.8.8", 3), (600, "10.0.0.1", "9.9.9.9", 1)])
    groups = pa.concat_tables([first, second])
    assert groups["host"].num_chunks == 2
    pairs, _ = qf.stored_pairs(groups, Networks(PRIVATE_NETWORKS, []), 300)
    blobs = {bucket: json.loads(blob) for bucket, blob in flow_blobs(pairs).items()}
    assert blobs[300]["host"] == ["10.0.0.1", "10.0.0.2"] and blobs[300]["peer"] == ["8.8.8.8"] * 2
    assert blobs[600]["host"] == ["10.0.0.2", "10.0.0.1"] and blobs[600]["bytes"] == [7, 1]
    ranked = rank_hosts(pairs, "bytes")
    assert ranked["host"].to_pylist() == ["10.0.0.2", "10.0.0.1"] and ranked["bytes"].to_pylist() == [10, 6]
