"""One refresh of the 4.2 MB RansomWatch feed (15,773 items) through the news source, against
feedparser parsing the same bytes in the same run.

Uses REDIS_URL when set, else starts a throwaway redis-server on a free port.
"""

import argparse
import io
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from socwall.dashboard.store import Store  # noqa: E402
from socwall.feeds import news  # noqa: E402

from bench.poll_cost import start_redis  # noqa: E402

FEED = Path(__file__).resolve().parents[1] / "../shared/data/feeds/real/ransomwatch_rss_feed_2025-04-17.xml"  # noqa: E501


def timed(action, rounds: int) -> tuple[float, object]:
    """Median wall time and the CPU time of this process (steadier on a shared machine)."""
    times, cpu, result = [], [], None
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = action()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    print(f"  cpu median {statistics.median(cpu):.3f} s")
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--feed", type=Path, default=FEED.resolve())
    args = parser.parse_args()
    data = args.feed.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        server, url = start_redis(Path(tmp))
        try:
            run(data, args.feed, url, args.rounds)
        finally:
            if server is not None:
                server.terminate()
                server.wait()


def run(data: bytes, feed: Path, url: str, rounds: int) -> None:
    baseline, parsed = timed(lambda: feedparser.parse(io.BytesIO(data)), rounds)
    ours, (entries, _) = timed(lambda: news.parse_feed(data, "ransomwatch"), rounds)
    same = [e.get("id") for e in parsed.entries] == [e["id"] for e in entries]
    client = redis.Redis.from_url(url, decode_responses=True)
    config = news.NewsConfig.model_validate(
        {"type": "news", "feeds": [{"name": "ransomwatch", "location": str(feed)}]},
        context={"base_dir": feed.parent},
    )
    source = news.Source(config, "ransom")
    refreshes = []
    for i in range(rounds):
        store = Store(client, f"bench-news-{i}")  # a fresh store: every entry is new
        start = time.perf_counter()
        stats = source.ingest(store, datetime(2025, 4, 17, 12, tzinfo=UTC))
        refreshes.append(time.perf_counter() - start)
    refresh = statistics.median(refreshes)
    print(f"feed: {feed.name}, {len(data):,} bytes, {len(entries):,} entries "
          f"(feedparser {len(parsed.entries):,}, same ids in order: {same})")
    print(f"feedparser.parse (baseline): {baseline:.3f} s")
    print(f"socwall parse_feed:          {ours:.3f} s   ratio {ours / baseline:.2f}")
    print(f"socwall full refresh (fetch + parse + store in Redis, {stats['rows']:,} new): "
          f"{refresh:.3f} s   ratio {refresh / baseline:.2f}")  # fmt: skip
    client.delete(*client.keys("bench-news-*") or ["none"])


if __name__ == "__main__":
    main()
