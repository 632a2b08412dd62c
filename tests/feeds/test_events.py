"""The events source: incremental reads into metric buckets, against a real Redis store."""

import os
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socwall.dashboard.config import parse_config
from socwall.feeds import events
from tests.conftest import events_config

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
HEADER = "ts,kind,host\n"


def source_for(tmp_path, redis_url, prefix, pattern="*.csv", **extra) -> events.Source:
    raw = events_config(tmp_path, redis_url, prefix)
    raw["sources"]["events"] |= {"path": str(tmp_path / pattern), **extra}
    return events.Source(parse_config(raw).sources["events"], "events")


def buckets(store, metric="failed") -> dict[str, float]:
    series = store.metric_series("events", metric, [(NOW - timedelta(days=60), NOW)])
    return {ts.strftime("%H:%M"): v for ts, v in series.items()}


def test_counts_per_five_minute_bucket_by_hand(tmp_path, store, redis_url, prefix):
    (tmp_path / "a.csv").write_text(
        HEADER
        + "2026-11-23T10:00:01Z,failed_login,h1\n"
        + "2026-11-23T10:04:59Z,failed_login,h2\n"
        + "2026-11-23T10:05:00Z,failed_login,h1\n"
        + "2026-11-23T10:06:00Z,fw_block,fw\n"
        + "2026-11-23T11:07:00+01:00,fw_block,fw\n"  # 10:07Z: offsets are honoured
    )
    stats = source_for(tmp_path, redis_url, prefix).ingest(store, NOW)
    assert stats["rows"] == 5 and stats["bad_rows"] == 0
    assert buckets(store, "failed") == {"10:00": 2, "10:05": 1}
    assert buckets(store, "blocks") == {"10:05": 2}
    assert store.covered_since("events") == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def test_second_read_takes_only_new_lines_and_survives_a_restart(
    tmp_path, store, redis_url, prefix
):
    path = tmp_path / "a.csv"
    path.write_text(HEADER + "2026-11-23T10:00:01Z,failed_login,h1\n")
    source_for(tmp_path, redis_url, prefix).ingest(store, NOW)
    with open(path, "a") as handle:
        handle.write("2026-11-23T10:01:00Z,failed_login,h1\n2026-11-23T10:02:00Z,failed_")
    restarted = source_for(tmp_path, redis_url, prefix)  # new object: state is in Redis only
    stats = restarted.ingest(store, NOW)
    assert stats["rows"] == 1  # the half-written last line waits
    assert buckets(store) == {"10:00": 2}
    with open(path, "a") as handle:
        handle.write("login,h1\n")
    assert restarted.ingest(store, NOW)["rows"] == 1
    assert restarted.ingest(store, NOW)["rows"] == 0
    assert buckets(store) == {"10:00": 3}


def test_rotated_or_truncated_file_is_read_from_its_start(tmp_path, store, redis_url, prefix):
    path = tmp_path / "a.csv"
    path.write_text(HEADER + "2026-11-23T10:00:01Z,failed_login,h1\n" * 3)
    source = source_for(tmp_path, redis_url, prefix)
    source.ingest(store, NOW)
    os.rename(path, tmp_path / "a.csv.1")  # rotated away: no longer matches *.csv
    path.write_text(HEADER + "2026-11-23T10:10:00Z,failed_login,h1\n")
    assert source.ingest(store, NOW)["rows"] == 1
    assert buckets(store) == {"10:00": 3, "10:10": 1}
    path.write_text(HEADER)  # truncated in place
    with open(path, "a") as handle:
        handle.write("2026-11-23T10:20:00Z,failed_login,h1\n")
    assert source.ingest(store, NOW)["rows"] == 1
    assert buckets(store) == {"10:00": 3, "10:10": 1, "10:20": 1}


def test_unreadable_rows_are_counted_and_skipped(tmp_path, store, redis_url, prefix):
    (tmp_path / "a.csv").write_text(
        HEADER
        + "2026-11-23T10:00:01Z,failed_login,h1\n"
        + "yesterday-ish,failed_login,h1\n"  # no time
        + "2026-11-23T10:01:00Z,failed_login\n"  # a column short
        + "2026-11-23T10:02:00Z,failed_login,h1,extra\n"  # a column too many
        + "2026-11-23T10:03:00Z,failed_login,h3\n"
    )
    stats = source_for(tmp_path, redis_url, prefix).ingest(store, NOW)
    assert (stats["rows"], stats["bad_rows"]) == (2, 3)
    assert buckets(store) == {"10:00": 2}


def test_missing_timestamp_column_fails_with_the_setting_named(tmp_path, store, redis_url, prefix):
    (tmp_path / "a.csv").write_text("time,kind\n2026-11-23T10:00:01Z,failed_login\n")
    with pytest.raises(ValueError, match=r"column 'ts' \(the `timestamp` setting\) is missing"):
        source_for(tmp_path, redis_url, prefix).ingest(store, NOW)
    assert store.file_states("events") == {}  # nothing half-done was recorded


def test_json_lines_with_a_broken_line_and_epoch_times(tmp_path, store, redis_url, prefix):
    (tmp_path / "a.jsonl").write_text(
        '{"ts": 1795428001, "kind": "failed_login"}\n'  # 2026-11-23T10:00:01Z
        '{"ts": 1795428301, "kind": "failed_login"\n'  # broken
        '{"ts": 1795428302, "kind": "failed_login"}\n'  # 10:05:02Z
    )
    stats = source_for(tmp_path, redis_url, prefix, pattern="*.jsonl").ingest(store, NOW)
    assert (stats["rows"], stats["bad_rows"]) == (2, 1)
    assert buckets(store) == {"10:00": 1, "10:05": 1}


