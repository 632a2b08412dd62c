"""Flow cleaning: value ranges, address classes and spellings, format by content."""

import gzip
import ipaddress
import json
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from socwall.feeds import flow_readers, flows

T = 1364803200


def json_flows(rows: list[dict]) -> bytes:
    base = {"ts": T, "proto": "tcp", "id.orig_p": 51000, "id.resp_p": 443,
            "orig_ip_bytes": 10, "resp_ip_bytes": 20, "orig_pkts": 1, "resp_pkts": 1}  # fmt: skip
    return "".join(json.dumps({**base, **row}) + "\n" for row in rows).encode()


def host_sums(data: bytes, networks=None) -> tuple[dict, int, int]:
    chunk = flow_readers.read_zeek_json(data)
    networks = networks or flows.Networks(flows.PRIVATE_NETWORKS, [])
    cleaned, _ = flows.repair_direction(flows.clear_portless(chunk.table), flows.SERVICE_PORTS)
    pairs, invalid = flows.boundary_pairs(cleaned, networks, 300)
    table = flows.rank_hosts(pairs, "bytes").to_pylist()
    sums = {r["host"]: (r["bytes"], r["connections"], r["peers"]) for r in table}
    return sums, chunk.bad_rows, invalid


def test_out_of_range_values_make_rows_unreadable_never_summed():
    good = {"id.orig_h": "10.0.0.5", "id.resp_h": "203.0.113.9"}
    rows = [
        {**good, "orig_ip_bytes": 100},
        {**good, "orig_ip_bytes": 99999999999999999999},  # would wrap to -9.2e18 as int64
        {**good, "orig_ip_bytes": -5000},
        {**good, "orig_pkts": 2**53 + 10},
        {**good, "id.resp_p": 70000},
        {**good, "duration": -1.0},
        {**good, "ts": 99999999999},  # year 5138
        {**good, "ts": -5},
        {**good, "orig_ip_bytes": 2**53},  # the largest count still allowed
    ]
    nan = json_flows([{**good, "orig_ip_bytes": 7}]).replace(b": 7,", b": NaN,")
    text = json_flows(rows) + nan
    sums, bad, invalid = host_sums(text)
    assert bad == 8 and invalid == 0  # seven out of range, one NaN
    assert sums == {"10.0.0.5": (100 + 2**53, 2, 1)}


def test_csv_text_numbers_out_of_range_are_unreadable():
    csv = (b"t,s,d,b\n" + f"{T},10.0.0.5,8.8.8.8,99999999999999999999\n".encode()
           + f"{T},10.0.0.5,8.8.8.8,-1\n{T},10.0.0.5,8.8.8.8,12\n".encode())  # fmt: skip
    chunk = flow_readers.read_mapped(csv, "csv", {"ts": "t", "src_ip": "s", "dst_ip": "d",
                                                  "bytes_out": "b"})  # fmt: skip
    assert chunk.bad_rows == 2 and chunk.table["bytes_out"].to_pylist() == [12]


def test_multicast_broadcast_and_other_classes_are_neither_side_by_default():
    rows = [
        {"id.orig_h": "fe80::1", "id.resp_h": "ff02::1:2", "id.orig_p": 546, "id.resp_p": 547,
         "proto": "udp", "orig_ip_bytes": 9000},  # fmt: skip
        {"id.orig_h": "10.0.0.7", "id.resp_h": "224.0.0.252", "orig_ip_bytes": 500},
        {"id.orig_h": "10.0.0.7", "id.resp_h": "239.255.255.250", "orig_ip_bytes": 500},
        {"id.orig_h": "10.0.0.7", "id.resp_h": "255.255.255.255", "orig_ip_bytes": 500},
        {"id.orig_h": "0.0.0.0", "id.resp_h": "255.255.255.255", "orig_ip_bytes": 500},
        {"id.orig_h": "10.0.0.7", "id.resp_h": "240.0.0.1", "orig_ip_bytes": 500},
        {"id.orig_h": "10.0.0.8", "id.resp_h": "203.0.113.9", "orig_ip_bytes": 40},
    ]
    sums, bad, invalid = host_sums(json_flows(rows))
    assert (sums, bad, invalid) == ({"10.0.0.8": (40, 1, 1)}, 0, 0)
    as_external = flows.Networks(flows.PRIVATE_NETWORKS, [], {"multicast": "external"})
    sums, _, _ = host_sums(json_flows(rows), as_external)
    assert sums == {"10.0.0.8": (40, 1, 1), "10.0.0.7": (1000, 2, 2)}


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_vectorized_ipv4_classes_agree_with_the_standard_library(number):
    address = ipaddress.IPv4Address(number)
    networks = flows.Networks(flows.PRIVATE_NETWORKS, [])
    vectorized = int(networks.kinds(pa.array([str(address)]))[0])
    assert vectorized == networks.kind_of(address)
    special = flows.address_class(address)
    assert (vectorized == flows.SPECIAL) == (special is not None)


