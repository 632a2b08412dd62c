"""Top talkers pushed down: the flows source's cleaning and sums as one ibis expression.

The engine cleans (ports of protocols without ports, flows recorded backwards, values out of
range), classifies each distinct address once by the configured networks and joins the kinds
back to the rows, then groups once per bucket, internal host, outside peer and `state` (what
became of the rows: crossing the boundary, left to Python, unreadable, ...). That one answer
holds the stored pairs and, summed per bucket in Arrow, the cleaning counts. IPv6 and other
non-dotted addresses, which the engine cannot classify, come back as recorded (src as host)
and Python settles them with the same `Networks` the file source uses: both paths give the
same pairs (tests/feeds/test_query_flows.py).
"""

import ipaddress
import re

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
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
from socwall.feeds.flow_sums import PAIR_SUMS, flow_blobs, merge_pairs, pairs_by_code
from socwall.feeds.query_engines import newest_time

UNKNOWN = 9  # IPv6: Python classifies it
OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4 = rf"^{OCTET}\.{OCTET}\.{OCTET}\.{OCTET}$"  # no leading zeros: 010.0.0.1 is not one
COUNTS = ("bytes_out", "bytes_in", "packets_out", "packets_in")
# what became of a group's rows (its `state`), in the order the engine decides it
CROSSING = 0  # internal host and external peer: summed as stored
UNSETTLED = 1  # an IPv6 side: host and peer as recorded (src, dst), Python settles them
UNSETTLED_SPECIAL = 2  # the same, with a special IPv4 side (counted as special here)
BAD = 3  # unreadable: a value out of range or an address that is not one
SPECIAL_SIDE = 4  # a special IPv4 side (multicast, broadcast, ...): counted, not stored
OTHER = 5  # inside only, outside only, excluded: counted, not stored
UNSETTLED_STATES = [UNSETTLED, UNSETTLED_SPECIAL]
SPECIAL_STATES = [SPECIAL_SIDE, UNSETTLED_SPECIAL]  # counted as special by the engine


