"""top_talkers through the hourly rollups (host sums, then the peers of the shown hosts) gives
the payload of the 5-minute path, on a real Redis and data with the edges that could differ."""

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from socwall.dashboard.jobs import PanelReader
from socwall.widgets import top_talkers as tt
from socwall.widgets.context import PanelContext

T = 1364803200  # 2013-04-01T08:00:00Z
HOUR = 3600
NOW = T + 7 * HOUR + 37 * 60  # windows of 3 h start at hh:40: partial hours at every edge
WINDOW = 3 * HOUR
START = NOW // 300 * 300 + 300 - WINDOW  # the current window's first bucket: 04:40
PUSHED = START + 2 * HOUR  # 06:40, a bucket with a blob in the current window's 2nd whole hour


def host(i: int) -> str:
    return f"10.0.0.{i}"


def totals(window: int) -> dict[int, int]:
    """Bytes per host number in window 0 (current) .. 3. Before: host i ranks i (20 in, 21 out
    of the top 20) but host 22 ranks 2 three windows back; now 21, 20, 22 lead, 3 and 4 tie."""
    if window == 0:
        return {i: {21: 90000, 20: 80000, 22: 70000, 4: 50000}.get(i, 60000 - 1000 * i)
                for i in range(1, 26)} | {3: 50000}  # fmt: skip
    return {i: 30000 - 1000 * i if window < 3 or i != 22 else 29500 for i in range(1, 26)}


def answers_only() -> dict:
    """A blob of a host that only answered outside clients (nothing out) and one peer that got
    connections but no bytes: ranked in `in` only, and that peer counted for connections only."""
    return {"host": [host(26), host(26)], "peer": ["198.51.100.1", "198.51.100.2"],
            "bytes": [40000, 0], "connections": [3, 2], "bytes_opened": [0, 0], "opened": [0, 2]}


def blobs() -> dict[int, list[str]]:
    """Each host's bytes of a window split over its first bucket (a partial hour), one in each
    of its two whole hours, and its last: four peers out of five; some pieces are answers (not
    opened); one bucket of a whole hour holds a blob from before directions were kept."""
    rows: dict[int, list] = {}
    for window in range(4):
        first = START - window * WINDOW
        for i, value in totals(window).items():
            for piece, start in enumerate((first, first + HOUR, first + 2 * HOUR,
                                           first + WINDOW - 300)):  # fmt: skip
                entry = (host(i), f"198.51.100.{(i + piece) % 5}", value // 4,
                         1 + (i + piece) % 3, (i + piece) % 3 != 0)  # fmt: skip
                rows.setdefault(start, []).append(entry)
    found = {}
    for start, entries in rows.items():
        columns = {name: [e[n] for e in entries]
                   for n, name in enumerate(("host", "peer", "bytes", "connections"))}  # fmt: skip
        if start != START - WINDOW + HOUR:  # a blob stored before directions were kept
            columns["bytes_opened"] = [e[2] * e[4] for e in entries]
            columns["opened"] = [e[3] * e[4] for e in entries]
        found[start] = [json.dumps(columns)]
    return found


@pytest.fixture
def filled(store):
    """The buckets pushed and their hours rolled up, then one blob pushed without a rebuild."""
    now = datetime.fromtimestamp(NOW, UTC)
    for start, found in blobs().items():
        store.redis.rpush(store.keys.flow_bucket("net", start), *found)
    store.rollup_flow_hours("net", list(blobs()), 300, now, timedelta(days=8))
    late = {"host": [host(9)], "peer": ["203.0.113.7"], "bytes": [25000], "connections": [4],
            "bytes_opened": [25000], "opened": [4]}  # fmt: skip
    store.redis.rpush(store.keys.flow_bucket("net", PUSHED), json.dumps(late))
    store.redis.rpush(store.keys.flow_bucket("net", START + 300), json.dumps(answers_only()))
    return store


def both_ways(store, **overrides) -> tuple[dict, dict, tt.TalkerInputs]:
    """The payload through load (rollups) and from every 5-minute pair of the four windows."""
    options = tt.TopTalkersOptions(window="3h", **overrides)
    context = PanelContext(now=datetime.fromtimestamp(NOW, UTC), tz=ZoneInfo("UTC"),
                           source_id="net")  # fmt: skip
    config = SimpleNamespace(sources={"net": SimpleNamespace(bucket=timedelta(minutes=5))})
    inputs = tt.load(PanelReader(config, store), SimpleNamespace(options=options), context)
    buckets = tt.window_buckets(NOW, 300, WINDOW, options.new_after + 1)
    plain = tt.TalkerInputs(store.flow_pairs("net", buckets), {}, 300)
    return (tt.compute(inputs, options, context), tt.compute(plain, options, context), inputs)


