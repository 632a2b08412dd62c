"""The demo's first read of its generated history into the embedded store, per source, three
ways: one HINCRBYFLOAT per bucket (the first way), a new day's hash written whole (one HSET),
and that with fakeredis handed the commands directly, no wire protocol (dashboard/embedded.py,
what `socwall demo` uses now).

All ways run in this process on the same files (the demo's, at a fixed --now), each into a
fresh embedded store, alternated over the rounds; the best of the rounds is kept. The stores
must end equal, field for field, or the script stops.
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
from socwall.dashboard.embedded import embedded_client
from socwall.dashboard.jobs import run_source
from socwall.dashboard.store import Store
from socwall.file_commit import Batch

NOW = datetime(2026, 3, 30, 8, 30, tzinfo=UTC)


WAYS = {"per bucket": (False, lambda: fakeredis.FakeRedis(decode_responses=True)),
        "whole hash": (True, lambda: fakeredis.FakeRedis(decode_responses=True)),
        "no wire": (True, embedded_client)}  # fmt: skip


def fill(config, sources: list[str], way: str) -> tuple[dict, dict]:
    """Seconds per source, and every hash of the store (for the equality check)."""
    whole, client = WAYS[way]
    store = Store(client(), config.store.prefix)
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
    best: dict[str, dict[str, float]] = {way: {} for way in WAYS}
    stores = {}
    for _ in range(args.rounds):
        for way in WAYS:
            seconds, stores[way] = fill(config, sources, way)
            for source_id, s in seconds.items():
                best[way][source_id] = min(best[way].get(source_id, s), s)
    assert all(store == stores["per bucket"] for store in stores.values()), "stores differ"
    print(f"{'source':18}" + "".join(f"{way + ' s':>14}" for way in WAYS) + "  ratios to the first")
    for source_id in [*sources, "all"]:
        row = [sum(b.values()) if source_id == "all" else b[source_id] for b in best.values()]
        print(f"{source_id:18}" + "".join(f"{s:14.2f}" for s in row)
              + "  " + " ".join(f"{s / row[0]:.2f}" for s in row[1:]))  # fmt: skip
    print(f"stores equal ({len(stores['no wire'])} hashes); best of {args.rounds}; load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
