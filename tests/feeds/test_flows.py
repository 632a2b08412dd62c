"""Flow readers, cleaning and the flows source, on small fixtures whose sums are worked out here."""

import gzip
import json
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socwall.dashboard.config import parse_config
from socwall.feeds import flow_readers, flow_rules, flow_sums, flows
from socwall.feeds.fields import FLOW_SCHEMA
from socwall.widgets.top_talkers import rank

NOW = datetime(2013, 4, 1, 9, 0, tzinfo=UTC)
T = 1364803200  # 2013-04-01T08:00:00Z

VAST_HEADER = (
    "TimeSeconds,parsedDate,dateTimeStr,ipLayerProtocol,ipLayerProtocolCode,firstSeenSrcIp,"
    "firstSeenDestIp,firstSeenSrcPort,firstSeenDestPort,moreFragments,contFragments,"
    "durationSeconds,firstSeenSrcPayloadBytes,firstSeenDestPayloadBytes,firstSeenSrcTotalBytes,"
    "firstSeenDestTotalBytes,firstSeenSrcPacketCount,firstSeenDestPacketCount,recordForceOut\n"
)


def vast_row(ts, proto, src, dst, sport, dport, out, inn, code=6) -> str:
    date = "2013-04-01 08:00:00"
    return (f"{ts},{date},20130401080000,{code},{proto},{src},{dst},{sport},{dport},0,0,1.5,"
            f"0,0,{out},{inn},3,4,0\n")  # fmt: skip


VAST = VAST_HEADER + "".join([
    vast_row(T, "TCP", "10.0.0.5", "203.0.113.9", 51000, 443, 5000, 70000),  # out: .5 sent 5000
    vast_row(T + 1, "TCP", "203.0.113.9", "10.0.0.5", 443, 51001, 800, 300),  # backwards: 300
    vast_row(T + 2, "TCP", "198.51.100.7", "10.0.0.8", 52000, 22, 1000, 40000),  # in: .8 sent 40000
    vast_row(T + 3, "TCP", "10.0.0.5", "10.0.0.8", 51002, 445, 9999, 9999),  # internal only
    vast_row(T + 4, "OTHER", "10.0.0.9", "198.51.100.7", 0, 0, 64, 64, code=1),  # no ports
    vast_row(T + 5, "UDP", "10.0.0.5", "198.51.100.53", 53, 53, 120, 200, code=17),  # not swapped
    vast_row(T + 6, "TCP", "10.0.0.5", "203.0.113.9", 51003, 443, "12x", 5),  # bytes not a number
    vast_row(T + 7, "TCP", "10.0.0.300", "203.0.113.9", 51004, 443, 5, 5),  # not an address
    f"{T + 8},2013-04-01 08:00:08,20130401080008,6,TCP,10.0.0.5\n",  # a truncated line
])  # fmt: skip

ZEEK_HEADER = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"
    "#open\t2013-04-01-08-00-00\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\t"
    "proto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\t"
    "missed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\t"
    "bool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\n"
)
# ts uid orig_h orig_p resp_h resp_p proto service duration orig_bytes resp_bytes conn_state
# local_orig local_resp missed_bytes history orig_pkts orig_ip_bytes resp_pkts resp_ip_bytes tunnel
ZEEK_ROWS = [
    f"{T}.5 C1 10.0.0.5 51000 203.0.113.9 443 tcp ssl 2.5 4000 60000 SF - - 0 ShAD 10 5000 60 70000 -",
    f"{T + 1}.1 C2 198.51.100.7 52000 10.0.0.8 22 tcp ssh 9 900 39000 SF - - 0 S 12 1000 40 40000 -",
    f"{T + 2}.2 C3 10.0.0.9 8 198.51.100.7 0 icmp - 0.1 56 56 OTH - - 0 - 1 64 1 64 -",
    f"{T + 3}.3 C4 10.0.0.5 53 198.51.100.53 53 udp dns - - - S0 - - 0 D 1 120 1 200 -",
]
ZEEK = ZEEK_HEADER + "".join(r.replace(" ", "\t") + "\n" for r in ZEEK_ROWS) + "#close\t2013\n"


def totals(pairs: pa.Table | None = None, store=None, by="bytes") -> dict[str, tuple]:
    """host -> (bytes, connections, peers, rank) from a pairs table or from the store."""
    import pandas as pd

    frame = pairs.to_pandas() if pairs is not None else store.flow_pairs("net", _buckets())
    ranked = rank(pd.DataFrame(frame), by)
    return {r.host: (int(r.bytes), int(r.connections), int(r.peers), int(r.rank))
            for r in ranked.itertuples()}  # fmt: skip


