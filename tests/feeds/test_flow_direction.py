# ruff: noqa: E501 - flow rows on one line each
"""Which flows are recorded backwards: a UDP flow from an outside peer's 8080, 1900 or 1521 to
an internal host's own high (P2P) port is the peer's, not an answer to something our host
opened; a DNS answer (UDP 53) and a TCP answer from 8080 are. Both paths agree."""

from datetime import UTC, datetime, timedelta

from socwall.feeds import flows, query
from tests.feeds import query_data as qd
from tests.feeds.test_query_flows import query_config

START = datetime(2024, 3, 1, tzinfo=UTC)
# (proto code, src, dst, src port, dst port, repaired by hand?)
CASES = [
    ("UDP", "198.51.100.7", "172.16.0.5", 8080, 51413, False),  # P2P peer to our host's port
    ("UDP", "198.51.100.8", "172.16.0.5", 1900, 51413, False),
    ("UDP", "198.51.100.9", "172.16.0.5", 1521, 51413, False),
    ("UDP", "198.51.100.10", "172.16.0.5", 8080, 51413, False),
    ("UDP", "198.51.100.53", "172.16.0.6", 53, 40000, True),  # a DNS answer recorded backwards
    ("TCP", "198.51.100.80", "172.16.0.7", 8080, 40001, True),  # a web answer recorded backwards
]


def rows() -> list[list]:
    out = []
    for n, (proto, src, dst, sport, dport, _) in enumerate(CASES):
        moment = (START + timedelta(minutes=n)).timestamp()
        out.append([moment, "", "", 17 if proto == "UDP" else 6, proto, src, dst, sport, dport, 0, 0,
                    1, 0, 0, 1000 + n, 10, 2, 1, 0])
    return out


def test_udp_from_a_tcp_service_port_to_our_high_port_is_not_repaired(tmp_path, store):
    data = rows()
    expected = sum(case[-1] for case in CASES)
    csv_path = qd.vast_csv(data, tmp_path / "f.csv")
    end = START + timedelta(hours=1)
    files = flows.Source(flows.FlowsConfig(type="flows", path=str(csv_path), format="vast"), "files").ingest(store, end)
    lake = query.Source(query_config(parquet=str(qd.vast_parquet(data, tmp_path / "f.parquet"))), "lake").ingest(store, end)
    assert files["repaired"] == lake["repaired"] == expected == 2
    buckets = list(range(int(START.timestamp()), int(end.timestamp()), 300))
    opened = {(host, peer): opened for _, host, peer, _, _, _, opened in qd.stored_pairs(store, "files", buckets)}
    assert opened[("172.16.0.5", "198.51.100.7")] == 0  # the peer opened it: inbound
    assert opened[("172.16.0.6", "198.51.100.53")] == 1  # our host asked DNS
    assert qd.stored_pairs(store, "lake", buckets) == qd.stored_pairs(store, "files", buckets)


def test_a_headerless_flow_file_fails_in_words_and_its_panel_is_not_ok(tmp_path, store, redis_url, prefix):
    """VAST columns with no header and a label column first: the source fails saying so."""
    from socwall.dashboard.cli import panel_failure
    from socwall.dashboard.clock import Clock
    from socwall.dashboard.jobs import run_panel, run_source
    from tests.feeds.test_query_flows import wall

    lines = [",".join(["benign", *map(str, row)]) for row in rows()]
    (tmp_path / "flows.csv").write_text("\n".join(lines) + "\n")
    config = wall(redis_url, prefix, {"net": {"type": "flows", "path": str(tmp_path / "flows.csv"), "format": "vast"}})
    clock = Clock(replay_start=START + timedelta(hours=1), frozen=True)
    status = run_source(config, "net", store, clock)
    assert status["status"] == "error"
    assert status["error"].startswith("flows.csv: the first line is not a header, it reads as data (benign,")
    meta = run_panel(config, config.panels()[0], store, clock)
    assert panel_failure(meta).startswith("its source failed: flows.csv: the first line is not a header")
