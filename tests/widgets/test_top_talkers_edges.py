"""top_talkers at its edges: NEW is "not in the previous top 20" (rank 20 is in it, rank 21 is
not), and ranks break ties by address; both checked against a plain loop over the rows."""

from collections import defaultdict

import pyarrow as pa
from hypothesis import example, given
from hypothesis import strategies as st

from socwall.feeds.flow_sums import rank_hosts
from socwall.widgets import top_talkers as tt
from tests.widgets.test_top_talkers import CONTEXT, T, inputs, options


def previous_top_25() -> list[tuple]:
    return [(T - 3600, f"p{i:02d}", "x", 1000 - i, 1) for i in range(1, 26)]  # p01 is rank 1


def test_rank_20_before_is_not_new_and_rank_21_is():
    current = [(T, f"p{i:02d}", "x", 1000 - i, 1) for i in range(1, 26) if i not in (20, 21)]
    current += [(T, "p20", "x", 9000, 1), (T, "p21", "x", 8000, 1)]  # both jump to the top
    data = tt.compute(inputs(previous_top_25() + current), options(), CONTEXT)
    top = {r["host"]: r for r in data["rows"][:2]}
    assert (top["p20"]["rank"], top["p20"]["new"], top["p20"]["change"]) == (1, False, 19)
    assert (top["p21"]["rank"], top["p21"]["new"], top["p21"]["change"]) == (2, True, None)
    assert top["p21"]["alert"] is True and top["p20"]["alert"] is True  # a jump of 19 ranks


def test_rank_19_and_rank_22_before_either_side_of_the_cut():
    current = [(T, "p19", "x", 9000, 1), (T, "p22", "x", 8000, 1)]
    data = tt.compute(inputs(previous_top_25() + current), options(), CONTEXT)
    assert {r["host"]: r["new"] for r in data["rows"]} == {"p19": False, "p22": True}
    assert tt.PREVIOUS_TOP == 20


def ranks_by_loop(rows: list[tuple], by: str) -> list[tuple]:
    """(host, bytes, connections, peers, rank) by a plain loop: each host/peer pair summed over
    its rows and kept when its `by` sum is above 0, then most first, ties by address."""
    pairs = defaultdict(lambda: [0, 0])
    for host, peer, nbytes, conns in rows:
        pairs[host, peer][0] += nbytes
        pairs[host, peer][1] += conns
    key = 0 if by == "bytes" else 1
    totals = defaultdict(lambda: [0, 0, set()])
    for (host, peer), (nbytes, conns) in pairs.items():
        if (nbytes, conns)[key] > 0:
            totals[host][0] += nbytes
            totals[host][1] += conns
            totals[host][2].add(peer)
    ordered = sorted(totals.items(), key=lambda kv: (-kv[1][key], kv[0]))
    return [(h, b, c, len(p), n) for n, (h, (b, c, p)) in enumerate(ordered, 1)]


hosts = st.sampled_from(["10.0.0.1", "10.0.0.10", "10.0.0.2", "10.0.0.9", "b", "a"])
rows_st = st.lists(st.tuples(hosts, st.sampled_from(["x", "y", "z"]), st.integers(0, 50),
                             st.integers(0, 3)), min_size=1, max_size=25)  # fmt: skip


@given(rows_st, st.sampled_from(["bytes", "connections"]))
@example([("b", "x", 5, 1), ("a", "y", 5, 1)], "bytes")  # a tie: the address decides
@example([("a", "x", 0, 2), ("b", "x", 3, 0), ("a", "y", 1, 0)], "bytes")  # a pair of no bytes
@example([("10.0.0.10", "x", 5, 2), ("10.0.0.2", "x", 5, 2), ("10.0.0.9", "y", 6, 1)],
         "connections")
def test_rank_hosts_matches_a_plain_loop_ties_by_address(rows, by):
    table = pa.table({"host": [r[0] for r in rows], "peer": [r[1] for r in rows],
                      "bytes": pa.array([r[2] for r in rows], pa.int64()),
                      "connections": pa.array([r[3] for r in rows], pa.int64())})  # fmt: skip
    ranked = rank_hosts(table, by).to_pylist()
    got = [(r["host"], r["bytes"], r["connections"], r["peers"], r["rank"]) for r in ranked]
    assert got == ranks_by_loop(rows, by)


def test_rank_hosts_tie_by_hand():
    table = pa.table({"host": ["b", "a", "c"], "peer": ["x", "x", "y"],
                      "bytes": pa.array([5, 5, 6], pa.int64()),
                      "connections": pa.array([1, 1, 1], pa.int64())})  # fmt: skip
    ranked = rank_hosts(table, "bytes").to_pylist()
    assert [(r["host"], r["rank"]) for r in ranked] == [("c", 1), ("a", 2), ("b", 3)]


def test_rank_hosts_leaves_out_dictionary_entries_no_row_uses():
    """A dictionary column shared with the peers names addresses that are no host here."""
    names = pa.array(["10.0.0.1", "203.0.113.9", "10.0.0.2"])
    host = pa.DictionaryArray.from_arrays(pa.array([0, 2], pa.int32()), names)
    peer = pa.DictionaryArray.from_arrays(pa.array([1, 1], pa.int32()), names)
    table = pa.table({"host": host, "peer": peer, "bytes": pa.array([5, 7], pa.int64()),
                      "connections": pa.array([1, 1], pa.int64())})  # fmt: skip
    ranked = rank_hosts(table, "bytes").to_pylist()
    assert [(r["host"], r["bytes"], r["peers"], r["rank"]) for r in ranked] == [
        ("10.0.0.2", 7, 1, 1), ("10.0.0.1", 5, 1, 2)]
