"""The cost of exact distinct counts: a metric_compare panel over `failing_source_ips` (each
window the union of its per-bucket sets, SUNIONSTORE in Redis) against the same panel over a
summed metric (`failed_logins`, per-bucket values only), in the same run, on the same store.

Five weeks of 5-minute buckets, each with `--per-bucket` failing addresses drawn from a pool
of `--pool`. Run: .venv/bin/python bench/distinct.py [--redis redis://127.0.0.1:6379/0]
"""

import argparse
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from socwall.dashboard.config import parse_config  # noqa: E402
from socwall.dashboard.jobs import PanelReader  # noqa: E402
from socwall.dashboard.store import Store  # noqa: E402
from socwall.file_commit import Batch  # noqa: E402
from socwall.widgets import metric_compare  # noqa: E402
from socwall.widgets.context import PanelContext  # noqa: E402

NOW = datetime(2026, 1, 15, 12, 37, tzinfo=UTC)


def fill(store: Store, per_bucket: int, pool: int) -> None:
    """Five weeks of per-bucket sets and counts, as the auth source writes them."""
    rng = random.Random(7)
    addresses = [f"203.0.{n // 250}.{n % 250}" for n in range(pool)]
    start = int((NOW - timedelta(days=36)).timestamp()) // 300 * 300
    for day in range(37):
        batch = Batch()
        members, counts = {}, {}
        for b in range(start + day * 86400, start + (day + 1) * 86400, 300):
            members[b] = set(rng.sample(addresses, per_bucket))
            counts[b] = float(per_bucket * 3)
        batch.metric(store.keys, "ssh", {"failed_logins": counts}, NOW, timedelta(days=40))
        batch.add_members(store.keys, "ssh", "failing_source_ips", members, NOW, timedelta(days=40))
        pipe = store.redis.pipeline(transaction=True)
        batch.apply(pipe)
        pipe.execute()
        batch.settle(store.redis)


def timed(config, store: Store, metric: str, rounds: int) -> tuple[float, dict]:
    panel = next(p for p in config.panels() if p.options.metric == metric)
    context = PanelContext(now=NOW, tz=config.tz, source_id="ssh")
    reader = PanelReader(config, store)
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        inputs = metric_compare.load(reader, panel, context)
        payload = metric_compare.compute(inputs, panel.options, context)
        best = min(best, time.perf_counter() - started)
    return best, payload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--per-bucket", type=int, default=50)
    parser.add_argument("--pool", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(args.redis, decode_responses=True)
    store = Store(client, prefix)
    options = {"window": "today", "current": "1h", "chart_bucket": "15m", "weeks": 4}
    config = parse_config({
        "store": {"url": args.redis, "prefix": prefix}, "timezone": "Europe/Berlin",
        "sources": {"ssh": {"type": "auth", "path": "/nonexistent/auth.log"}},
        "pages": [{"id": "p", "title": "P", "grid": {"columns": 2, "rows": 1}, "panels": [
            {"id": "ips", "widget": "metric_compare", "title": "ips", "source": "ssh",
             "at": [1, 1], "options": {"metric": "failing_source_ips", **options}},
            {"id": "failed", "widget": "metric_compare", "title": "failed", "source": "ssh",
             "at": [2, 1], "options": {"metric": "failed_logins", **options}}]}]})  # fmt: skip
    try:
        fill(store, args.per_bucket, args.pool)
        union_s, union_payload = timed(config, store, "failing_source_ips", args.rounds)
        sum_s, _ = timed(config, store, "failed_logins", args.rounds)
    finally:
        for key in client.scan_iter(f"{prefix}:*", count=1000):
            client.delete(key)
    print(f"5 weeks of 5-minute sets, {args.per_bucket} addresses each from {args.pool:,}")
    current = union_payload["current"]
    print(f"distinct panel (unions, current {current:.0f}): {union_s * 1000:.1f} ms")
    print(f"summed panel (per-bucket values): {sum_s * 1000:.1f} ms")
    print(f"ratio unions/sums: {union_s / sum_s:.2f}")


if __name__ == "__main__":
    main()
