"""Readers against the real public corpora in ../shared/data, when that folder is there."""

from pathlib import Path

import pytest
from socwall.feeds import flow_readers, flows

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not beside the repo")


def test_real_zeek_conn_log_reads_every_row():
    chunk = flow_readers.read_zeek_tsv((SHARED / "zeek" / "conn_sample.log").read_bytes())
    assert (chunk.table.num_rows, chunk.bad_rows) == (92, 0)  # the README says 92 rows
    assert set(chunk.table["proto"].to_pylist()) <= {"tcp", "udp", "icmp"}
    cleaned, _ = flows.repair_direction(flows.clear_portless(chunk.table), flows.SERVICE_PORTS)
    pairs, invalid = flows.boundary_pairs(cleaned, flows.Networks(flows.PRIVATE_NETWORKS, []), 300)
    assert invalid == 0
    assert pairs.num_rows == 0  # a competition LAN capture: every address here is private


def test_real_kev_catalog_parses_whole():
    from socwall.feeds import kev

    records, bad, version = kev.parse_catalog(
        (SHARED / "intel" / "kev_2025-01-29.json").read_bytes()
    )
    assert (len(records), bad, version) == (1253, 0, "2025.01.29")
    assert all(r["vendorProject"] == r["vendorProject"].strip() for r in records)


def test_real_zeek_ssh_log():
    from socwall.feeds import auth_formats

    events, bad = auth_formats.parse_zeek_ssh((SHARED / "zeek" / "ssh.log").read_bytes())
    assert bad == 0
    assert sum(e.count for e in events if e.outcome == "success") == 5
    assert all(e.user is None and e.src_ip for e in events)  # Zeek sees addresses, not users
