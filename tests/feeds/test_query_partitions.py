"""A `query` source over day-partitioned Parquet (`day=YYYY-MM-DD/` folders) reads only the
days its window needs: a partition outside the window holds a file that is not Parquet at all,
and the refresh still succeeds with the same pairs as the unpartitioned file. Without the
`partition:` mapping the engine would open that file and fail (checked too)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
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


def test_a_kept_query_reads_a_day_folder_added_after_its_first_refresh(tmp_path, store, monkeypatch):
    top = tmp_path / "lake"
    first_day, next_day = qd.vast_rows(START, 3000), qd.vast_rows(START + timedelta(days=1), 90)
    (top / "day=2024-03-01").mkdir(parents=True)
    qd.vast_parquet(first_day, top / "day=2024-03-01" / "part-0.parquet")
    (top / FAR_DAY).mkdir()
    (top / FAR_DAY / "part-0.parquet").write_bytes(b"not parquet: reading this file fails")
    config = query_config(parquet=location("duckdb", top), partition={"column": "day"})
    query.Source(config, "days").ingest(store, NOW)
    before = qd.stored_pairs(store, "days", BUCKETS)

    (top / "day=2024-03-02").mkdir()
    qd.vast_parquet(next_day, top / "day=2024-03-02" / "part-0.parquet")

    def opened_again(self):
        raise AssertionError("the second refresh opened the table again instead of reusing it")

    monkeypatch.setattr(query.Source, "open", opened_again)
    query.Source(config, "days").ingest(store, NOW)
    after = qd.stored_pairs(store, "days", BUCKETS)
    by_loop = qd.pair_totals_by_loop(first_day + next_day, BUCKETS[0], BUCKETS[-1] + 300)
    assert qd.stored_pair_totals(after) == by_loop
    assert len(after) > len(before)  # the new day's pairs, in buckets of the new folder only
    assert {row[0] for row in set(after) - set(before)} <= {b for b in BUCKETS if b >= NOW.timestamp() - 3600}


def lake_with_three_time_columns(tmp_path):
    """The VAST rows with their time as UTC timestamps, as Berlin wall-clock time without a
    zone, and as epoch milliseconds."""
    path = qd.vast_parquet(qd.vast_rows(START, 2000), tmp_path / "f.parquet")
    table = pq.read_table(path)
    seconds = table["TimeSeconds"].to_pylist()
    berlin = ZoneInfo("Europe/Berlin")
    local = [datetime.fromtimestamp(s, berlin).replace(tzinfo=None) for s in seconds]
    table = table.append_column("local", pa.array(local, pa.timestamp("us")))
    table = table.append_column("ms", pa.array([int(s) * 1000 for s in seconds], pa.int64()))
    pq.write_table(table, path)
    return path


@pytest.mark.parametrize("time", [{"time_column": "ts"}, {"time_column": "ms", "time_unit": "ms"},
                                  {"time_column": "local", "timezone": "Europe/Berlin"}])  # fmt: skip
def test_the_kept_compiled_query_answers_as_the_one_built_for_the_window(tmp_path, time):
    config = query_config(parquet=str(lake_with_three_time_columns(tmp_path)), **time)
    source = query.Source(config, "lake")
    prepared = query.Prepared.make(source)
    for start, end in [(START, NOW), (START + timedelta(hours=3), START + timedelta(hours=5))]:
        kept = prepared.run(source.bounds(prepared.time_type, start, end))
        built = source.answers(start, end)
        assert [answer.num_rows for answer in built] == [answer.num_rows for answer in kept]
        assert built[0].num_rows > 100
        for k, b in zip(kept, built, strict=True):  # the engine groups in no fixed row order
            assert k.schema == b.schema and rows_in_order(k) == rows_in_order(b)


def rows_in_order(table) -> list[tuple]:
    return sorted((tuple(row.values()) for row in table.to_pylist()), key=repr)
