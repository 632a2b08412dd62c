"""Hourly flow rollups on a real Redis: a window read through them sums exactly as its 5-minute
buckets do (same hosts and sums; same pairs of any host), whatever the window's edges."""

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from socwall.dashboard.flow_rollups import FORMAT, HOUR
from socwall.feeds import flows
from socwall.feeds.flow_sums import PAIR_SUMS
from socwall.widgets.top_talkers import filled, rank, rank_totals, window_buckets, window_totals

T = 1364803200  # 2013-04-01T08:00:00Z
HEADER = ("TimeSeconds,ipLayerProtocolCode,firstSeenSrcIp,firstSeenDestIp,firstSeenSrcPort,"
          "firstSeenDestPort,firstSeenSrcTotalBytes,firstSeenDestTotalBytes,"
          "firstSeenSrcPacketCount,firstSeenDestPacketCount,durationSeconds\n")  # fmt: skip


def flow_lines(rng, start: int, seconds: int, rows: int) -> str:
    """Random flows between 12 internal hosts and 40 peers; some send nothing (0 bytes)."""
    lines = []
    for ts in np.sort(rng.uniform(start, start + seconds, rows)):
        host, peer = f"10.0.0.{rng.integers(1, 13)}", f"198.51.100.{rng.integers(1, 41)}"
        out = rng.random() < 0.7
        src, dst = (host, peer) if out else (peer, host)
        sent, got = (int(x) if rng.random() > 0.1 else 0 for x in rng.lognormal(6, 2, 2))
        lines.append(f"{ts:.3f},TCP,{src},{dst},{rng.integers(40000, 60000)},443,{sent},{got},"
                     f"1,1,0.5\n")  # fmt: skip
    return "".join(lines)


def ranks(frame, by: str, direction: str) -> list[tuple]:
    ranked = rank(frame, by, direction)
    return [(r.host, int(r.bytes), int(r.connections), int(r.peers), int(r.rank))
            for r in ranked.itertuples()]  # fmt: skip


def sums_of(frame) -> list[tuple]:
    """A frame's rows as sorted tuples of plain ints and strings (dtypes aside)."""
    return sorted(tuple(int(v) if not isinstance(v, str) else v for v in row)
                  for row in frame.itertuples(index=False))  # fmt: skip


def split_windows(now_s: int, window_s: int, windows: int = 2) -> list[list[int]]:
    buckets = window_buckets(now_s, 300, window_s, windows)
    per_window = window_s // 300
    return [buckets[i : i + per_window] for i in range(0, len(buckets), per_window)]


def assert_same(store, now_s: int, window_s: int, windows: int = 2) -> None:
    """Every window's host sums through rollups equal those of its buckets, and so do the
    pairs of any host; the 5-minute pairs are summed the widget's own way (window_totals)."""
    split = split_windows(now_s, window_s, windows)
    rolled = store.flow_host_sums("net", split, 300)
    for part, mine in zip(split, rolled, strict=True):
        plain = store.flow_pairs("net", part)
        if plain.empty:  # a window before the data
            assert mine.empty and part is not split[0]
            continue
        (theirs,) = window_totals(plain, min(part), window_s, 0)
        assert sums_of(mine) == sums_of(theirs)
        hosts = sorted(set(plain["host"]))[::3]
        pairs = store.flow_host_pairs("net", part, 300, hosts)
        assert set(pairs["host"]) == set(hosts)
        assert sums_of(pair_sums(pairs)) == sums_of(pair_sums(plain[plain["host"].isin(hosts)]))


def pair_sums(frame):
    return filled(frame).groupby(["host", "peer"])[list(PAIR_SUMS)].sum().reset_index()


@pytest.fixture
def ingested(store, tmp_path):
    """Four hours of flows read by the flows source in two reads (the second appends to the
    first's last hours: those buckets then hold two blobs and their hours are rebuilt)."""
    rng = np.random.default_rng(7)
    path = tmp_path / "flows.csv"
    path.write_text(HEADER + flow_lines(rng, T, 3 * HOUR, 3000))
    config = flows.FlowsConfig(type="flows", path=str(path), internal=["10.0.0.0/8"],
                               format="csv", columns=COLUMNS, retention="8d")  # fmt: skip
    source = flows.Source(config, "net")
    now = datetime.fromtimestamp(T + 4 * HOUR, UTC)
    source.ingest(store, now)
    with path.open("a") as handle:
        handle.write(flow_lines(rng, T + 2 * HOUR, 2 * HOUR, 2000))
    source.ingest(store, now)
    return store


COLUMNS = {"ts": "TimeSeconds", "proto": "ipLayerProtocolCode", "src_ip": "firstSeenSrcIp",
           "dst_ip": "firstSeenDestIp", "src_port": "firstSeenSrcPort",
           "dst_port": "firstSeenDestPort", "bytes_out": "firstSeenSrcTotalBytes",
           "bytes_in": "firstSeenDestTotalBytes"}  # fmt: skip


@pytest.mark.parametrize("now_s, window_s", [
    (T + 3 * HOUR + 35 * 60, 2 * HOUR),  # starts and ends mid-hour, the open hour partly
    (T + 3 * HOUR + 55 * 60, HOUR),  # one whole hour whose last bucket is the open one
    (T + 3 * HOUR + 55 * 60, 2 * HOUR),  # whole hours; the window before too
    (T + 2 * HOUR + 10 * 60, 3 * HOUR),  # a window boundary inside an hour: not rolled
])  # fmt: skip
def test_rollups_rank_as_the_buckets_do(ingested, now_s, window_s):
    assert_same(ingested, now_s, window_s)


