"""Flow rows for the query-source tests, written to Parquet by plain loops (not socwall's readers),
and the file-source side of each parity check."""

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from socwall.feeds import flow_sums

ZEEK_CONN = Path(__file__).resolve().parents[3] / "shared" / "data" / "zeek" / "conn_trickbot_2018-11.log"
# the VAST 2013 netflow CSV header, the columns socwall's VAST reader knows
VAST_HEADER = ["TimeSeconds", "parsedDate", "dateTimeStr", "ipLayerProtocol", "ipLayerProtocolCode",
               "firstSeenSrcIp", "firstSeenDestIp", "firstSeenSrcPort", "firstSeenDestPort",
               "moreFragments", "contFragments", "durationSeconds", "firstSeenSrcPayloadBytes",
               "firstSeenDestPayloadBytes", "firstSeenSrcTotalBytes", "firstSeenDestTotalBytes",
               "firstSeenSrcPacketCount", "firstSeenDestPacketCount", "recordForceOut"]  # fmt: skip
ZEEK_COLUMNS = {"src_ip": "orig_h", "dst_ip": "resp_h", "src_port": "orig_p", "dst_port": "resp_p",
                "proto": "proto", "bytes_out": "orig_ip_bytes", "bytes_in": "resp_ip_bytes",
                "packets_out": "orig_pkts", "packets_in": "resp_pkts", "duration": "duration"}
# (socwall counts IP bytes, headers included, as the VAST netflow does: see feeds/flow_readers.py)


def zeek_conn_rows(path: Path) -> dict[str, list]:
    """A Zeek conn.log's columns by a plain split on tabs; '-' is unset."""
    names, rows = None, {k: [] for k in ("ts", *ZEEK_COLUMNS.values())}
    for line in path.read_text().splitlines():
        if line.startswith("#fields"):
            names = line.split("\t")[1:]
        if line.startswith("#") or not line:
            continue
        values = dict(zip(names, line.split("\t"), strict=True))
        rows["ts"].append(float(values["ts"]))
        for column in ZEEK_COLUMNS.values():
            raw = values["id." + column] if column in ("orig_h", "resp_h", "orig_p", "resp_p") else values[column]
            rows[column].append(None if raw == "-" else raw)
    return rows


def zeek_parquet(path: Path, out: Path) -> Path:
    rows = zeek_conn_rows(path)
    table = pa.table({
        "ts": pa.array(rows["ts"], pa.float64()),
        "orig_h": rows["orig_h"], "resp_h": rows["resp_h"], "proto": rows["proto"],
        **{c: pa.array([None if v is None else int(v) for v in rows[c]], pa.int64())
           for c in ("orig_p", "resp_p", "orig_ip_bytes", "resp_ip_bytes", "orig_pkts", "resp_pkts")},
        "duration": pa.array([None if v is None else float(v) for v in rows["duration"]]),
    })  # fmt: skip
    pq.write_table(table, out)
    return out


def vast_rows(start: datetime, count: int) -> list[list]:
    """VAST-style netflow rows with the cases the cleaning handles: flows recorded backwards
    (from a service port), OTHER with port 0, IPv6, multicast, bad addresses, huge counters."""
    hosts = [f"172.16.0.{i}" for i in range(1, 40)] + ["fd00::10", "FD00::11"]
    peers = [f"203.0.113.{i}" for i in range(1, 30)] + ["2001:db8::5", "224.0.0.252",
             "10.1.1.1", "not-an-ip", "010.0.0.1", "300.1.1.1"]  # fmt: skip
    rows = []
    for n in range(count):
        moment = start + timedelta(seconds=n * 37 % 86400)
        host, peer = hosts[n % len(hosts)], peers[(n * 7) % len(peers)]
        proto, sport, dport = ("TCP", 40000 + n % 2000, 443) if n % 5 else ("OTHER", 0, 0)
        if n % 11 == 0:  # recorded backwards: from the service port to the client's
            host, peer, sport, dport = peer, host, 443, 50000 + n % 1000
        out_bytes = 2**60 if n % 97 == 0 else 100 + n % 5000
        rows.append([moment.timestamp(), "", "", 6, proto, host, peer, sport, dport, 0, 0,
                     n % 30, 0, 0, out_bytes, 50 + n % 900, 3, 2, 0])  # fmt: skip
    return rows