def test_one_host_whatever_its_spelling():
    peer = {"id.resp_h": "203.0.113.9"}
    rows = [
        {**peer, "id.orig_h": "fd00::10"}, {**peer, "id.orig_h": "FD00::10"},
        {**peer, "id.orig_h": "fd00:0:0:0:0:0:0:10"},
        {**peer, "id.orig_h": "::ffff:10.0.0.5"}, {**peer, "id.orig_h": " 10.0.0.5"},
        {**peer, "id.orig_h": "10.0.0.5"},
        {**peer, "id.orig_h": "147.032.001.010"},  # leading zeros: octal to some tools, unreadable
        {"id.orig_h": "10.0.0.5", "id.resp_h": "::FFFF:203.0.113.9"},
    ]  # fmt: skip
    sums, bad, invalid = host_sums(json_flows(rows))
    assert sums == {"10.0.0.5": (40, 4, 1), "fd00::10": (30, 3, 1)}
    assert (bad, invalid) == (0, 1)


def test_format_is_decided_by_content_not_name(tmp_path):
    from tests.feeds.test_flows import VAST, ZEEK

    cases = {"conn.log": json_flows([{"id.orig_h": "10.0.0.5", "id.resp_h": "8.8.8.8"}]),
             "zeek.json": ZEEK.encode(), "flows.log": VAST.encode()}  # fmt: skip
    expected = {"conn.log": "zeek-json", "zeek.json": "zeek", "flows.log": "vast"}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        assert flows.file_format(str(tmp_path / name), "auto") == expected[name]
    (tmp_path / "conn.log.gz").write_bytes(gzip.compress(cases["conn.log"]))
    assert flows.file_format(str(tmp_path / "conn.log.gz"), "auto") == "zeek-json"
    pq.write_table(pa.table({"a": [1]}), tmp_path / "x.bin")
    assert flows.file_format(str(tmp_path / "x.bin"), "auto") == "parquet"
    (tmp_path / "notes.txt").write_bytes(b"hello\n")
    with pytest.raises(ValueError, match="notes.txt: neither Zeek TSV"):
        flows.file_format(str(tmp_path / "notes.txt"), "auto")


def test_icmp_ports_cleared_are_counted():
    rows = [{"id.orig_h": "10.0.0.5", "id.resp_h": "8.8.8.8", "proto": "icmp", "id.orig_p": 8,
             "id.resp_p": 0}, {"id.orig_h": "10.0.0.5", "id.resp_h": "8.8.8.8"}]  # fmt: skip
    config = flows.FlowsConfig(type="flows", path="/x/*.log")
    _, stats = flows.pairs_from_bytes(json_flows(rows), "a.log", "zeek-json", config,
                                      flows.Networks(config.internal, config.exclude))  # fmt: skip
    assert stats["ports_cleared"] == 1 and stats["rows"] == 2


def test_a_file_that_fails_is_named_in_the_error(tmp_path, store):
    (tmp_path / "conn.log").write_bytes(b"#separator \\x09\n#path\tconn\n1\t2\n")
    config = flows.FlowsConfig(type="flows", path=str(tmp_path / "*.log"), format="zeek")
    with pytest.raises(ValueError, match=r"conn\.log: not a Zeek TSV log"):
        flows.Source(config, "net").ingest(store, datetime.now(UTC))