def test_whole_hours_are_read_from_one_rollup_each(ingested):
    (window,) = split_windows(T + 3 * HOUR + 55 * 60, 4 * HOUR, 1)
    hosts = sorted(set(ingested.flow_pairs("net", window)["host"]))
    pairs = ingested.flow_host_pairs("net", window, 300, hosts)
    assert sorted(pairs["bucket"].unique()) == [T + h * HOUR for h in range(4)]
    assert len(pairs) < len(ingested.flow_pairs("net", window))


def test_a_blob_pushed_without_a_rebuild_is_read_from_its_bucket(ingested):
    """A write the rollup does not sum yet (a crash before the rebuild, data from before
    rollups) makes the reader use that hour's buckets."""
    blob = json.dumps({"host": ["10.0.0.99"], "peer": ["203.0.113.1"], "bytes": [10**12],
                       "connections": [1], "bytes_opened": [10**12], "opened": [1]})  # fmt: skip
    ingested.redis.rpush(ingested.keys.flow_bucket("net", T + HOUR + 600), blob)
    (window,) = split_windows(T + 3 * HOUR + 55 * 60, 4 * HOUR, 1)
    (sums,) = ingested.flow_host_sums("net", [window], 300)
    assert sums[sums["host"] == "10.0.0.99"]["bytes"].tolist() == [10**12]
    assert ingested.flow_host_pairs("net", window, 300, ["10.0.0.99"])["peer"].tolist() == [
        "203.0.113.1"]  # fmt: skip
    assert_same(ingested, T + 3 * HOUR + 55 * 60, 4 * HOUR, 1)


def test_a_rollup_of_the_old_layout_is_not_read(ingested):
    """A store written before host sums holds `pairs` and `blobs` only: its hours are read from
    the buckets, even when the count matches (here with sums that would be wrong)."""
    key = ingested.keys.flow_hour("net", T + HOUR)
    count = ingested.redis.hget(key, "blobs")
    ingested.redis.delete(key)
    wrong = json.dumps({"host": ["10.0.0.1"], "peer": ["203.0.113.3"], "bytes": [7],
                        "connections": [1], "bytes_opened": [7], "opened": [1]})  # fmt: skip
    ingested.redis.hset(key, mapping={"pairs": wrong, "blobs": count})
    assert_same(ingested, T + 3 * HOUR + 55 * 60, 4 * HOUR, 1)
    assert_same(ingested, T + 3 * HOUR + 55 * 60, 2 * HOUR)


def test_replaced_buckets_drop_their_hour_until_rebuilt(ingested):
    """A query source replaces buckets: the stale rollup is deleted in the same transaction,
    and rebuilt after from what the buckets hold."""
    now = datetime.fromtimestamp(T + 4 * HOUR, UTC)
    blob = json.dumps({"host": ["10.0.0.1"], "peer": ["203.0.113.2"], "bytes": [5],
                       "connections": [2], "bytes_opened": [5], "opened": [2]})  # fmt: skip
    start = T + HOUR + 900
    ingested.replace_flow_buckets("net", {start: blob}, [start + 300], now, timedelta(days=8))
    assert not ingested.redis.exists(ingested.keys.flow_hour("net", T + HOUR))
    assert_same(ingested, T + 3 * HOUR + 55 * 60, 2 * HOUR)
    ingested.rollup_flow_hours("net", [start, start + 300], 300, now, timedelta(days=8))
    assert ingested.redis.hget(ingested.keys.flow_hour("net", T + HOUR), "format") == FORMAT
    assert_same(ingested, T + 3 * HOUR + 55 * 60, 2 * HOUR)


def test_the_widget_ranks_host_sums_as_rank_hosts_ranks_pairs(ingested):
    """rank_totals of a window's host sums (the rollup path) gives the hosts, values and ranks
    that `rank` (flow_sums.rank_hosts) gives from the window's 5-minute pairs."""
    (window,) = split_windows(T + 3 * HOUR + 35 * 60, 3 * HOUR, 1)
    (sums,) = ingested.flow_host_sums("net", [window], 300)
    plain = ingested.flow_pairs("net", window)
    for by, direction in (("bytes", "both"), ("bytes", "out"), ("bytes", "in"),
                          ("connections", "out"), ("connections", "both")):  # fmt: skip
        mine = rank_totals(sums, by, direction)
        theirs = rank(plain, by, direction)
        assert list(zip(mine["host"], mine[by], mine["rank"], strict=True)) == list(
            zip(theirs["host"], theirs[by], theirs["rank"], strict=True))  # fmt: skip


def test_a_bucket_that_does_not_divide_an_hour_reads_every_bucket(ingested):
    """No rollups for such a size: the host sums are the buckets' own."""
    split = split_windows(T + 3 * HOUR + 55 * 60, 2 * HOUR)
    for part, mine in zip(split, ingested.flow_host_sums("net", split, 420), strict=True):
        (theirs,) = window_totals(ingested.flow_pairs("net", part), min(part), 2 * HOUR, 0)
        assert sums_of(mine) == sums_of(theirs) and len(mine)
