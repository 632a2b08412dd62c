"""Top talkers pushed down: the flows source's cleaning and sums as one ibis expression.

The engine cleans (ports of protocols without ports, flows recorded backwards, values out of
range), classifies IPv4 addresses by the configured networks, keeps only flows that cross the
boundary and sums them per bucket and address pair. Only those sums come back. Python then
classifies the few distinct addresses of the answer with the same `Networks` the file source
uses, which also settles IPv6 and other non-dotted addresses the engine cannot classify: both
paths give the same pairs (tests/feeds/test_query_parity.py).
"""

import ipaddress
import re

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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
from socwall.feeds.flow_sums import flow_blobs, merge_pairs, pairs_by_code
from socwall.feeds.query_engines import newest_time

UNKNOWN = 9  # IPv6: Python classifies it
OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4 = rf"^{OCTET}\.{OCTET}\.{OCTET}\.{OCTET}$"  # no leading zeros: 010.0.0.1 is not one
COUNTS = ("bytes_out", "bytes_in", "packets_out", "packets_in")


def pair_sums(source, columns, epoch, networks: Networks, service_ports, bucket_s: int,
              stage=lambda relation: relation):  # fmt: skip
    """Per bucket and (src, dst): bytes each way and connections, of flows that may cross the
    boundary; plus, per bucket, how many rows were read, unreadable, repaired and cleared.

    Rows are summed per bucket and address pair first; each distinct address of those sums is
    classified once and joined back, so the engine tests an address once, not once per flow.
    """
    rows = cleaned(mapped(source, columns, epoch), service_ports)
    rows = rows.mutate(bucket=(rows.epoch // bucket_s) * bucket_s)
    grouped = rows.group_by(["bucket", "src_ip", "dst_ip", "in_range"]).aggregate(
        bytes_out=rows.bytes_out.sum(), bytes_in=rows.bytes_in.sum(), connections=rows.count(),
        repaired=rows.repaired.sum(), cleared=rows.cleared.sum(), last=rows.epoch.max(),
    )  # fmt: skip
    grouped = stage(with_kinds(grouped, networks))
    src_kind, dst_kind = grouped.src_kind, grouped.dst_kind
    bad = ~grouped.in_range | (src_kind == INVALID) | (dst_kind == INVALID)
    crossing = ((src_kind == INTERNAL) & (dst_kind == EXTERNAL)) | (
        (src_kind == EXTERNAL) & (dst_kind == INTERNAL))  # fmt: skip
    maybe = (src_kind == UNKNOWN) | (dst_kind == UNKNOWN)
    special = (src_kind == SPECIAL) | (dst_kind == SPECIAL)
    # a kept row is in range, so it is the only one of its (bucket, src_ip, dst_ip): no regrouping
    kept = grouped.filter(~bad & (crossing | maybe))
    pairs = kept.select("bucket", "src_ip", "dst_ip", "bytes_out", "bytes_in", "connections")
    count = grouped.connections
    per_bucket = grouped.group_by("bucket").aggregate(
        rows=count.sum(), bad_rows=bad.ifelse(count, 0).sum(), repaired=grouped.repaired.sum(),
        cleared=grouped.cleared.sum(), special=(~bad & special).ifelse(count, 0).sum(),
        last=grouped.last.max(),
    )  # fmt: skip
    return pairs, per_bucket


def with_kinds(grouped, networks: Networks):
    """The relation with `src_kind` and `dst_kind`: its distinct addresses classified once, joined
    back (a CASE per row of a big window cost DuckDB more than the grouping itself)."""
    addresses = grouped.select(ip=grouped.src_ip).union(grouped.select(ip=grouped.dst_ip),
                                                         distinct=True)  # fmt: skip
    kinds = addresses.mutate(kind=address_kind(addresses.ip, networks))
    joined = grouped.left_join(kinds.rename(src_ip="ip", src_kind="kind"), "src_ip").left_join(
        kinds.rename(dst_ip="ip", dst_kind="kind"), "dst_ip")  # fmt: skip
    # a NULL address joins nothing: INVALID, as address_kind says of it
    return joined.select(*grouped.columns, src_kind=joined.src_kind.fill_null(INVALID),
                         dst_kind=joined.dst_kind.fill_null(INVALID))  # fmt: skip


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
        prefixes = [re.escape(prefix) + ("" if prefix.endswith(".") else "$") for cidr in cidrs
                    if ipaddress.ip_network(cidr, strict=False).version == 4
                    for prefix in octet_prefixes(cidr)]  # fmt: skip
        return address.re_search(f"^({'|'.join(prefixes)})") if prefixes else ibis.literal(False)

    branches = [(address.isnull(), INVALID), (~address.re_search(IPV4).fill_null(False),
                 address.contains(":").ifelse(UNKNOWN, INVALID)),
                (inside(networks.exclude), EXCLUDED)]  # fmt: skip
    branches += [(inside(V4_CLASSES[name]), networks.classes[name]) for name in ADDRESS_CLASSES]
    branches += [(inside(networks.internal), INTERNAL)]
    return ibis.cases(*branches, else_=EXTERNAL)


def stored_pairs(sums: pa.Table, networks: Networks, bucket_s: int) -> tuple[pa.Table, int]:
    """The engine's (bucket, src, dst) sums as the stored host/peer layout of the file source,
    and the connections with a special IPv6 side (ff02::1:2, fe80::1): the engine leaves IPv6
    to Python, so they are counted here, as the file source counts them. Addresses are coded
    once for both columns; a pair written two ways (FD00::1, fd00::1) is summed as one."""
    if not sums.num_rows:
        return merge_pairs([], bucket_s), 0
    src, dst, (distinct, kinds, canonical) = coded_addresses(sums, networks)
    src_kind, dst_kind = kinds[src], kinds[dst]
    outbound = (src_kind == INTERNAL) & (dst_kind == EXTERNAL)
    crossing = outbound | ((src_kind == EXTERNAL) & (dst_kind == INTERNAL))
    number = lambda name: sums[name].to_numpy(zero_copy_only=False).astype(np.int64)  # noqa: E731
    connections = number("connections")
    sent = np.where(outbound, number("bytes_out"), number("bytes_in"))[crossing]
    opened = outbound[crossing]
    count = connections[crossing]
    names = pc.dictionary_encode(pa.array(canonical, pa.string()))
    name = names.indices.to_numpy(zero_copy_only=False).astype(np.int64)  # of each distinct
    pairs = pairs_by_code(
        bucket=number("bucket")[crossing] // bucket_s,
        host=name[np.where(outbound, src, dst)[crossing]],
        peer=name[np.where(outbound, dst, src)[crossing]],
        values={"bytes": sent, "connections": count, "bytes_opened": np.where(opened, sent, 0),
                "opened": np.where(opened, count, 0)},
        names=names.dictionary, bucket_s=bucket_s,
    )  # fmt: skip
    v6 = pc.fill_null(pc.match_substring(distinct, ":"), False).to_numpy(zero_copy_only=False)
    special = (kinds == SPECIAL) & v6
    return pairs, int(connections[special[src] | special[dst]].sum())


def coded_addresses(sums: pa.Table, networks: Networks) -> tuple:
    """Both address columns as codes into one array of distinct addresses, with the kind and
    canonical text (fd00::10 for FD00::10) of each distinct address."""
    n = sums.num_rows
    both = pc.dictionary_encode(pa.concat_arrays([sums["src_ip"].combine_chunks(),
                                                  sums["dst_ip"].combine_chunks()]))  # fmt: skip
    kinds, canonical = networks.kinds(both.dictionary)
    codes = both.indices.to_numpy(zero_copy_only=False)
    return codes[:n], codes[n:], (both.dictionary, kinds, canonical)


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
    pairs, v6_special = stored_pairs(pair_table, query_source.networks, bucket_s)
    blobs = flow_blobs(pairs) if pairs.num_rows else {}
    seen = [int(b) for b in per_bucket["bucket"].to_pylist()]
    upto = int(end.timestamp()) - bucket_s if backfilling else max([*seen, *blobs], default=0)
    emptied = [b for b in range(int(start.timestamp()), upto + 1, bucket_s) if b not in blobs]
    store.replace_flow_buckets(source_id, blobs, emptied, now, config.retention)
    store.rollup_flow_hours(source_id, [*blobs, *emptied], bucket_s, now, config.retention)
    store.set_metric_values(source_id, cleaning_metrics(per_bucket), now, config.retention)
    stats = totals(per_bucket)
    stats["special"] += v6_special
    return stats, max(seen, default=None)


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


