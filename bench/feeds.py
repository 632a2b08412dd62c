"""One refresh of a big real feed: socwall's parse (fast RSS 2.0 path) against feedparser.

Run: .venv/bin/python bench/feeds.py [--feed ../shared/data/feeds/real/ransomwatch_rss_feed_2025-04-17.xml]
Both paths run in this process on the same bytes; the script checks they give the same entries.
"""

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from socwall.feeds import feed_parse  # noqa: E402

DEFAULT = Path(__file__).resolve().parents[2] / "shared/data/feeds/real/ransomwatch_rss_feed_2025-04-17.xml"


def best_of(runs: int, parse) -> tuple[float, list]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = parse()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feed", type=Path, default=DEFAULT)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    data, now = args.feed.read_bytes(), datetime.now(UTC)
    ours_s, ours = best_of(args.runs, lambda: feed_parse.parse_feed(data, "f", None, now)[0])
    feed_parse.FAST_PATH_BYTES = 1 << 62  # the same function, forced through feedparser
    base_s, base = best_of(args.runs, lambda: feed_parse.parse_feed(data, "f", None, now)[0])
    same = sum(a == b for a, b in zip(ours, base, strict=True))
    print(f"{args.feed.name}: {len(data) / 1e6:.1f} MB, {len(ours):,} entries")
    print(f"socwall (fast RSS 2.0 path): {ours_s:.2f} s")
    print(f"feedparser: {base_s:.2f} s")
    print(f"ratio socwall/feedparser: {ours_s / base_s:.3f}; identical entries: {same:,} of {len(base):,}")


if __name__ == "__main__":
    main()