def vast_csv(rows: list[list], out: Path) -> Path:
    with out.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(VAST_HEADER)
        writer.writerows(rows)
    return out


def vast_parquet(rows: list[list], out: Path) -> Path:
    columns = list(zip(*rows, strict=True))
    table = pa.table({name: list(values) for name, values in zip(VAST_HEADER, columns, strict=True)
                      if name not in ("parsedDate", "dateTimeStr")})  # fmt: skip
    ts = pa.array([datetime.fromtimestamp(t, UTC) for t in table["TimeSeconds"].to_pylist()],
                  pa.timestamp("us", tz="UTC"))  # fmt: skip
    pq.write_table(table.append_column("ts", ts), out)
    return out


VAST_COLUMNS = {"src_ip": "firstSeenSrcIp", "dst_ip": "firstSeenDestIp",
                "src_port": "firstSeenSrcPort", "dst_port": "firstSeenDestPort",
                "proto": "ipLayerProtocolCode", "bytes_out": "firstSeenSrcTotalBytes",
                "bytes_in": "firstSeenDestTotalBytes", "packets_out": "firstSeenSrcPacketCount",
                "packets_in": "firstSeenDestPacketCount", "duration": "durationSeconds"}  # fmt: skip


def stored_pairs(store, source_id: str, buckets: list[int]):
    """Every stored (bucket, host, peer) sum, sorted: what top_talkers reads."""
    frame = store.flow_pairs(source_id, buckets)
    columns = ["bucket", "host", "peer", *flow_sums.PAIR_SUMS]
    frame = frame.reindex(columns=columns)
    return sorted(tuple(row) for row in frame.itertuples(index=False, name=None))


def pair_totals_by_loop(rows: list[list], start: float, end: float) -> dict[tuple, tuple]:
    """(host, peer) -> (bytes, connections, opened) from VAST rows by a plain loop, written from
    the rules in words (not from socwall's code): a counter of 2**53 or more makes the row
    unreadable; a TCP flow from port 443 to a port above 1024 is recorded backwards; the host
    is the 172.16.0.x side, the peer the 203.0.113.x side (the only ones counted here); what
    the host sent is its side's bytes."""
    totals: dict[tuple, list] = {}
    for row in rows:
        ts, proto, src, dst, sport, dport, sent, got = (row[0], row[4], *row[5:9], *row[14:16])
        if not start <= ts < end or max(sent, got) >= 2**53:
            continue
        if proto == "TCP" and sport == 443 and dport > 1024:
            src, dst, sent, got = dst, src, got, sent
        if src.startswith("172.16.0.") and dst.startswith("203.0.113."):
            key, value, opened = (src, dst), sent, 1
        elif dst.startswith("172.16.0.") and src.startswith("203.0.113."):
            key, value, opened = (dst, src), got, 0
        else:
            continue
        total = totals.setdefault(key, [0, 0, 0])
        total[0], total[1], total[2] = total[0] + value, total[1] + 1, total[2] + opened
    return {key: tuple(value) for key, value in totals.items()}


def stored_pair_totals(pairs: list[tuple]) -> dict[tuple, tuple]:
    """The same totals from stored pairs (as stored_pairs returns them), over every bucket."""
    totals: dict[tuple, list] = {}
    for _, host, peer, sent, connections, _, opened in pairs:
        if host.startswith("172.16.0.") and peer.startswith("203.0.113."):
            total = totals.setdefault((host, peer), [0, 0, 0])
            total[0], total[1], total[2] = total[0] + sent, total[1] + connections, total[2] + opened
    return {key: tuple(value) for key, value in totals.items()}
