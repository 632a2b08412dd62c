"""A kiosk wall in headless Chromium for a long time: does its JS heap or DOM grow?

Run: .venv/bin/python bench/kiosk_soak.py [--minutes 30] [--poll 2s] [--rotate 10s]

The wall is real (redis-server, `socwall serve`, `socwall worker`, the demo config's six pages
with demo data appended every 20 s and panels refreshed every --panel-refresh), shown at
/?kiosk=1 in a 1920x1080 headless Chromium that rotates through the pages. Once a minute, when
the rotation is back on the first page and two polls have passed, it forces a garbage
collection (CDP HeapProfiler.collectGarbage) and reads the JS heap (Runtime.getHeapUsage), the
DOM counters (Memory.getDOMCounters) and document.getElementsByTagName('*').length. Sampling on
the same page each time makes the samples comparable. It prints a table and, as the ratio
against a baseline in the same run, the heap's growth per minute over the last half of the run
against the first half: a leak keeps its slope (ratio near 1), a warm-up levels off (near 0).
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from live_wall import LiveWall, demo_raw_config, start_chromium

SAMPLE_JS = """return {
  tags: document.getElementsByTagName('*').length,
  graphs: document.querySelectorAll('.js-plotly-plot').length,
  path: window.location.pathname,
  origin: performance.timeOrigin,
  jsHeap: performance.memory ? performance.memory.usedJSHeapSize : null,
  history: window.store ? window.store.getState().history.past.length : null,
};"""  # history: Dash's undo entries, one per dcc.Interval tick (see bench/README.md)


def wait_for(driver, condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition(driver.execute_script(SAMPLE_JS)):
        if time.monotonic() > deadline:
            raise SystemExit(f"kiosk soak: {what} within {seconds} s")
        time.sleep(0.2)


def sample(driver, first_page: str, settle_s: float, cycle_s: float) -> dict:
    """On the first page again, after settle_s: GC, then heap and DOM figures."""
    wait_for(driver, lambda s: s["path"] != first_page, cycle_s + 30, "rotation left the page")
    wait_for(driver, lambda s: s["path"] == first_page, cycle_s + 30, "rotation came back")
    time.sleep(settle_s)  # two polls: the page's panels have their figures
    driver.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
    heap = driver.execute_cdp_cmd("Runtime.getHeapUsage", {})
    dom = driver.execute_cdp_cmd("Memory.getDOMCounters", {})
    page = driver.execute_script(SAMPLE_JS)
    return {"heap_mb": heap["usedSize"] / 1e6, "heap_total_mb": heap["totalSize"] / 1e6,
            "tags": page["tags"], "graphs": page["graphs"], "nodes": dom["nodes"],
            "listeners": dom["jsEventListeners"], "documents": dom["documents"],
            "origin": page["origin"], "path": page["path"],
            "history": page["history"]}  # fmt: skip


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    if len(points) < 2:
        return float("nan")
    return statistics.linear_regression([m for m, _ in points], [v for _, v in points]).slope


def report(samples: list[dict]) -> None:
    print("\n| minute | heap used MB (after GC) | heap total MB | DOM nodes (tags) "
          "| DOM nodes (CDP) | JS listeners | documents | plotly graphs "
          "| Dash history entries |")  # fmt: skip
    print("|" + " ---: |" * 9)
    for s in samples:
        print(f"| {s['minute']:.1f} | {s['heap_mb']:.2f} | {s['heap_total_mb']:.2f} "
              f"| {s['tags']} | {s['nodes']} | {s['listeners']} | {s['documents']} "
              f"| {s['graphs']} | {s['history']} |")  # fmt: skip
    half = len(samples) // 2
    for key, unit in (("heap_mb", "MB"), ("tags", "nodes"), ("nodes", "CDP nodes"),
                      ("listeners", "listeners")):  # fmt: skip
        first = slope_per_minute([(s["minute"], s[key]) for s in samples[:half]])
        last = slope_per_minute([(s["minute"], s[key]) for s in samples[half:]])
        ratio = last / first if first else float("nan")
        growth = (samples[-1][key] / samples[0][key] - 1) * 100
        print(f"{key}: first half {first:+.4f} {unit}/min, last half {last:+.4f} {unit}/min, "
              f"ratio last/first {ratio:.2f}; first sample {samples[0][key]:.2f}, "
              f"last {samples[-1][key]:.2f} ({growth:+.1f} %)")  # fmt: skip
    reloads = len({s["origin"] for s in samples}) - 1
    print(f"page loads during the run besides the first: {reloads} (performance.timeOrigin)")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--poll", default="2s", help="web.poll (default 2s: many updates)")
    parser.add_argument("--rotate", default="10s", help="web.rotate (6 pages: a 60 s cycle)")
    parser.add_argument("--panel-refresh", default="10s", help="every panel's refresh")
    parser.add_argument("--chromium-flag", action="append", default=[],
                        help="extra Chromium flag, e.g. --js-flags=--jitless")
    args = parser.parse_args()
    raw = demo_raw_config(args.panel_refresh)
    with tempfile.TemporaryDirectory(prefix="socwall-soak-") as tmp:
        wall = LiveWall(Path(tmp), {"poll": args.poll, "rotate": args.rotate}, raw["pages"])
        wall.start()
        try:
            samples = soak(wall, args.minutes, tuple(args.chromium_flag))
        finally:
            wall.stop()
    report(samples)
    return 0


def soak(wall: LiveWall, minutes: float, chromium_flags: tuple[str, ...] = ()) -> list:
    config = wall.config
    first_page = f"/{config.pages[0].id}"
    cycle_s = len(config.pages) * config.web.rotate.total_seconds()
    settle_s = 2 * config.web.poll.total_seconds()
    print(f"wall {wall.url}/?kiosk=1: {len(config.pages)} pages rotating every "
          f"{config.web.rotate.total_seconds():.0f} s, "
          f"poll {config.web.poll.total_seconds():.0f} s, "
          f"{minutes:.0f} min, a sample each minute on {first_page}")  # fmt: skip
    driver = start_chromium(extra_flags=chromium_flags)
    samples = []
    try:
        driver.get(f"{wall.url}/?kiosk=1")
        started = time.monotonic()
        while time.monotonic() - started < minutes * 60:
            # a sample each minute: the wait for the first page takes up to one cycle
            due = started + 60 * len(samples) - cycle_s
            time.sleep(max(0.0, due - time.monotonic()))
            row = sample(driver, first_page, settle_s, cycle_s)
            row["minute"] = (time.monotonic() - started) / 60
            samples.append(row)
            print(f"{row['minute']:5.1f} min  heap {row['heap_mb']:7.2f} MB  tags {row['tags']:5d}"
                  f"  nodes {row['nodes']:6d}  listeners {row['listeners']:5d}"
                  f"  graphs {row['graphs']}", flush=True)  # fmt: skip
    finally:
        driver.quit()
    return samples


if __name__ == "__main__":
    sys.exit(main())