def _buckets() -> list[int]:
    return [T - 3600 + i * 300 for i in range(24)]


def pipeline(chunk, internal=flow_rules.PRIVATE_NETWORKS, exclude=()):
    cleaned, repaired = flow_rules.repair_direction(
        flow_rules.clear_portless(chunk.table), flow_rules.SERVICE_PORTS
    )
    pairs, invalid = flow_sums.boundary_pairs(cleaned, flow_rules.Networks(internal, list(exclude)), 300)
    return cleaned, repaired, pairs, invalid


def test_vast_csv_by_hand():
    chunk = flow_readers.read_vast_csv(VAST.encode())
    assert chunk.bad_rows == 2  # the non-number and the truncated line
    cleaned, repaired, pairs, invalid = pipeline(chunk)
    assert (repaired, invalid) == (1, 1)
    assert totals(pairs) == {
        "10.0.0.8": (40000, 1, 1, 1),
        "10.0.0.5": (5000 + 300 + 120, 3, 2, 2),
        "10.0.0.9": (64, 1, 1, 3),
    }
    other = cleaned.filter(pa.compute.equal(cleaned["proto"], "other"))
    assert other["src_port"].null_count == 1 and other["dst_port"].null_count == 1


def test_ranking_by_connections_breaks_ties_by_address():
    _, _, pairs, _ = pipeline(flow_readers.read_vast_csv(VAST.encode()))
    ranks = {host: row[3] for host, row in totals(pairs, by="connections").items()}
    assert ranks == {"10.0.0.5": 1, "10.0.0.8": 2, "10.0.0.9": 3}


def test_zeek_tsv_with_unset_fields_and_close_footer():
    chunk = flow_readers.read_zeek_tsv(ZEEK.encode())
    assert (chunk.bad_rows, chunk.table.num_rows) == (0, 4)
    assert chunk.table.schema == FLOW_SCHEMA
    assert chunk.table["ts"][0].as_py() == datetime(2013, 4, 1, 8, 0, 0, 500000, tzinfo=UTC)
    assert chunk.table["duration"].null_count == 1
    _, repaired, pairs, _ = pipeline(chunk)
    assert repaired == 0
    assert totals(pairs) == {
        "10.0.0.8": (40000, 1, 1, 1), "10.0.0.5": (5120, 2, 2, 2), "10.0.0.9": (64, 1, 1, 3)
    }  # fmt: skip


