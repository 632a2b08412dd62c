"""A `query` source over day-partitioned Parquet (`day=YYYY-MM-DD/` folders) reads only the
days its window needs: a partition outside the window holds a file that is not Parquet at all,
and the refresh still succeeds with the same pairs as the unpartitioned file. Without the
`partition:` mapping the engine would open that file and fail (checked too)."""

from datetime import timedelta

import pytest

from socwall.feeds import query
from socwall.feeds.query_engines import QueryError
from tests.feeds import query_data as qd
from tests.feeds.test_query_flows import BUCKETS, NOW, START, query_config

FAR_DAY = "day=2030-01-01"  # after any window of these tests; sorts last, so no engine takes
# its schema from there (DuckDB reads the first file of a glob for it)


def partitioned_lake(tmp_path):
    """The same flows as one plain file and as day folders, plus a day far outside every
    window whose only file is unreadable. Returns (plain file, folder)."""
    rows = qd.vast_rows(START, 3000)
    plain = qd.vast_parquet(rows, tmp_path / "plain.parquet")
    top = tmp_path / "lake"
    by_day = {}
    for row in rows:
        day = (START + timedelta(seconds=row[0] - START.timestamp())).strftime("%Y-%m-%d")
        by_day.setdefault(day, []).append(row)
    for day, day_rows in by_day.items():
        (top / f"day={day}").mkdir(parents=True)
        qd.vast_parquet(day_rows, top / f"day={day}" / "part-0.parquet")
    (top / FAR_DAY).mkdir()
    (top / FAR_DAY / "part-0.parquet").write_bytes(b"not parquet: reading this file fails")
    return plain, top


def location(engine: str, top) -> str:
    """DuckDB takes a glob; Spark takes the top folder (its partition discovery starts there)."""
    return str(top / "**" / "*.parquet") if engine == "duckdb" else str(top)


def assert_pruned_read_gives_the_plain_pairs(engine: str, tmp_path, store):
    plain, top = partitioned_lake(tmp_path)
    lake = query_config(engine=engine, parquet=location(engine, top), partition={"column": "day"})
    query.Source(lake, "days").ingest(store, NOW)
    query.Source(query_config(engine=engine, parquet=str(plain)), "plain").ingest(store, NOW)
    pairs = qd.stored_pairs(store, "plain", BUCKETS)
    assert len(pairs) > 500 and qd.stored_pairs(store, "days", BUCKETS) == pairs
    by_loop = qd.pair_totals_by_loop(qd.vast_rows(START, 3000), BUCKETS[0], BUCKETS[-1] + 300)
    assert qd.stored_pair_totals(pairs) == by_loop and len(by_loop) == 195  # an independent count

    # the same folder without the partition mapping: the engine has to open the bad file
    unpruned = query_config(engine=engine, parquet=location(engine, top))
    with pytest.raises(QueryError):
        query.Source(unpruned, "unpruned").ingest(store, NOW)


def test_duckdb_reads_only_the_days_of_the_window(tmp_path, store):
    assert_pruned_read_gives_the_plain_pairs("duckdb", tmp_path, store)
