"""How flow records are cleaned and classified: service ports, backwards flows, address classes,
values in range. The rules are written once here; feeds/flows.py and the query sources use them."""

import ipaddress

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from socwall.feeds.flow_defaults import (  # noqa: F401  (the rules' defaults, named here too)
    ADDRESS_CLASSES,
    PRIVATE_NETWORKS,
    SERVICE_PORTS,
)

MAX_COUNT = 2**53  # bytes and packets above this are not real (a wrapped or corrupt counter)
PORTED_PROTOCOLS = ["tcp", "udp"]
# Ports that answer over UDP from the internet: a UDP flow from one of these to a high port is
# an answer, recorded backwards. 8080, 1521, 3306 ... are TCP services: a UDP flow from such a
# port is a peer that happens to use it (P2P to our host's own high port), and SSDP (1900),
# NetBIOS and LLMNR stay on the local network: never repaired into a flow our host opened.
UDP_ANSWERING_PORTS = [53, 67, 68, 69, 123, 161, 162, 443, 500, 514, 4500, 5060]


def ports_to_clear(flows: pa.Table) -> np.ndarray:
    """Per row: a flow neither TCP nor UDP that carries a port (VAST's OTHER with port 0)."""
    ported = pc.fill_null(pc.is_in(flows["proto"], pa.array(PORTED_PROTOCOLS)), False)
    has_port = pc.or_(pc.is_valid(flows["src_port"]), pc.is_valid(flows["dst_port"]))
    return pc.and_(pc.invert(ported), has_port).to_numpy(zero_copy_only=False)


def clear_portless(flows: pa.Table) -> pa.Table:
    """Ports of flows that are neither TCP nor UDP mean nothing (VAST writes OTHER, port 0)."""
    ported = pc.fill_null(pc.is_in(flows["proto"], pa.array(PORTED_PROTOCOLS)), False)
    for name in ("src_port", "dst_port"):
        column = flows[name]
        flows = flows.set_column(
            flows.schema.get_field_index(name), name, pc.if_else(ported, column, None)
        )
    return flows


SWAPPED_PAIRS = [("src_ip", "dst_ip"), ("src_port", "dst_port"), ("bytes_out", "bytes_in"),
                 ("packets_out", "packets_in")]  # fmt: skip


def repair_direction(flows: pa.Table, service_ports: list[int], with_mask: bool = False):
    """Swap flows recorded backwards: from a service port to an ephemeral one (>1024, not one);
    for UDP only from a port that answers over UDP (UDP_ANSWERING_PORTS).
    Returns the flows and how many were swapped (or, `with_mask`, which ones)."""
    backwards = backwards_flows(flows, service_ports)
    count = pc.sum(backwards).as_py() or 0
    result = backwards.to_numpy(zero_copy_only=False) if with_mask else count
    if not count:
        return flows, result
    for left, right in SWAPPED_PAIRS:
        a, b = flows[left], flows[right]
        flows = flows.set_column(
            flows.schema.get_field_index(left), left, pc.if_else(backwards, b, a)
        )
        flows = flows.set_column(
            flows.schema.get_field_index(right), right, pc.if_else(backwards, a, b)
        )
    return flows, result


def backwards_flows(flows: pa.Table, service_ports: list[int]) -> pa.ChunkedArray:
    """Per row: recorded backwards, as repair_direction says (never null)."""
    services = pa.array(service_ports, pa.int32())
    udp_services = pa.array(sorted(set(service_ports) & set(UDP_ANSWERING_PORTS)), pa.int32())
    udp = pc.fill_null(pc.equal(flows["proto"], "udp"), False)
    answering = pc.if_else(udp, pc.is_in(flows["src_port"], udp_services),
                           pc.is_in(flows["src_port"], services))  # fmt: skip
    backwards = pc.and_(
        answering,
        pc.and_(
            pc.greater(flows["dst_port"], 1024), pc.invert(pc.is_in(flows["dst_port"], services))
        ),
    )
    return pc.fill_null(backwards, False)


INVALID, EXCLUDED, INTERNAL, EXTERNAL, SPECIAL = range(5)
V4_CLASSES = {  # the IPv4 ranges of each class, as the standard library names them
    "multicast": ["224.0.0.0/4"],
    "broadcast": ["255.255.255.255/32"],
    "unspecified": ["0.0.0.0/8"],
    "link_local": ["169.254.0.0/16"],
    "loopback": ["127.0.0.0/8"],
    "reserved": ["240.0.0.0/4"],
}
CLASS_KIND = {"ignore": SPECIAL, "internal": INTERNAL, "external": EXTERNAL}


