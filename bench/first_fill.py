"""The demo's first read of its generated history into the embedded store, per source: a new
day's hash written whole (one HSET) against the old way, one HINCRBYFLOAT per bucket.

Both ways run in this process on the same files (the demo's, at a fixed --now), each into a
fresh embedded store (fakeredis, as `socwall demo` uses), alternated over the rounds; the best
of the rounds is kept. The stores must end equal, field for field, or the script stops.
Run: .venv/bin/python bench/first_fill.py [--rounds 3] [--sources security_events,operations]
"""

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import fakeredis

from socwall.dashboard.clock import Clock
from socwall.dashboard.config import load_config_bytes
from socwall.dashboard.demo.run import start_demo_data
from socwall.dashboard.jobs import run_source
from socwall.dashboard.store import Store
from socwall.file_commit import Batch

NOW = datetime(2026, 3, 30, 8, 30, tzinfo=UTC)


def fill(config, sources: list[str], whole: bool) -> tuple[dict, dict]:
    """Seconds per source, and every hash of the store (for the equality check)."""
    store = Store(fakeredis.FakeRedis(decode_responses=True), config.store.prefix)
    clock, seconds = Clock(NOW, frozen=True), {}
    real = Batch.new_hashes
    Batch.new_hashes = real if whole else (lambda self, watching: set())
    try:
        for source_id in sources:
            start = time.perf_counter()
            status = run_source(config, source_id, store, clock, "bench")
            seconds[source_id] = time.perf_counter() - start
            assert status["status"] == "ok", status
    finally:
        Batch.new_hashes = real
    hashes = {key: {f: float(v) for f, v in store.redis.hgetall(key).items()}
              for key in store.redis.scan_iter("*") if store.redis.type(key) == "hash"
              and ":files" not in key}  # fmt: skip
    return seconds, hashes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sources", default="security_events,operations,ssh,netflow")
    args = parser.parse_args()
    sources = args.sources.split(",")
    base = Path(tempfile.mkdtemp())
    shipped = resources.files("socwall").joinpath("config.yaml").read_bytes()
    config = load_config_bytes(shipped, base, "demo config")
    start_demo_data(base / "demo-data", config, Clock(NOW, frozen=True), seed=7)
    best: dict[bool, dict[str, float]] = {True: {}, False: {}}
    stores = {}
    for _ in range(args.rounds):
        for whole in (False, True):
            seconds, stores[whole] = fill(config, sources, whole)
            for source_id, s in seconds.items():
                best[whole][source_id] = min(best[whole].get(source_id, s), s)
    assert stores[True] == stores[False], "the two ways wrote different stores"
    print(f"{'source':18} {'per bucket s':>12} {'whole hash s':>12} {'ratio':>6}")
    for source_id in sources:
        old, new = best[False][source_id], best[True][source_id]
        print(f"{source_id:18} {old:12.2f} {new:12.2f} {new / old:6.2f}")
    old, new = sum(best[False].values()), sum(best[True].values())
    print(f"{'all':18} {old:12.2f} {new:12.2f} {new / old:6.2f}")
    print(f"stores equal ({len(stores[True])} hashes); best of {args.rounds}; load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
