"""flows.merge_batches: the pair sums of a read's batches, each (bucket, host, peer) once, equal
to flow_sums.merge_pairs, which sums every row again."""

import json

import numpy as np
import pyarrow as pa

from socwall.feeds import flow_sums, flows

BUCKET = 300


def batch(rows: list[tuple], names: list[str]) -> pa.Table:
    """Pair sums of (bucket number, host, peer, bytes, opened) rows, as boundary_sums gives."""
    codes = {name: code for code, name in enumerate(names)}
    column = lambda i: np.array([row[i] for row in rows], np.int64)  # noqa: E731
    sent, opened = column(3), column(4)
    return flow_sums.pairs_by_code(
        bucket=column(0),
        host=np.array([codes[row[1]] for row in rows], np.int64),
        peer=np.array([codes[row[2]] for row in rows], np.int64),
        values={"bytes": sent, "connections": np.ones(len(rows), np.int64),
                "bytes_opened": sent * opened, "opened": opened},
        names=pa.array(names), bucket_s=BUCKET,
    )  # fmt: skip


def rows_of(pairs: pa.Table) -> list[tuple]:
    columns = ["bucket", "host", "peer", *flow_sums.PAIR_SUMS]
    table = pairs.select(columns).to_pydict()
    return sorted(zip(*(table[c] for c in columns), strict=True))


def test_a_pair_split_between_batches_is_summed_once_and_other_rows_pass_unchanged():
    # batch 1 ends in bucket 11, batch 2 starts there; each batch has its own dictionary
    first = batch([(10, "10.0.0.1", "8.8.8.8", 100, 1), (11, "10.0.0.1", "8.8.8.8", 5, 1),
                   (11, "10.0.0.2", "1.1.1.1", 7, 0)], ["10.0.0.1", "8.8.8.8", "10.0.0.2",
                                                         "1.1.1.1"])  # fmt: skip
    second = batch([(11, "10.0.0.1", "8.8.8.8", 20, 0), (12, "10.0.0.2", "9.9.9.9", 3, 1)],
                   ["9.9.9.9", "10.0.0.2", "8.8.8.8", "10.0.0.1"])  # fmt: skip
    merged = flows.merge_batches([first, second], BUCKET)
    assert rows_of(merged) == rows_of(flow_sums.merge_pairs([first, second], BUCKET))
    assert rows_of(merged) == [
        (3000, "10.0.0.1", "8.8.8.8", 100, 1, 100, 1),
        (3300, "10.0.0.1", "8.8.8.8", 25, 2, 5, 1),  # 5 opened + 20 answered, one row
        (3300, "10.0.0.2", "1.1.1.1", 7, 1, 0, 0),
        (3600, "10.0.0.2", "9.9.9.9", 3, 1, 3, 1),
    ]


def test_batches_without_a_common_bucket_and_batches_all_in_one_bucket():
    names = ["10.0.0.1", "8.8.8.8", "1.1.1.1"]
    apart = [batch([(1, "10.0.0.1", "8.8.8.8", 1, 1)], names),
             batch([(2, "10.0.0.1", "8.8.8.8", 2, 1)], names)]  # fmt: skip
    assert rows_of(flows.merge_batches(apart, BUCKET)) == [
        (300, "10.0.0.1", "8.8.8.8", 1, 1, 1, 1),
        (600, "10.0.0.1", "8.8.8.8", 2, 1, 2, 1),
    ]
    together = [batch([(4, "10.0.0.1", peer, n, 1)], names)
                for n, peer in enumerate(["8.8.8.8", "1.1.1.1", "8.8.8.8"])]  # fmt: skip
    merged = flows.merge_batches(together, BUCKET)
    assert (
        rows_of(merged)
        == rows_of(flow_sums.merge_pairs(together, BUCKET))
        == [(1200, "10.0.0.1", "1.1.1.1", 1, 1, 1, 1), (1200, "10.0.0.1", "8.8.8.8", 2, 2, 2, 2)]
    )


def test_a_file_read_in_many_batches_gives_the_pairs_of_one_batch(monkeypatch):
    # 40 flows of two pairs, 50 s apart: buckets of 300 s span several 400-byte batches
    from socwall.dashboard.demo.flows import VAST_HEADER
    from socwall.feeds import files, flow_readers, flow_rules

    def row(n: int) -> str:
        src, dst = ("10.0.0.5", "203.0.113.9") if n % 3 else ("10.0.0.6", "198.51.100.7")
        return (f"{1364803200 + 50 * n},2013-04-01 08:00:00,20130401080000,6,TCP,{src},{dst},"
                f"51000,443,0,0,1.5,0,0,{100 + n},{7 * n},3,4,0\n")  # fmt: skip

    data = (",".join(VAST_HEADER) + "\n" + "".join(row(n) for n in range(40))).encode()
    config = flows.FlowsConfig(type="flows", path="f.csv", internal=["10.0.0.0/8"], columns={})
    networks = flow_rules.Networks(config.internal, config.exclude)
    one, _ = flows.pairs_from_bytes(data, "f.csv", "vast", config, networks)
    monkeypatch.setattr(files, "CSV_BLOCK_BYTES", 400)
    assert len(list(flow_readers.vast_csv_batches(data))) > 5
    many, stats = flows.pairs_from_bytes(data, "f.csv", "vast", config, networks)
    assert stats["rows"] == 40
    assert rows_of(many) == rows_of(one)
    assert len({row[:3] for row in rows_of(many)}) == many.num_rows == 14  # 7 buckets x 2 pairs
    assert stored(many) == stored(one)  # the blobs the source pushes, up to their rows' order


def stored(pairs: pa.Table) -> dict:
    columns = ("host", "peer", *flow_sums.PAIR_SUMS)
    blobs = {start: json.loads(blob) for start, blob in flow_sums.flow_blobs(pairs).items()}
    return {start: sorted(zip(*(blob[c] for c in columns), strict=True))
            for start, blob in blobs.items()}  # fmt: skip


def test_sorted_keys_gives_the_stable_order_whether_packed_or_not():
    """One sort of key and row number packed, or argsort when they do not fit: sorted keys and
    an order that sorts them, equal keys in row order (the packed sort's; argsort's may differ)."""
    rng = np.random.default_rng(3)
    small = rng.integers(0, 50, 10_000)  # packs: 14 bits of row number beside 6 of key
    keys, order = flow_sums.sorted_keys(small)
    assert np.array_equal(order, np.argsort(small, kind="stable"))
    assert np.array_equal(keys, np.sort(small))
    large = small * (1 << 50)  # does not pack: the argsort path
    keys, order = flow_sums.sorted_keys(large)
    assert np.array_equal(keys, np.sort(large))
    assert np.array_equal(large[order], keys)
    narrow = (small * 30_000).astype(np.int32)  # widened before the shift, never overflowed
    assert np.array_equal(flow_sums.sorted_keys(narrow)[1], np.argsort(narrow, kind="stable"))
    empty, none = flow_sums.sorted_keys(np.zeros(0, np.int64))
    assert len(empty) == 0 and len(none) == 0