class Networks:
    """Internal, excluded and special networks; each distinct address is classified and written
    in one canonical form once, not once per row."""

    def __init__(self, internal: list[str], exclude: list[str], classes: dict | None = None):
        self.internal = [ipaddress.ip_network(c, strict=False) for c in internal]
        self.exclude = [ipaddress.ip_network(c, strict=False) for c in exclude]
        self.classes = {name: CLASS_KIND[(classes or {}).get(name, "ignore")]
                        for name in ADDRESS_CLASSES}  # fmt: skip

    def classify(self, addresses: pa.ChunkedArray | pa.Array) -> pa.Array:
        """Per row: INVALID, EXCLUDED, INTERNAL, EXTERNAL or SPECIAL."""
        encoded = pc.dictionary_encode(addresses)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        return pa.array(self.kinds(encoded.dictionary)[0]).take(encoded.indices)

    def kinds(self, distinct: pa.Array) -> tuple[np.ndarray, list]:
        """The kind and canonical text of each distinct address: IPv4 vectorized, anything else
        (IPv6, IPv4-mapped IPv6) one by one. Spaces around an address are dropped; an IPv4
        address with leading zeros (010.0.0.1: octal to some tools) is not an address."""
        trimmed = pc.utf8_trim_whitespace(distinct.cast(pa.string()))
        kinds = np.full(len(distinct), INVALID, dtype=np.int8)
        canonical: list = trimmed.to_pylist()
        dotted = pc.match_substring_regex(trimmed, r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$")
        dotted = pc.fill_null(dotted, False).to_numpy(zero_copy_only=False)
        zeros = pc.fill_null(pc.match_substring_regex(trimmed, r"(^|\.)0\d"), False)
        plain = dotted & ~zeros.to_numpy(zero_copy_only=False)
        octets = pc.split_pattern(trimmed.filter(pa.array(plain)), ".")
        numbers = pc.list_flatten(octets).cast(pa.int64()).to_numpy().reshape(-1, 4)
        valid = (numbers <= 255).all(axis=1)
        as_int = numbers @ np.array([1 << 24, 1 << 16, 1 << 8, 1], dtype=np.int64)
        kinds[np.flatnonzero(plain)] = np.where(valid, self._v4_kinds(as_int), INVALID)
        for i in np.flatnonzero(~dotted):
            kinds[i], canonical[i] = self.kind(canonical[i] or "")
        return kinds, canonical

    def _v4_kinds(self, as_int: np.ndarray) -> np.ndarray:
        def inside(networks) -> np.ndarray:
            hit = np.zeros(len(as_int), dtype=bool)
            for net in (ipaddress.ip_network(n) if isinstance(n, str) else n for n in networks):
                if net.version == 4:
                    hit |= (as_int & int(net.netmask)) == int(net.network_address)
            return hit

        kinds = np.where(inside(self.internal), INTERNAL, EXTERNAL)
        for name in reversed(ADDRESS_CLASSES):  # the first class that matches wins, as in kind()
            kinds = np.where(inside(V4_CLASSES[name]), self.classes[name], kinds)
        return np.where(inside(self.exclude), EXCLUDED, kinds).astype(np.int8)

    def kind(self, text: str) -> tuple[int, str]:
        """The kind and canonical text of one address written any way ipaddress understands."""
        try:
            address = ipaddress.ip_address(text.strip())
        except ValueError:
            return INVALID, text
        if address.version == 6 and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in net for net in self.exclude):
            return EXCLUDED, str(address)
        for name in ADDRESS_CLASSES:
            if _in_class(address, name):
                return self.classes[name], str(address)
        internal = any(address in net for net in self.internal)
        return (INTERNAL if internal else EXTERNAL), str(address)


def _in_class(address, name: str) -> bool:
    if name == "broadcast":
        return address.version == 4 and int(address) == 0xFFFFFFFF
    if name == "unspecified":
        return address.is_unspecified or (address.version == 4 and int(address) >> 24 == 0)
    if name == "reserved":
        return address.is_reserved and not address.is_multicast and int(address) != 0xFFFFFFFF
    return getattr(address, f"is_{name}")


def values_in_range(flows: pa.Table) -> np.ndarray:
    """Per row: every count in 0..2^53, ports in 0..65535, duration >= 0, a time after 1990
    and not past 2100. A NaN, a wrapped counter or a negative count is not a value."""
    ok = np.ones(flows.num_rows, dtype=bool)
    for name, low, high in (("bytes_out", 0, MAX_COUNT), ("bytes_in", 0, MAX_COUNT),
                            ("packets_out", 0, MAX_COUNT), ("packets_in", 0, MAX_COUNT),
                            ("src_port", 0, 65535), ("dst_port", 0, 65535),
                            ("duration", 0, float("inf"))):  # fmt: skip
        if name in flows.column_names:  # unset (null) is fine; NaN compares false: not fine
            values = pc.fill_null(pc.cast(flows[name], pa.float64(), safe=False), float(low))
            values = values.to_numpy(zero_copy_only=False)
            ok &= (values >= low) & (values <= high)
    seconds = flows["ts"].cast(pa.int64()).to_numpy(zero_copy_only=False) / 1e6
    return ok & (seconds >= 631152000) & (seconds <= 4102444800)  # 1990-01-01 .. 2100-01-01