@pytest.mark.parametrize("by, direction", [("bytes", "both"), ("bytes", "out"), ("bytes", "in"),
                                           ("connections", "out"), ("connections", "both")])
@pytest.mark.parametrize("ranks", [(1, 10), (11, 20)])
def test_the_rollup_path_gives_the_five_minute_payload(filled, by, direction, ranks):
    rolled, plain, inputs = both_ways(filled, by=by, direction=direction, ranks=ranks)
    assert rolled == plain
    assert len(plain["rows"]) == 10
    shown = {row["host"] for row in plain["rows"]}
    assert set(inputs.pairs["host"]) <= shown  # only the shown hosts' pairs were read
    window = filled.flow_pairs("net", tt.window_buckets(NOW, 300, WINDOW, 1))
    ranked = tt.rank(window, by, direction)  # flow_sums.rank_hosts, as before host sums
    assert (plain["hosts"], plain["total"]) == (len(ranked), float(ranked[by].sum()))
    assert [(r["host"], r["value"], r["peers"]) for r in plain["rows"]] == [
        (r.host, float(getattr(r, by)), int(r.peers)) for r in ranked.itertuples()
        if ranks[0] <= r.rank <= ranks[1]]  # fmt: skip


def test_the_edges_are_in_the_data(filled):
    """The comparison above covers what it claims: NEW at rank 21 before and not at 20, a host
    in the top 20 only three windows back, a three-way tie (ordered as text), the late blob,
    one hour read from its rollup and the one with the late blob from its buckets."""
    rolled, plain, inputs = both_ways(filled)
    rows = {row["host"]: row for row in plain["rows"]}
    assert [row["host"] for row in plain["rows"][:4]] == [host(21), host(20), host(9), host(22)]
    assert rows[host(21)]["new"]
    assert not rows[host(20)]["new"] and rows[host(20)]["change"] == 18
    assert not rows[host(22)]["new"] and rows[host(22)]["previous_rank"] == 22
    assert rows[host(9)]["value"] == 51000 + 25000
    assert rows[host(9)]["top_peers"][0]["peer"] == "203.0.113.7"
    assert {T + 5 * HOUR, PUSHED} <= set(inputs.pairs["bucket"])
    assert T + 6 * HOUR not in set(inputs.pairs["bucket"])
    answers, *_ = both_ways(filled, direction="in")
    assert {row["host"]: row["peers"] for row in answers["rows"]}[host(26)] == 1
    sent, *_ = both_ways(filled, direction="out")
    opened, *_ = both_ways(filled, by="connections", direction="out")
    assert (plain["hosts"], sent["hosts"], opened["hosts"]) == (26, 25, 26)
    lower, _, _ = both_ways(filled, ranks=(11, 20))
    tied = [(row["host"], row["value"]) for row in lower["rows"][:3]]
    assert tied == [(host(10), 50000.0), (host(3), 50000.0), (host(4), 50000.0)]


class WriteBetween(PanelReader):
    """A reader during whose first read of the host sums a blob lands in the window: between
    the ranks and the peers, where a commit of the flow source can fall."""

    def __init__(self, config, store, blob: dict):
        super().__init__(config, store)
        self.blob, self.sums_read = blob, 0

    def flow_host_sums(self, source_id, windows, bucket_s):
        found = super().flow_host_sums(source_id, windows, bucket_s)
        self.sums_read += 1
        if self.sums_read == 1:
            key = self.store.keys.flow_bucket("net", PUSHED)
            self.store.redis.rpush(key, json.dumps(self.blob))
        return found


def test_the_peers_are_of_the_state_the_ranks_are_of(filled):
    """A write between the host sums and the peers: the read runs again, so each shown host's
    peers add up to the value it was ranked by (before, host 5's peers held 90,000 bytes its
    rank did not)."""
    blob = {"host": [host(5)], "peer": ["203.0.113.9"], "bytes": [90000], "connections": [1],
            "bytes_opened": [90000], "opened": [1]}  # fmt: skip
    options = tt.TopTalkersOptions(window="3h")
    context = PanelContext(datetime.fromtimestamp(NOW, UTC), ZoneInfo("UTC"), "net")
    config = SimpleNamespace(sources={"net": SimpleNamespace(bucket=timedelta(minutes=5))})
    reader = WriteBetween(config, filled, blob)
    inputs = tt.load(reader, SimpleNamespace(options=options), context)
    assert reader.sums_read == 2
    ranked = inputs.totals[0].set_index("host")["bytes"]
    peers = inputs.pairs.groupby("host")["bytes"].sum()
    assert ranked[host(5)] == peers[host(5)] == 55000 + 90000
    assert all(ranked[h] == total for h, total in peers.items())
