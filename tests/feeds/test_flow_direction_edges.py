"""The direction repair at its edges: ephemeral means above 1024 (1023, 1024, 1025), a service
port above 1024 (8080, 3389, 5432) is a destination, never an ephemeral one, and UDP answers
only from ports that answer over UDP. Each case is worked out by hand; a plain-Python rule,
written from the docstring and not from the code, checks every other combination."""

from datetime import UTC, datetime

import pyarrow as pa
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from socwall.feeds import flow_rules
from socwall.feeds.fields import FLOW_SCHEMA

TS = datetime(2024, 3, 1, tzinfo=UTC)
SERVICES = flow_rules.SERVICE_PORTS

# (proto, src port, dst port, recorded backwards?)
CASES = [
    ("tcp", 443, 1023, False),  # 1023 is not ephemeral
    ("tcp", 443, 1024, False),  # nor is 1024: "above 1024"
    ("tcp", 443, 1025, True),  # the first ephemeral port
    ("tcp", 443, 51001, True),
    ("tcp", 443, 8080, False),  # a service port above 1024 is a destination
    ("tcp", 443, 3389, False),
    ("tcp", 22, 5432, False),
    ("tcp", 8080, 1025, True),  # an answer from a service port above 1024
    ("tcp", 3389, 40000, True),
    ("tcp", 1025, 443, False),  # the usual direction
    ("tcp", 50000, 40000, False),  # neither is a service port
    ("udp", 53, 1025, True),  # a DNS answer
    ("udp", 53, 1024, False),
    ("udp", 123, 8080, False),  # to a service port: not an answer
    ("udp", 8080, 1025, False),  # a TCP service port over UDP: a peer, not an answer
    ("udp", 3389, 40000, False),
    ("udp", 443, 40000, True),  # QUIC
    ("icmp", None, None, False),
    (None, 8080, 40000, True),  # no protocol recorded: not UDP, the TCP rule applies
    (None, 53, 1024, False),
]


def table(rows: list[tuple]) -> pa.Table:
    n = len(rows)
    return pa.table({
        "ts": pa.array([TS] * n, pa.timestamp("us", tz="UTC")),
        "proto": [r[0] for r in rows],
        "src_ip": [f"198.51.100.{i % 250}" for i in range(n)],
        "dst_ip": [f"10.0.0.{i % 250}" for i in range(n)],
        "src_port": pa.array([r[1] for r in rows], pa.int32()),
        "dst_port": pa.array([r[2] for r in rows], pa.int32()),
        "bytes_out": pa.array([100 + i for i in range(n)], pa.int64()),
        "bytes_in": pa.array([9000 + i for i in range(n)], pa.int64()),
        "packets_out": pa.array([1] * n, pa.int64()),
        "packets_in": pa.array([7] * n, pa.int64()),
        "duration": pa.array([1.0] * n, pa.float64()),
    }, schema=FLOW_SCHEMA)  # fmt: skip


def backwards_by_hand(proto, src_port, dst_port, services=SERVICES) -> bool:
    """The rule in words: from a port that answers (over UDP: one that answers over UDP) to a
    port above 1024 that is not itself a service port."""
    if src_port is None or dst_port is None:
        return False
    answering = set(services)
    if proto == "udp":
        answering &= set(flow_rules.UDP_ANSWERING_PORTS)
    return src_port in answering and dst_port > 1024 and dst_port not in services


@pytest.mark.parametrize("proto,sport,dport,expected", CASES)
def test_one_flow_at_the_edge(proto, sport, dport, expected):
    flows, count = flow_rules.repair_direction(table([(proto, sport, dport)]), SERVICES)
    assert count == int(expected)
    row = flows.to_pylist()[0]
    swapped = (row["src_port"], row["dst_port"], row["bytes_out"], row["src_ip"]) == (
        dport, sport, 9000, "10.0.0.0")
    assert swapped is expected
    assert backwards_by_hand(proto, sport, dport) is expected  # the oracle agrees by hand


def test_all_edges_in_one_table_swap_exactly_the_backwards_rows():
    flows, mask = flow_rules.repair_direction(table(CASES), SERVICES, with_mask=True)
    assert mask.tolist() == [c[3] for c in CASES]
    assert sum(mask) == 7
    ports = list(zip(flows["src_port"].to_pylist(), flows["dst_port"].to_pylist(), strict=True))
    assert ports == [(d, s) if back else (s, d) for _, s, d, back in CASES]


def test_configured_service_ports_move_the_rule():
    """A site that declares 1025 a service: 443 -> 1025 is no longer an answer."""
    _, count = flow_rules.repair_direction(table([("tcp", 443, 1025), ("tcp", 443, 1026)]),
                                           [443, 1025])  # fmt: skip
    assert count == 1


ports = st.one_of(st.none(), st.integers(0, 65535),
                  st.sampled_from([53, 123, 443, 1023, 1024, 1025, 3389, 5432, 8080]))  # fmt: skip


@given(st.lists(st.tuples(st.sampled_from(["tcp", "udp"]), ports, ports), min_size=1, max_size=20))
@example([("tcp", 443, 1024)])
@example([("tcp", 443, 1025)])
@example([("tcp", 443, 1023)])
@example([("tcp", 443, 8080)])
@example([("tcp", 443, 3389)])
@example([("udp", 8080, 1025)])
@example([("udp", 53, 1025)])
@example([("tcp", 8080, 1025)])
def test_the_repair_follows_the_rule_in_words(rows):
    _, mask = flow_rules.repair_direction(table(rows), SERVICES, with_mask=True)
    assert mask.tolist() == [backwards_by_hand(*row) for row in rows]
