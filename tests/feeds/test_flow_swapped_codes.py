"""boundary_sums reading backwards rows swapped (the ingest's way) gives the very table, row
order and dictionary included, that summing repair_direction's swapped columns gives."""

import io

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from socwall.feeds import flow_readers, flow_rules, flow_sums

INTERNAL = [f"10.0.{i}.{i % 7 + 1}" for i in range(40)]
EXTERNAL = [f"{23 + i}.{i * 7 % 250}.1.{i % 249 + 1}" for i in range(300)]
ODD = ["239.255.255.250", "not-an-address", " 10.0.1.2 ", "::ffff:10.0.2.3", "fd00::10"]


def vast_flows(rows: int, seed: int) -> pa.Table:
    """Normalized flows between random internal and external addresses (a few odd ones), in
    both directions, a third of them recorded backwards (from a service port)."""
    rng = np.random.default_rng(seed)
    addresses = np.array(INTERNAL + EXTERNAL + ODD)
    src, dst = (addresses[rng.integers(0, len(addresses), rows)] for _ in range(2))
    service = np.array([22, 53, 80, 443, 3389])[rng.integers(0, 5, rows)]
    ephemeral = rng.integers(1020, 61000, rows)
    backwards = rng.random(rows) < 0.3
    table = pa.table({
        "TimeSeconds": 1364803200 + np.sort(rng.uniform(0, 7200, rows)).round(3),
        "ipLayerProtocolCode": np.where(rng.random(rows) < 0.2, "UDP", "TCP"),
        "firstSeenSrcIp": src, "firstSeenDestIp": dst,
        "firstSeenSrcPort": np.where(backwards, service, ephemeral),
        "firstSeenDestPort": np.where(backwards, ephemeral, service),
        "firstSeenSrcTotalBytes": rng.integers(-5, 10**6, rows),
        "firstSeenDestTotalBytes": rng.integers(0, 10**7, rows),
        "firstSeenSrcPacketCount": rng.integers(1, 100, rows),
        "firstSeenDestPacketCount": rng.integers(1, 100, rows),
        "durationSeconds": rng.uniform(0, 10, rows).round(3),
    })  # fmt: skip
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer)
    return flow_readers.read_vast_csv(buffer.getvalue()).table


def test_codes_read_swapped_give_the_pairs_of_the_swapped_columns():
    networks = flow_rules.Networks(["10.0.0.0/8", "fd00::/8"], ["10.0.3.0/24"])
    for seed in (1, 2, 3):
        flows = flow_rules.clear_portless(vast_flows(5_000, seed))
        repaired, mask = flow_rules.repair_direction(flows, flow_rules.SERVICE_PORTS, True)
        backwards = flow_rules.backwards_flows(flows, flow_rules.SERVICE_PORTS).to_numpy()
        assert 1_000 < backwards.sum() < 2_500 and np.array_equal(backwards, mask)
        swapped_pairs, bad, special = flow_sums.boundary_sums(repaired, networks, 300)
        pairs, *counts = flow_sums.boundary_sums(flows, networks, 300, backwards)
        assert counts == [bad, special] and bad > 0 and special > 0
        assert pairs.num_rows > 500
        assert pairs.equals(swapped_pairs)  # same rows, same order, same dictionaries
        assert pairs["host"].chunk(0).dictionary.equals(swapped_pairs["host"].chunk(0).dictionary)
