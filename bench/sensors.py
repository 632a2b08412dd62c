"""What sensor health costs the worker, in a real redis-server started here.

1. The arrivals hook: one ingest of an `events` source (a CSV file that grew by `--lines` lines
   over 3 files) with the hook, against the same ingest with the hook replaced by nothing,
   interleaved round by round.
2. The `sensors` panel (load + compute) over `--sources` sources with 4 weeks of arrivals
   history each, against one `metric_compare` panel's load + compute in the same run.
Run: .venv/bin/python bench/sensors.py [--rounds 20] [--lines 600] [--sources 24]
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from socwall.dashboard import jobs  # noqa: E402
from socwall.dashboard.config import parse_config  # noqa: E402
from socwall.dashboard.store import Store  # noqa: E402
from socwall.feeds import arrivals  # noqa: E402
from tests.conftest import start_redis_server  # noqa: E402
from tests.tick import Tick  # noqa: E402

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


def config(folder: Path, url: str, sources: int) -> dict:
    feeds = {f"s{n:02d}": {"type": "events", "path": str(folder / f"s{n:02d}" / "*.csv"),
                           "metrics": {"n": {"filter": {"kind": "x"}}}} for n in range(sources)}
    panels = [{"id": "sensors", "widget": "sensors", "title": "S", "at": [1, 1]},
              {"id": "metric", "widget": "metric_compare", "title": "M", "source": "s00",
               "at": [2, 1], "options": {"metric": "n"}}]  # fmt: skip
    return {"timezone": "Europe/Berlin", "store": {"url": url, "prefix": "bench"},
            "sources": feeds, "pages": [{"id": "p", "title": "P",
                                         "grid": {"columns": 2, "rows": 1}, "panels": panels}]}


def grow(folder: Path, at: datetime, lines: int) -> None:
    for part in range(3):
        path = folder / f"part-{part}.csv"
        new = not path.exists()
        with open(path, "a") as handle:
            handle.write("ts,kind\n" if new else "")
            handle.writelines(f"{at.isoformat()},x\n" for _ in range(lines // 3))


def seed(store: Store, sources: list[str]) -> None:
    """4 weeks and a day of 5-minute arrivals per source, and a day of metric buckets."""
    start = NOW - timedelta(days=29)
    starts = list(range(int(start.timestamp()), int(NOW.timestamp()), 300))
    for source in sources:
        arrivals.record_history(store, source, {s: 300.0 for s in starts}, NOW, 45.0,
                                {f"part-{p}.csv": {s: 100.0 for s in starts} for p in range(3)})
        store.set_metric_values(source, {"n": {s: 300.0 for s in starts}}, NOW,
                                timedelta(days=40))  # fmt: skip
        store.write_source_status(source, {"status": "ok", "newest": NOW.isoformat()})


def timed(action) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--lines", type=int, default=600)
    parser.add_argument("--sources", type=int, default=24)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        server, url = start_redis_server(folder)
        try:
            wall = parse_config(config(folder, url, args.sources))
            store = Store(redis.Redis.from_url(url, decode_responses=True), "bench")
            run(wall, store, folder, args)
        finally:
            server.terminate()


def run(wall, store: Store, folder: Path, args) -> None:
    data = folder / "s00"
    data.mkdir()
    clock = Tick(NOW)
    grow(data, clock.at, args.lines)
    jobs.run_source(wall, "s00", store, clock)  # the backlog read
    hooked, bare, real_hook = [], [], jobs.record_arrivals
    for n in range(args.rounds):
        for with_hook in ((True, False) if n % 2 else (False, True)):
            clock.at += timedelta(seconds=30)
            grow(data, clock.at, args.lines)
            jobs.record_arrivals = real_hook if with_hook else (lambda *a, **k: None)
            (hooked if with_hook else bare).append(timed(
                lambda: jobs.run_source(wall, "s00", store, clock)))  # fmt: skip
    jobs.record_arrivals = real_hook
    seed(store, list(wall.sources))
    panels = {p.id: p for p in wall.panels()}
    sensors = [timed(lambda: jobs.run_panel(wall, panels["sensors"], store, Tick(NOW)))
               for _ in range(args.rounds)]  # fmt: skip
    metric = [timed(lambda: jobs.run_panel(wall, panels["metric"], store, Tick(NOW)))
              for _ in range(args.rounds)]  # fmt: skip
    ms = lambda xs: statistics.median(xs) * 1000  # noqa: E731
    print(f"ingest of {args.lines} new lines in 3 files, median of {args.rounds}:")
    print(f"  without the hook {ms(bare):8.2f} ms   with it {ms(hooked):8.2f} ms   "
          f"ratio {ms(hooked) / ms(bare):.3f}   (+{ms(hooked) - ms(bare):.2f} ms)")
    print(f"sensors panel over {args.sources} sources (3 files each, 4 weeks of history):")
    print(f"  one metric_compare {ms(metric):8.2f} ms   sensors {ms(sensors):8.2f} ms   "
          f"ratio {ms(sensors) / ms(metric):.1f}   ({ms(sensors) / args.sources:.1f} ms a source)")


if __name__ == "__main__":
    main()
