"""Address classes: the vectorized IPv4 path agrees with the standard library's per-address one."""

import ipaddress

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from socwall.feeds import flow_rules

# every class boundary is a likely place for the two paths to part
EDGES = [0, 1, 0x00FFFFFF, 0x01000000, 0x0A000000, 0x7F000000, 0x7FFFFFFF, 0xA9FE0000,
         0xA9FEFFFF, 0xAC100000, 0xC0A80000, 0xDFFFFFFF, 0xE0000000, 0xEFFFFFFF, 0xF0000000,
         0xFFFFFFFE, 0xFFFFFFFF]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.integers(0, 2**32 - 1), st.sampled_from(EDGES)),
       st.sampled_from([{}, {"multicast": "external"}, {"reserved": "internal"},
                        {"loopback": "external", "link_local": "internal"}]))  # fmt: skip
def test_vectorized_ipv4_kinds_equal_the_standard_library_path(number, classes):
    text = str(ipaddress.IPv4Address(number))
    networks = flow_rules.Networks(flow_rules.PRIVATE_NETWORKS, ["203.0.113.0/24"], classes)
    kinds, canonical = networks.kinds(pa.array([text]))
    assert (int(kinds[0]), canonical[0]) == networks.kind(text)