def test_gzip_and_truncated_gzip():
    packed = gzip.compress(ZEEK.encode())
    text, warning = flow_readers.gunzip(packed)
    assert warning is None and text == ZEEK.encode()
    cut, warning = flow_readers.gunzip(packed[: len(packed) // 2])
    assert warning.startswith("truncated gzip: read the ")
    assert cut.endswith(b"\n") and ZEEK.encode().startswith(cut)
    assert flow_readers.gunzip(b"not gzip at all")[1].startswith("not a readable gzip file")


def test_zeek_json_lines_with_numeric_and_iso_times():
    lines = [
        {"ts": T + 0.5, "uid": "C1", "id.orig_h": "10.0.0.5", "id.orig_p": 51000,
         "id.resp_h": "203.0.113.9", "id.resp_p": 443, "proto": "tcp", "orig_ip_bytes": 5000,
         "resp_ip_bytes": 70000, "orig_pkts": 10, "resp_pkts": 60, "duration": 2.5},
        {"ts": "2013-04-01T08:00:01.250000Z", "uid": "C2", "id.orig_h": "198.51.100.7",
         "id.orig_p": 52000, "id.resp_h": "10.0.0.8", "id.resp_p": 22, "proto": "tcp",
         "orig_ip_bytes": 1000, "resp_ip_bytes": 40000},
    ]  # fmt: skip
    for ts_form in (lines[:1], lines[1:]):
        chunk = flow_readers.read_zeek_json("\n".join(json.dumps(x) for x in ts_form).encode())
        assert chunk.bad_rows == 0 and chunk.table.num_rows == 1
        assert chunk.table["ts"][0].as_py().replace(microsecond=0) >= datetime(
            2013, 4, 1, 8, tzinfo=UTC
        )


def test_generic_csv_and_parquet_with_a_column_mapping(tmp_path):
    mapping = {"ts": "time", "src_ip": "src", "dst_ip": "dst", "bytes_out": "sent",
               "bytes_in": "received", "proto": "proto"}  # fmt: skip
    text = "time,src,dst,sent,received,proto\n2013-04-01T08:00:00Z,10.0.0.5,203.0.113.9,700,1,tcp\n"
    chunk = flow_readers.read_mapped(text.encode(), "csv", mapping)
    assert chunk.table.to_pylist()[0]["bytes_out"] == 700
    table = pa.table({"time": [T], "src": ["fd12::5"], "dst": ["2001:db8::1"], "sent": [999],
                      "received": [1], "proto": ["udp"]})  # fmt: skip
    pq.write_table(table, tmp_path / "f.parquet")
    chunk = flow_readers.read_mapped((tmp_path / "f.parquet").read_bytes(), "parquet", mapping)
    assert totals(pipeline(chunk)[2]) == {"fd12::5": (999, 1, 1, 1)}  # IPv6 ULA is internal


def test_missing_required_column_is_a_clear_error():
    with pytest.raises(ValueError, match="columns firstSeenSrcIp are missing"):
        flow_readers.read_vast_csv(
            VAST_HEADER.replace("firstSeenSrcIp", "srcIp").encode() + b"1,2\n"
        )


def test_excluded_hosts_and_custom_internal_networks():
    chunk = flow_readers.read_vast_csv(VAST.encode())
    _, _, pairs, _ = pipeline(chunk, exclude=["10.0.0.9", "198.51.100.0/24"])
    assert totals(pairs) == {
        "10.0.0.5": (5300, 2, 1, 1)
    }  # .8 and the DNS flow talked to 198.51.100/24
    # VAST 2013's own internal ranges are public space: say so in config
    _, _, pairs, _ = pipeline(chunk, internal=["10.0.0.0/8", "203.0.113.0/24"])
    assert "10.0.0.5" in totals(pairs) and "203.0.113.9" not in totals(pairs)


ports = st.one_of(st.none(), st.integers(0, 65535), st.sampled_from([22, 53, 80, 443, 3389, 5355]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(ports, ports, st.integers(0, 10**9), st.integers(0, 10**9)), max_size=30))
def test_repairing_repaired_flows_changes_nothing(rows):
    table = pa.table({
        "ts": pa.array([T] * len(rows), pa.timestamp("us", tz="UTC")),
        "proto": ["tcp"] * len(rows),
        "src_ip": ["10.0.0.1"] * len(rows), "dst_ip": ["203.0.113.1"] * len(rows),
        "src_port": pa.array([r[0] for r in rows], pa.int32()),
        "dst_port": pa.array([r[1] for r in rows], pa.int32()),
        "bytes_out": pa.array([r[2] for r in rows], pa.int64()),
        "bytes_in": pa.array([r[3] for r in rows], pa.int64()),
        "packets_out": pa.array([1] * len(rows), pa.int64()),
        "packets_in": pa.array([2] * len(rows), pa.int64()),
        "duration": pa.array([1.0] * len(rows), pa.float64()),
    }, schema=FLOW_SCHEMA)  # fmt: skip
    once, _ = flow_rules.repair_direction(table, flow_rules.SERVICE_PORTS)
    twice, count = flow_rules.repair_direction(once, flow_rules.SERVICE_PORTS)
    assert count == 0 and twice.equals(once)


def flows_config(tmp_path, redis_url, prefix, pattern="*.csv", **source):
    raw = {
        "store": {"url": redis_url, "prefix": prefix},
        "sources": {"net": {"type": "flows", "path": str(tmp_path / pattern), **source}},
        "pages": [{"id": "p", "title": "P", "panels": [
            {"id": "t", "widget": "top_talkers", "title": "T", "source": "net", "at": [1, 1]}]}],
    }  # fmt: skip
    return parse_config(raw)


def test_source_reads_incrementally_across_a_restart(tmp_path, store, redis_url, prefix):
    config = flows_config(tmp_path, redis_url, prefix)
    path = tmp_path / "flows.csv"
    lines = VAST.splitlines(keepends=True)
    path.write_text("".join(lines[:3]))  # header + 2 flows
    stats = flows.Source(config.sources["net"], "net").ingest(store, NOW)
    assert (stats["rows"], stats["repaired"]) == (2, 1)
    with open(path, "a") as handle:
        handle.write("".join(lines[3:]))
    restarted = flows.Source(config.sources["net"], "net")  # state lives in Redis only
    stats = restarted.ingest(store, NOW)
    assert (stats["rows"], stats["bad_rows"], stats["repaired"]) == (4, 3, 0)
    assert restarted.ingest(store, NOW)["rows"] == 0
    assert totals(store=store)["10.0.0.5"] == (5420, 3, 2, 2)


def test_source_reads_zeek_gzip_once_and_reports_a_truncated_one(
    tmp_path, store, redis_url, prefix
):
    config = flows_config(tmp_path, redis_url, prefix, pattern="*.log.gz")
    text = ZEEK_HEADER + "".join(r.replace(" ", "\t") + "\n" for r in ZEEK_ROWS * 30)
    assert len(text) > 1024  # known by content: longer than the fingerprint
    packed = gzip.compress(text.encode())
    (tmp_path / "conn.00.log.gz").write_bytes(packed)
    (tmp_path / "conn.01.log.gz").write_bytes(packed[: len(packed) - 40])
    source = flows.Source(config.sources["net"], "net")
    stats = source.ingest(store, NOW)
    once = flows.Source(config.sources["net"], "other").ingest(store, NOW)["rows"]
    whole = flows.pairs_from_bytes(text.encode(), "x.log", "zeek", config.sources["net"],
                                   flow_rules.Networks(flow_rules.PRIVATE_NETWORKS, []))[1]["rows"]  # fmt: skip
    assert stats["rows"] == once == whole  # the truncated copy is the same content: read once
    assert source.ingest(store, NOW)["rows"] == 0


def test_config_rejects_bad_networks_and_unknown_fields(tmp_path, redis_url, prefix):
    from socwall.dashboard.config import ConfigError

    with pytest.raises(ConfigError) as caught:
        flows_config(tmp_path, redis_url, prefix, internal=["10.0.0.0/33"], columns={"sorce": "x"})
    assert caught.value.problems == [
        "sources.net.columns: unknown flow fields ['sorce']; known: ts, proto, src_ip, dst_ip, "
        "src_port, dst_port, bytes_out, bytes_in, packets_out, packets_in, duration",
        'sources.net.internal: "10.0.0.0/33" is not an address or CIDR like 10.0.0.0/8',
    ]


def test_batches_and_merged_pair_sums_equal_one_pass():
    from socwall.feeds import files

    data = VAST.encode()
    one = files.parse_csv(data, list(flow_readers.VAST_COLUMNS.values()))
    batches = list(files.csv_batches(data, list(flow_readers.VAST_COLUMNS.values()), 400))
    assert len(batches) > 2
    assert sum(b.table.num_rows for b in batches) == one.table.num_rows
    assert sum(b.bad_rows for b in batches) == one.bad_rows == 1  # the truncated line
    networks = flow_rules.Networks(flow_rules.PRIVATE_NETWORKS, [])
    whole, _ = flow_sums.boundary_pairs(pipeline(flow_readers.read_vast_csv(data))[0], networks, 3600)
    parts = [flow_sums.boundary_pairs(pipeline(flow_readers.normalize(b, flow_readers.VAST_COLUMNS))[0],
                                  networks, 3600)[0] for b in batches]  # fmt: skip
    merged = flow_sums.merge_pairs(parts, 3600)
    assert totals(merged) == totals(whole)
    assert merged.num_rows == whole.num_rows  # pairs split across batches were summed


@pytest.mark.parametrize("block_bytes", [64 << 20, 400])
def test_pairs_from_bytes_is_the_whole_ingest_of_a_file(
    tmp_path, redis_url, prefix, monkeypatch, block_bytes
):
    # with 400-byte pieces the first piece has numbers and a later one "12x": each piece is
    # parsed on its own, so only that row is lost
    from socwall.feeds import files

    monkeypatch.setattr(files, "CSV_BLOCK_BYTES", block_bytes)
    config = flows_config(tmp_path, redis_url, prefix).sources["net"]
    networks = flow_rules.Networks(config.internal, config.exclude)
    pairs, stats = flows.pairs_from_bytes(VAST.encode(), "f.csv", "vast", config, networks)
    assert (stats["rows"], stats["bad_rows"], stats["repaired"]) == (6, 3, 1)
    assert stats["newest"] == "2013-04-01T08:00:07+00:00"
    assert totals(pairs)["10.0.0.5"] == (5420, 3, 2, 2)


def flow_table(rows: list[tuple]) -> pa.Table:
    """(src_ip, dst_ip, bytes_out, bytes_in) rows as a normalized flow table at T."""
    import pyarrow as pa

    n = len(rows)
    return pa.table({
        "ts": pa.array([T * 1_000_000] * n, pa.timestamp("us", tz="UTC")),
        "proto": ["tcp"] * n, "src_ip": [r[0] for r in rows], "dst_ip": [r[1] for r in rows],
        "src_port": pa.array([50000] * n, pa.int64()), "dst_port": pa.array([443] * n, pa.int64()),
        "bytes_out": pa.array([r[2] for r in rows]), "bytes_in": pa.array([r[3] for r in rows]),
        "packets_out": pa.array([1] * n, pa.int64()), "packets_in": pa.array([1] * n, pa.int64()),
        "duration": pa.array([1.0] * n),
    })  # fmt: skip


def test_multicast_broadcast_and_friends_are_not_the_internet():
    table = flow_table([
        ("fe80::1", "ff02::1:2", 500, 0), ("10.0.0.5", "224.0.0.252", 400, 0),
        ("10.0.0.6", "239.255.255.250", 300, 0), ("10.0.0.7", "255.255.255.255", 200, 0),
        ("10.0.0.8", "0.0.0.0", 100, 0), ("127.0.0.1", "203.0.113.1", 100, 0),
        ("10.0.0.9", "203.0.113.9", 50, 0),
    ])  # fmt: skip
    networks = flow_rules.Networks(flow_rules.PRIVATE_NETWORKS, [])
    pairs, invalid = flow_sums.boundary_pairs(table, networks, 300)
    assert invalid == 0
    assert pairs.to_pydict()["host"] == ["10.0.0.9"]  # only the one real outside conversation
    assert flow_sums.special_rows(table, networks) == 6
    assert flow_sums.boundary_sums(table, networks, 300)[2] == 6  # what the source counts
    counted = flow_rules.Networks(flow_rules.PRIVATE_NETWORKS, [], {"multicast": "external"})
    hosts = flow_sums.boundary_pairs(table, counted, 300)[0].to_pydict()["host"]
    assert sorted(hosts) == ["10.0.0.5", "10.0.0.6", "10.0.0.9"]


def test_one_host_one_row_whatever_the_spelling():
    table = flow_table([
        ("fd00::10", "2001:db8::1", 100, 0), ("FD00::10", "2001:db8::1", 100, 0),
        ("fd00:0:0:0:0:0:0:10", "2001:db8::1", 100, 0), ("::ffff:10.0.0.5", "203.0.113.1", 50, 0),
        (" 10.0.0.5", "203.0.113.1", 50, 0), ("147.032.001.010", "10.0.0.5", 1, 0),
    ])  # fmt: skip
    pairs, invalid = flow_sums.boundary_pairs(table, flow_rules.Networks(flow_rules.PRIVATE_NETWORKS, []), 300)
    sums = dict(zip(pairs["host"].to_pylist(), pairs["bytes"].to_pylist(), strict=True))
    assert sums == {"fd00::10": 300, "10.0.0.5": 100}
    assert invalid == 1  # leading zeros (octal to some tools) are not an address


def test_out_of_range_values_are_unreadable_rows_never_sums():
    table = flow_table([
        ("10.0.0.1", "203.0.113.1", 2.0**60, 0), ("10.0.0.2", "203.0.113.1", -5000.0, 0),
        ("10.0.0.3", "203.0.113.1", float("nan"), 0), ("10.0.0.4", "203.0.113.1", 700.0, 0),
    ])  # fmt: skip
    pairs, invalid = flow_sums.boundary_pairs(table, flow_rules.Networks(flow_rules.PRIVATE_NETWORKS, []), 300)
    assert invalid == 3 and pairs.to_pydict()["host"] == ["10.0.0.4"]
    assert pairs.to_pydict()["bytes"] == [700]


def test_opened_and_answered_are_kept_apart():
    table = flow_table([("10.0.0.1", "203.0.113.1", 100, 900), ("203.0.113.2", "10.0.0.1", 40, 60)])
    pairs = flow_sums.boundary_pairs(table, flow_rules.Networks(flow_rules.PRIVATE_NETWORKS, []), 300)[0]
    got = pairs.to_pydict()
    assert sum(got["bytes"]) == 160 and sum(got["bytes_opened"]) == 100  # 60 were answers
    assert sum(got["connections"]) == 2 and sum(got["opened"]) == 1


def test_format_is_told_by_content_not_by_name():
    assert flows.content_format(b"#separator \\x09\n#path\tconn", "auto") == "zeek"
    assert flows.content_format(b'{"ts":1591367999.3,"uid":"C1"}', "auto") == "zeek-json"
    assert flows.content_format(b"PAR1\x15\x04", "auto") == "parquet"
    assert flows.content_format(b"TimeSeconds,parsedDate", "auto") == "vast"
