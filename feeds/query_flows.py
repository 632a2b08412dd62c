"""Top talkers pushed down: the flows source's cleaning and sums as one ibis expression.

The engine cleans (ports of protocols without ports, flows recorded backwards, values out of
range), classifies IPv4 addresses by the configured networks, keeps only flows that cross the
boundary and sums them per bucket and address pair. Only those sums come back. Python then
classifies the few distinct addresses of the answer with the same `Networks` the file source
uses, which also settles IPv6 and other non-dotted addresses the engine cannot classify: both
paths give the same pairs (tests/feeds/test_query_parity.py).
"""

import ipaddress

import ibis
import numpy as np
import pyarrow as pa

from socwall.feeds.flow_rules import (
    ADDRESS_CLASSES,
    EXCLUDED,
    EXTERNAL,
    INTERNAL,
    INVALID,
    MAX_COUNT,
    PORTED_PROTOCOLS,
    SPECIAL,
    UDP_ANSWERING_PORTS,
    V4_CLASSES,
    Networks,
)
from socwall.feeds.flow_sums import flow_blobs, merge_pairs  # fmt: skip
from socwall.feeds.query_engines import newest_time

UNKNOWN = 9  # IPv6: Python classifies it
OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4 = rf"^{OCTET}\.{OCTET}\.{OCTET}\.{OCTET}$"  # no leading zeros: 010.0.0.1 is not one
COUNTS = ("bytes_out", "bytes_in", "packets_out", "packets_in")