def test_parquet_files_with_a_summed_column(tmp_path, store, redis_url, prefix):
    table = pa.table(
        {
            "ts": pa.array([datetime(2026, 11, 23, 10, m, tzinfo=UTC) for m in (0, 1, 6)]),
            "kind": ["egress", "egress", "egress"],
            "bytes": [100, 250, 7],
        }
    )
    pq.write_table(table, tmp_path / "day.parquet")
    raw = events_config(tmp_path, redis_url, prefix)
    raw["sources"]["events"] |= {
        "path": str(tmp_path / "*.parquet"),
        "metrics": {"failed": {"filter": {"kind": "egress"}, "sum": "bytes"}},
    }
    raw["pages"][0]["panels"][1]["options"]["metric"] = "failed"
    source = events.Source(parse_config(raw).sources["events"], "events")
    assert source.ingest(store, NOW)["rows"] == 3
    assert source.ingest(store, NOW)["rows"] == 0  # unchanged Parquet is not read again
    assert buckets(store) == {"10:00": 350, "10:05": 7}


def test_history_older_than_retention_is_not_kept(tmp_path, store, redis_url, prefix):
    (tmp_path / "a.csv").write_text(
        HEADER + "2026-10-01T10:00:00Z,failed_login,h\n" + "2026-11-20T10:00:00Z,failed_login,h\n"
    )
    source_for(tmp_path, redis_url, prefix).ingest(store, NOW)  # retention 40d: 2026-10-14 on
    series = store.metric_series("events", "failed", [(NOW - timedelta(days=90), NOW)])
    assert [ts.isoformat() for ts in series.index] == ["2026-11-20T10:00:00+00:00"]
    key = store.keys.metric_day("events", "failed", datetime(2026, 11, 20).date())
    # expires 40 days after the end of its day, on the wall's clock: 2026-11-21 + 40 d is
    # 2026-12-31T00:00Z, 37 d 12 h after NOW (2026-11-23T12:00Z)
    assert 0 <= timedelta(days=37, hours=12).total_seconds() - store.redis.ttl(key) <= 2


def test_replayed_history_is_kept_as_long_as_live_history(tmp_path, store, redis_url, prefix):
    (tmp_path / "a.csv").write_text(HEADER + "2013-04-01T08:00:00Z,failed_login,h\n")
    replay_now = datetime(2013, 4, 1, 12, 0, tzinfo=UTC)
    source_for(tmp_path, redis_url, prefix).ingest(store, replay_now)
    key = store.keys.metric_day("events", "failed", replay_now.date())
    assert 0 <= timedelta(days=40, hours=12).total_seconds() - store.redis.ttl(key) <= 2
    series = store.metric_series("events", "failed", [(replay_now - timedelta(days=1), replay_now)])
    assert series.tolist() == [1.0]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 86_399), st.sampled_from(["failed_login", "fw_block"])),
        max_size=60,
    )
)
def test_bucket_counts_add_up_to_the_matching_rows(rows):
    import pandas as pd

    frame = pd.DataFrame(
        {
            "ts": pd.to_datetime([NOW.timestamp() + s for s, _ in rows], unit="s", utc=True),
            "kind": [k for _, k in rows],
        }
    )
    spec = events.MetricSpec(filter={"kind": "failed_login"})
    counts = events.bucket_counts(frame, spec, pd.Timedelta(minutes=5).to_pytimedelta())
    assert sum(counts.values()) == sum(1 for _, k in rows if k == "failed_login")
    assert all(start % 300 == 0 for start in counts)


def test_bucket_sums_are_a_plain_loop_over_the_rows_with_zero_buckets_left_out():
    import pandas as pd

    seconds = [-601, -1, 0, 299, 300, 1_774_859_460, 1_774_859_461, 1_774_859_999]
    sent = ["5", "2.5", "x", "0", "-4", "7", "1", "0"]  # "x" counts as 0, as does a bucket of 0
    frame = pd.DataFrame({"ts": pd.to_datetime(seconds, unit="s", utc=True).as_unit("ms"),
                          "bytes": sent})  # fmt: skip
    expected: dict[int, float] = {}
    for second, value in zip(seconds, sent, strict=True):
        start = second // 300 * 300
        expected[start] = expected.get(start, 0.0) + (0.0 if value == "x" else float(value))
    expected = {start: total for start, total in sorted(expected.items()) if total}
    sums = events.bucket_counts(frame, events.MetricSpec(sum="bytes"), timedelta(minutes=5))
    assert sums == expected == {-900: 5.0, -300: 2.5, 300: -4.0, 1_774_859_400: 8.0}
    assert list(sums) == list(expected)  # in time order
    assert all(type(k) is int and type(v) is float for k, v in sums.items())
    counts = events.bucket_counts(frame, events.MetricSpec(), timedelta(minutes=5))
    assert counts == {-900: 1.0, -300: 1.0, 0: 2.0, 300: 1.0, 1_774_859_400: 2.0,
                      1_774_859_700: 1.0}  # fmt: skip


def test_large_files_are_read_through_a_memory_map_and_tailed(tmp_path, store, redis_url, prefix):
    line = "2026-11-23T10:00:01Z,failed_login,h1\n"
    copies = (2 << 20) // len(line)  # over 2 MB: read memory-mapped, not copied
    path = tmp_path / "big.csv"
    path.write_text(HEADER + line * copies + "2026-11-23T10:07:00Z,failed_")  # last line unfinished
    source = source_for(tmp_path, redis_url, prefix)
    assert source.ingest(store, NOW)["rows"] == copies
    with open(path, "a") as handle:
        handle.write("login,h1\n")
    assert source.ingest(store, NOW)["rows"] == 1
    assert buckets(store) == {"10:00": copies, "10:05": 1}