def pair_sums(source, columns, epoch, networks: Networks, service_ports, bucket_s: int):
    """Per bucket, host, peer and state: bytes the host sent and received, connections, and of
    those what the host opened; repaired and cleared rows and the newest time, for the counts.
    Rows that are not stored (bad, special, ...) have no host and peer: a few groups a bucket."""
    rows = with_kinds(cleaned(mapped(source, columns, epoch), service_ports), networks)
    src_kind, dst_kind = rows.src_kind, rows.dst_kind
    bad = ~rows.in_range | (src_kind == INVALID) | (dst_kind == INVALID)
    outbound = (src_kind == INTERNAL) & (dst_kind == EXTERNAL)
    inbound = (src_kind == EXTERNAL) & (dst_kind == INTERNAL)
    unsettled = (src_kind == UNKNOWN) | (dst_kind == UNKNOWN)
    special = (src_kind == SPECIAL) | (dst_kind == SPECIAL)
    answered, stored = ~bad & inbound, ~bad & (outbound | inbound | unsettled)
    nobody = ibis.null("string")
    rows = rows.mutate(
        bucket=(rows.epoch // bucket_s) * bucket_s,
        state=ibis.cases((bad, BAD), (outbound | inbound, CROSSING),
                         (unsettled & special, UNSETTLED_SPECIAL), (unsettled, UNSETTLED),
                         (special, SPECIAL_SIDE), else_=OTHER),
        opened=~bad & outbound,
        host=stored.ifelse(answered.ifelse(rows.dst_name, rows.src_name), nobody),
        peer=stored.ifelse(answered.ifelse(rows.src_name, rows.dst_name), nobody),
        sent=answered.ifelse(rows.bytes_in, rows.bytes_out),
        received=answered.ifelse(rows.bytes_out, rows.bytes_in),
    )  # fmt: skip
    return rows.group_by(["bucket", "host", "peer", "state"]).aggregate(
        bytes=total(rows.sent), received=total(rows.received), connections=rows.count(),
        bytes_opened=total(rows.opened.ifelse(rows.sent, 0)), opened=rows.count(where=rows.opened),
        repaired=rows.count(where=rows.backwards), cleared=rows.count(where=rows.cleared == 1),
        last=rows.epoch.max(),
    )  # fmt: skip


def total(values):
    """The sum as a 64-bit integer in the engine's answer too: DuckDB sums BIGINT as HUGEINT,
    which comes back as 128-bit decimals that ibis then converts (3 x 160 MB at 7 d); ibis
    drops a cast to the type it already infers, so the cast is made explicitly."""
    return ops.Cast(values.sum(), to=dt.int64).to_expr()


def with_kinds(rows, networks: Networks):
    """The rows with the name (trimmed text) and kind of each address: the distinct addresses
    are classified once and joined back (a CASE per row cost DuckDB more than the grouping)."""
    addresses = rows.select(ip=rows.src_ip).union(rows.select(ip=rows.dst_ip), distinct=True)
    kinds = addresses.mutate(name=trimmed(addresses.ip))
    kinds = kinds.mutate(kind=address_kind(kinds.name, networks))
    joined = rows.left_join(kinds.rename(src_ip="ip", src_name="name", src_kind="kind"),
                            "src_ip").left_join(
        kinds.rename(dst_ip="ip", dst_name="name", dst_kind="kind"), "dst_ip")  # fmt: skip
    # a NULL address joins nothing: INVALID, as address_kind says of it
    return joined.select(*rows.columns, src_name=joined.src_name, dst_name=joined.dst_name,
                         src_kind=joined.src_kind.fill_null(INVALID),
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
    """An address column as text, spaces and all (with_kinds trims each distinct address once):
    a native address type (PostgreSQL `inet`, `cidr`: text with a `/32` mask) without its
    mask, so it reads as the address it is."""
    if column.type().is_string():
        return column
    return column.cast("string").re_replace(r"/[0-9]{1,3}$", "")


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


def split_answers(answers: list[pa.Table]) -> list[pa.Table]:
    """The engine's one grouping as the refresh's two answers: the groups (the pairs to store
    among them) and, per bucket, the rows read, unreadable, special, repaired and cleared, and
    the newest time. Only the few bad and special groups (one a bucket and state, unnamed) are
    read one by one: an array the size of the answer costs more to allocate than to fill."""
    (groups,) = answers
    per_bucket = groups.group_by("bucket").aggregate(
        [("connections", "sum"), ("repaired", "sum"), ("cleared", "sum"), ("last", "max")])
    state = groups["state"]
    counted = groups.filter(pc.is_in(state, pa.array([BAD, *SPECIAL_STATES], state.type)))
    bad, special = {}, {}
    columns = (counted[name].to_pylist() for name in ("bucket", "state", "connections"))
    for bucket, state, connections in zip(*columns, strict=True):
        if state == BAD:
            bad[bucket] = bad.get(bucket, 0) + connections
        else:
            special[bucket] = special.get(bucket, 0) + connections
    buckets = per_bucket["bucket"].to_pylist()
    return [groups, pa.table({
        "bucket": per_bucket["bucket"], "rows": per_bucket["connections_sum"],
        "bad_rows": pa.array([bad.get(b, 0) for b in buckets], pa.int64()),
        "special": pa.array([special.get(b, 0) for b in buckets], pa.int64()),
        "repaired": per_bucket["repaired_sum"], "cleared": per_bucket["cleared_sum"],
        "last": per_bucket["last_max"],
    })]  # fmt: skip


def stored_pairs(groups: pa.Table, networks: Networks, bucket_s: int) -> tuple[pa.Table, int]:
    """The engine's groups as the stored host/peer layout of the file source, and the
    connections with a special IPv6 side (ff02::1:2, fe80::1), counted here as the file source
    counts them. Crossing groups are stored as they are (the engine summed them per bucket,
    host and peer); unsettled ones are settled by `Networks` and summed in."""
    state = groups["state"]
    crossing = rows_where(groups, pc.equal(state, CROSSING))
    pairs = pa.table({"bucket": crossing["bucket"], **{name: crossing[name] for name in PAIR_SUMS},
                      **{side: pc.dictionary_encode(crossing[side])  # a dictionary a chunk
                         for side in ("host", "peer")}})  # fmt: skip
    unsettled = groups.filter(pc.is_in(state, pa.array(UNSETTLED_STATES, state.type)))
    if not unsettled.num_rows:
        return pairs, 0
    settled, special = settled_pairs(unsettled, networks, bucket_s)
    return merge_pairs([pairs, settled], bucket_s), special


def rows_where(table: pa.Table, mask) -> pa.Table:
    """The rows where `mask` holds: the table itself, not a copy, when it holds for all."""
    return table if pc.all(mask).as_py() is not False else table.filter(mask)


def settled_pairs(sums: pa.Table, networks: Networks, bucket_s: int) -> tuple[pa.Table, int]:
    """Groups the engine could not classify (host and peer as recorded: src and dst; `bytes`
    what src sent, `received` what dst sent) as stored pairs, and their connections with a
    special IPv6 side. Addresses are coded once for both columns; a pair written two ways
    (FD00::1, fd00::1, or ::ffff:10.0.0.1 and 10.0.0.1) is summed as one."""
    src, dst, (distinct, kinds, canonical) = coded_addresses(sums, networks)
    src_kind, dst_kind = kinds[src], kinds[dst]
    outbound = (src_kind == INTERNAL) & (dst_kind == EXTERNAL)
    crossing = outbound | ((src_kind == EXTERNAL) & (dst_kind == INTERNAL))
    number = lambda name: sums[name].to_numpy(zero_copy_only=False).astype(np.int64)  # noqa: E731
    connections = number("connections")
    sent = np.where(outbound, number("bytes"), number("received"))[crossing]
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
    """Both address columns (host, peer) as codes into one array of distinct addresses, with
    the kind and canonical text (fd00::10 for FD00::10) of each distinct address."""
    n = sums.num_rows
    both = pc.dictionary_encode(pa.concat_arrays([sums["host"].combine_chunks(),
                                                  sums["peer"].combine_chunks()]))  # fmt: skip
    kinds, canonical = networks.kinds(both.dictionary)
    codes = both.indices.to_numpy(zero_copy_only=False)
    return codes[:n], codes[n:], (both.dictionary, kinds, canonical)


def expressions(source, epoch, query_source, stage) -> list:
    """The engine's work for one refresh of a flows query source: one grouping (nothing to
    `stage`); split_answers makes the refresh's answers of it."""
    config = query_source.config
    bucket_s = int(config.bucket.total_seconds())
    return [pair_sums(source, config.columns, epoch, query_source.networks,
                      config.service_ports, bucket_s)]  # fmt: skip


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