def pair_sums(source, columns, epoch, networks: Networks, service_ports, bucket_s: int,
              stage=lambda relation: relation):  # fmt: skip
    """Per bucket and (src, dst): bytes each way and connections, of flows that may cross the
    boundary; plus, per bucket, how many rows were read, unreadable, repaired and cleared.

    Rows are summed per bucket and address pair first; addresses are classified on those sums,
    so the engine tests each pair once per bucket instead of once per flow.
    """
    rows = cleaned(mapped(source, columns, epoch), service_ports)
    rows = rows.mutate(bucket=(rows.epoch // bucket_s) * bucket_s)
    grouped = rows.group_by(["bucket", "src_ip", "dst_ip", "in_range"]).aggregate(
        bytes_out=rows.bytes_out.sum(), bytes_in=rows.bytes_in.sum(), connections=rows.count(),
        repaired=rows.repaired.sum(), cleared=rows.cleared.sum(), last=rows.epoch.max(),
    )  # fmt: skip
    grouped = stage(grouped.mutate(src_kind=address_kind(grouped.src_ip, networks),
                                   dst_kind=address_kind(grouped.dst_ip, networks)))  # fmt: skip
    src_kind, dst_kind = grouped.src_kind, grouped.dst_kind
    bad = ~grouped.in_range | (src_kind == INVALID) | (dst_kind == INVALID)
    crossing = ((src_kind == INTERNAL) & (dst_kind == EXTERNAL)) | (
        (src_kind == EXTERNAL) & (dst_kind == INTERNAL))  # fmt: skip
    maybe = (src_kind == UNKNOWN) | (dst_kind == UNKNOWN)
    special = (src_kind == SPECIAL) | (dst_kind == SPECIAL)
    # `connections < 0` never holds; naming a sum keeps the optimizer (Spark's) from pushing
    # the classification below the grouping, where it would run once per row, not per pair
    kept = grouped.filter((~bad & (crossing | maybe)) | (grouped.connections < 0))
    pairs = kept.group_by(["bucket", "src_ip", "dst_ip"]).aggregate(
        bytes_out=kept.bytes_out.sum(), bytes_in=kept.bytes_in.sum(),
        connections=kept.connections.sum())  # fmt: skip
    count = grouped.connections
    per_bucket = grouped.group_by("bucket").aggregate(
        rows=count.sum(), bad_rows=bad.ifelse(count, 0).sum(), repaired=grouped.repaired.sum(),
        cleared=grouped.cleared.sum(), special=(~bad & special).ifelse(count, 0).sum(),
        last=grouped.last.max(),
    )  # fmt: skip
    return pairs, per_bucket


def mapped(source, columns: dict[str, str], epoch):
    """Only the mapped columns, under socwall's field names; absent counts are 0."""
    field = {name: source[column] for name, column in columns.items()}
    return source.select(
        epoch=epoch,
        proto=field["proto"].cast("string").lower() if "proto" in field else ibis.null("string"),
        src_ip=address_text(field["src_ip"]), dst_ip=address_text(field["dst_ip"]),
        **{p: field[p].cast("int64") if p in field else ibis.null("int64")
           for p in ("src_port", "dst_port")},
        **{c: field[c].cast("int64") if c in field else ibis.literal(0, "int64") for c in COUNTS},
        duration=field["duration"].cast("float64") if "duration" in field else ibis.literal(0.0),
    )  # fmt: skip


def address_text(column):
    """An address column as text: a native address type (PostgreSQL `inet`, `cidr`: text with a
    `/32` mask) without its mask, so it reads as the address it is."""
    if column.type().is_string():
        return trimmed(column)
    return trimmed(column).re_replace(r"/[0-9]{1,3}$", "")


def trimmed(column):
    """Text without surrounding white space. Not ibis `strip()`: its Spark SQL writes the
    form feed as '\\f', which Spark reads as the letter f (fd00::10 became d00::10)."""
    return column.cast("string").re_replace(r"^\s+|\s+$", "")


def cleaned(rows, service_ports: list[int]):
    """(Flags become 1/0 by ifelse: PostgreSQL cannot cast a boolean to bigint.)
    Ports only for TCP and UDP; flows from a service port to an ephemeral one swapped; every
    value in range (as flows.values_in_range)."""
    ported = rows.proto.isin(PORTED_PROTOCOLS).fill_null(False)
    rows = rows.mutate(
        ported=ported,
        cleared=(~ported & (rows.src_port.notnull() | rows.dst_port.notnull())).ifelse(1, 0),
        src_port=ported.ifelse(rows.src_port, ibis.null("int64")),
        dst_port=ported.ifelse(rows.dst_port, ibis.null("int64")),
    )
    services = list(service_ports)
    udp_services = sorted(set(services) & set(UDP_ANSWERING_PORTS)) or [-1]
    answering = (rows.proto == "udp").fill_null(False).ifelse(
        rows.src_port.isin(udp_services), rows.src_port.isin(services))  # as repair_direction
    rows = rows.mutate(backwards=(answering & (rows.dst_port > 1024)
                                  & ~rows.dst_port.isin(services)).fill_null(False))  # fmt: skip
    back = rows.backwards
    in_range = rows.epoch.between(631152000, 4102444800)
    for name in (*COUNTS, "src_port", "dst_port"):
        high = 65535 if name.endswith("port") else MAX_COUNT
        in_range &= rows[name].fill_null(0).between(0, high)
    return rows.mutate(
        src_ip=back.ifelse(rows.dst_ip, rows.src_ip), dst_ip=back.ifelse(rows.src_ip, rows.dst_ip),
        bytes_out=back.ifelse(rows.bytes_in, rows.bytes_out).fill_null(0),
        bytes_in=back.ifelse(rows.bytes_out, rows.bytes_in).fill_null(0),
        in_range=in_range & (rows.duration.fill_null(0) >= 0), repaired=back.ifelse(1, 0),
    )  # fmt: skip


def octet_prefixes(cidr: str) -> list[str]:
    """An IPv4 network as text prefixes on octet boundaries ("10.", "172.16.", ..., "172.31."):
    a prefix test is cheap on every engine, and stays cheap when the optimizer inlines it."""
    net = ipaddress.ip_network(cidr, strict=False)
    aligned = -(-net.prefixlen // 8) * 8
    prefixes = []
    for part in net.subnets(new_prefix=aligned) if aligned != net.prefixlen else [net]:
        octets = str(part.network_address).split(".")[: aligned // 8]
        prefixes.append(".".join(octets) + ("." if aligned < 32 else ""))
    return prefixes


def address_kind(address, networks: Networks):
    """INTERNAL, EXTERNAL, EXCLUDED, SPECIAL or INVALID for IPv4 written plainly (which is also
    how Networks canonicalises it); UNKNOWN for IPv6 (Python decides); INVALID otherwise.
    The rules apply in the order of Networks._v4_kinds."""

    def inside(cidrs) -> ibis.Expr:
        hit = ibis.literal(False)
        for cidr in cidrs:
            if ipaddress.ip_network(cidr, strict=False).version == 4:
                for prefix in octet_prefixes(cidr):
                    hit |= address.startswith(prefix) if prefix.endswith(".") else address == prefix
        return hit

    branches = [(address.isnull(), INVALID), (~address.re_search(IPV4).fill_null(False),
                 address.contains(":").ifelse(UNKNOWN, INVALID)),
                (inside(networks.exclude), EXCLUDED)]  # fmt: skip
    branches += [(inside(V4_CLASSES[name]), networks.classes[name]) for name in ADDRESS_CLASSES]
    branches += [(inside(networks.internal), INTERNAL)]
    return ibis.cases(*branches, else_=EXTERNAL)


def boundary_pairs(sums: pa.Table, networks: Networks, bucket_s: int) -> pa.Table:
    """The engine's (bucket, src, dst) sums as the stored host/peer layout of the file source."""
    if not sums.num_rows:
        return merge_pairs([], bucket_s)
    addresses = pa.concat_arrays([sums["src_ip"].combine_chunks(), sums["dst_ip"].combine_chunks()])
    encoded = addresses.dictionary_encode()
    kinds, canonical = networks.kinds(encoded.dictionary)
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    n = sums.num_rows
    src_kind, dst_kind = kinds[codes[:n]], kinds[codes[n:]]
    outbound = (src_kind == INTERNAL) & (dst_kind == EXTERNAL)
    crossing = outbound | ((src_kind == EXTERNAL) & (dst_kind == INTERNAL))
    names = np.array(canonical, dtype=object)
    src, dst = names[codes[:n]], names[codes[n:]]
    out_bytes = sums["bytes_out"].to_numpy(zero_copy_only=False).astype(np.int64)
    in_bytes = sums["bytes_in"].to_numpy(zero_copy_only=False).astype(np.int64)
    sent = np.where(outbound, out_bytes, in_bytes)
    connections = sums["connections"].to_numpy(zero_copy_only=False).astype(np.int64)
    opened = np.where(outbound, connections, 0)
    table = pa.table({
        "bucket": sums["bucket"].to_numpy(zero_copy_only=False)[crossing].astype(np.int64),
        "bytes": sent[crossing], "connections": connections[crossing],
        "bytes_opened": np.where(outbound, sent, 0)[crossing], "opened": opened[crossing],
        "host": pa.array(np.where(outbound, src, dst)[crossing], pa.string()),
        "peer": pa.array(np.where(outbound, dst, src)[crossing], pa.string()),
    })  # fmt: skip
    return merge_pairs([table, table.slice(0, 0)], bucket_s)  # sums pairs named two ways


def expressions(source, epoch, query_source, stage) -> list:
    """The engine's work for one refresh of a flows query source."""
    config = query_source.config
    bucket_s = int(config.bucket.total_seconds())
    return list(pair_sums(source, config.columns, epoch, query_source.networks,
                          config.service_ports, bucket_s, stage))  # fmt: skip


def write(answers, store, query_source, start, end, backfilling: bool, now) -> tuple[dict, int]:
    """Replace the asked buckets' pairs and cleaning counts; the stats and newest bucket."""
    pair_table, per_bucket = answers
    config, source_id = query_source.config, query_source.source_id
    bucket_s = int(config.bucket.total_seconds())
    pairs = boundary_pairs(pair_table, query_source.networks, bucket_s)
    blobs = flow_blobs(pairs) if pairs.num_rows else {}
    seen = [int(b) for b in per_bucket["bucket"].to_pylist()]
    upto = int(end.timestamp()) - bucket_s if backfilling else max([*seen, *blobs], default=0)
    emptied = [b for b in range(int(start.timestamp()), upto + 1, bucket_s) if b not in blobs]
    store.replace_flow_buckets(source_id, blobs, emptied, now, config.retention)
    store.rollup_flow_hours(source_id, [*blobs, *emptied], bucket_s, now, config.retention)
    store.set_metric_values(source_id, cleaning_metrics(per_bucket), now, config.retention)
    stats = totals(per_bucket)
    stats["special"] += v6_special(pair_table, query_source.networks)
    return stats, max(seen, default=None)


def v6_special(sums: pa.Table, networks: Networks) -> int:
    """Flows with a multicast, link-local, ... IPv6 side (ff02::1:2, fe80::1): the engine leaves
    IPv6 to Python, so they are counted here, as the file source counts them."""
    if not sums.num_rows:
        return 0
    addresses = pa.concat_arrays([sums["src_ip"].combine_chunks(), sums["dst_ip"].combine_chunks()])
    encoded = addresses.dictionary_encode()
    kinds, _ = networks.kinds(encoded.dictionary)
    v6 = np.array([":" in (a or "") for a in encoded.dictionary.to_pylist()], dtype=bool)
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    n = sums.num_rows
    special = (kinds == SPECIAL) & v6
    either = special[codes[:n]] | special[codes[n:]]
    connections = sums["connections"].to_numpy(zero_copy_only=False)
    return int(connections[either].sum())


def cleaning_metrics(per_bucket) -> dict[str, dict[int, float]]:
    """Flows repaired (recorded backwards) and ports cleared, per bucket, as the file source
    counts them for the panel's cleaning line."""
    buckets = per_bucket["bucket"].to_pylist()
    return {name: {int(b): float(v) for b, v in zip(buckets, per_bucket[name].to_pylist(),
                                                     strict=True) if v}
            for name in ("repaired", "cleared")}  # fmt: skip


def totals(per_bucket) -> dict:
    """The refresh's counts for the source status; `newest` is the latest row's time."""
    column = lambda name: [v or 0 for v in per_bucket[name].to_pylist()]  # noqa: E731
    bad = sum(column("bad_rows"))
    return {"rows": sum(column("rows")) - bad, "bad_rows": bad, "warnings": [],
            "repaired": sum(column("repaired")), "ports_cleared": sum(column("cleared")),
            "special": sum(column("special")),
            "newest": newest_time(per_bucket)}  # fmt: skip


