"""Flows on real Zeek captures: rankings equal a plain count written here."""

import ipaddress
import json
from collections import defaultdict
from pathlib import Path

import pytest
from socwall.feeds import flows

ZEEK = Path(__file__).resolve().parents[3] / "shared" / "data" / "zeek"
pytestmark = pytest.mark.skipif(not ZEEK.is_dir(), reason="../shared/data is not beside the repo")
CAPTURES = ["conn_trickbot_2018-11.log", "conn_json_2020-06.log", "conn_malspam_2016-12.log"]
PRIVATE = [ipaddress.ip_network(n) for n in flows.PRIVATE_NETWORKS]


def records(data: bytes):
    """Each conn record as a dict, TSV or JSON, by a plain loop."""
    lines = data.decode().splitlines()
    if lines[0].startswith("{"):
        yield from (json.loads(line) for line in lines if line.strip())
        return
    names = next(line.split("\t")[1:] for line in lines if line.startswith("#fields"))
    for line in lines:
        if line and not line.startswith("#"):
            yield dict(zip(names, line.split("\t"), strict=True))


def side(text: str) -> str:
    address = ipaddress.ip_address(text)
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    special = (address.is_multicast or address.is_unspecified or address.is_loopback
               or address.is_link_local or address.is_reserved
               or str(address) == "255.255.255.255")  # fmt: skip
    if special:
        return "special"
    return "in" if any(address in net for net in PRIVATE) else "out"


def plain_count(data: bytes) -> tuple[dict, dict]:
    """host -> bytes it sent (either side opened) and host -> connections it opened."""
    number = lambda v: 0 if v in (None, "-") else int(v)  # noqa: E731
    sent, opened = defaultdict(int), defaultdict(int)
    for r in records(data):
        src, dst = r["id.orig_h"], r["id.resp_h"]
        sport, dport = number(r["id.orig_p"]), number(r["id.resp_p"])
        out, back = number(r["orig_ip_bytes"]), number(r["resp_ip_bytes"])
        if r["proto"] in ("tcp", "udp") and sport in flows.SERVICE_PORTS and (
            dport > 1024 and dport not in flows.SERVICE_PORTS
        ):
            src, dst, out, back = dst, src, back, out  # recorded backwards
        if (side(src), side(dst)) == ("in", "out"):
            sent[str(ipaddress.ip_address(src))] += out
            opened[str(ipaddress.ip_address(src))] += 1
        elif (side(src), side(dst)) == ("out", "in"):
            sent[str(ipaddress.ip_address(dst))] += back
    return sent, opened


def top(counts: dict, n: int = 20) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]


@pytest.mark.parametrize("name", CAPTURES)
def test_rankings_on_real_captures_equal_a_plain_count(name):
    data = (ZEEK / name).read_bytes()
    path = str(ZEEK / name)
    config = flows.FlowsConfig(type="flows", path=path)
    fmt = flows.file_format(path, "auto")
    networks = flows.Networks(config.internal, config.exclude)
    pairs, stats = flows.pairs_from_bytes(data, path, fmt, config, networks)
    assert stats["bad_rows"] == 0 and stats["rows"] > 0
    sent, opened = plain_count(data)
    assert sent and opened  # every capture has traffic with the outside
    by_bytes = flows.rank_hosts(pairs, "bytes").to_pylist()
    assert [(r["host"], r["bytes"]) for r in by_bytes[:20]] == top(sent)
    out_pairs = pairs.filter(pairs["opened"].to_numpy() == 1)
    by_connections = flows.rank_hosts(out_pairs, "connections").to_pylist()
    assert [(r["host"], r["connections"]) for r in by_connections[:20]] == top(opened)
    hosts = {r["host"] for r in by_bytes}
    assert not any(ipaddress.ip_address(h).is_multicast for h in hosts)
