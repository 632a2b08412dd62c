"""What grows in a kiosk wall's JS heap: two heap snapshots of the same page, diffed.

Run: .venv/bin/python bench/heap_diff.py [--at 3 13 23] [--poll 1s] [--rotate 5s] [--save DIR]

The wall is bench/live_wall.py's (redis-server, `socwall serve`, `socwall worker`, demo data
appended). At each of the --at minutes, on the first page of the rotation, it forces a garbage
collection and takes a V8 heap snapshot over the Chrome DevTools Protocol, then prints, for each
pair of consecutive snapshots, the object groups (node type and constructor or string) whose
count or size grew most: the kiosk soak (bench/kiosk_soak.py) says whether the heap grows, this
says what it is, and whether a later interval grows less than an earlier one (a warm-up).
"""

import argparse
import collections
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path

import requests
import websocket
from kiosk_soak import wait_for
from live_wall import LiveWall, demo_raw_config, start_chromium


def devtools_socket(driver) -> websocket.WebSocket:
    """A second DevTools client on the page chromedriver drives (Chrome allows several)."""
    address = driver.capabilities["goog:chromeOptions"]["debuggerAddress"]
    targets = requests.get(f"http://{address}/json", timeout=5).json()
    page = next(t for t in targets if t["type"] == "page")
    url = page["webSocketDebuggerUrl"]
    return websocket.create_connection(url, timeout=300, suppress_origin=True)


def heap_snapshot(socket: websocket.WebSocket) -> dict:
    """HeapProfiler.takeHeapSnapshot after a GC; the snapshot arrives as chunk events."""
    socket.send(json.dumps({"id": 1, "method": "HeapProfiler.collectGarbage"}))
    socket.send(json.dumps({"id": 2, "method": "HeapProfiler.takeHeapSnapshot",
                            "params": {"reportProgress": False}}))  # fmt: skip
    chunks = []
    while True:
        message = json.loads(socket.recv())
        if message.get("method") == "HeapProfiler.addHeapSnapshotChunk":
            chunks.append(message["params"]["chunk"])
        elif message.get("id") == 2:
            return json.loads("".join(chunks))


def groups(snapshot: dict) -> dict[tuple[str, str], list[int]]:
    """(node type, name) -> [count, self size]; strings are grouped by their first 60 chars."""
    meta = snapshot["snapshot"]["meta"]
    fields, types = meta["node_fields"], meta["node_types"][0]
    width = len(fields)
    type_at, name_at, size_at = (fields.index(f) for f in ("type", "name", "self_size"))
    nodes, strings = snapshot["nodes"], snapshot["strings"]
    totals: dict[tuple[str, str], list[int]] = collections.defaultdict(lambda: [0, 0])
    for start in range(0, len(nodes), width):
        kind = types[nodes[start + type_at]]
        name = strings[nodes[start + name_at]]
        key = (kind, name[:60] if kind in ("string", "concatenated string") else name)
        totals[key][0] += 1
        totals[key][1] += nodes[start + size_at]
    return totals


def print_totals(snapshots: list[tuple[float, dict]]) -> None:
    """Per snapshot: V8's compiled code (bytecode and machine code), the page's JS objects and
    strings, and Blink's native objects: a leak in the page's script shows in the second."""
    print("\n| minute | code MB | JS objects MB | native MB | all MB |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for minute, group in snapshots:
        sizes = collections.Counter()
        for (kind, _), (_, size) in group.items():
            sizes[kind if kind in ("code", "native") else "js"] += size
        print(f"| {minute:g} | {sizes['code'] / 1e6:.3f} | {sizes['js'] / 1e6:.3f} "
              f"| {sizes['native'] / 1e6:.3f} | {sum(sizes.values()) / 1e6:.3f} |")  # fmt: skip


def print_diff(before: dict, after: dict, top: int) -> None:
    rows = []
    for key in set(before) | set(after):
        (count_a, size_a), (count_b, size_b) = before.get(key, [0, 0]), after.get(key, [0, 0])
        rows.append((size_b - size_a, count_b - count_a, key, size_b))
    total_a = sum(size for _, size in before.values())
    total_b = sum(size for _, size in after.values())
    print(f"snapshot self size: {total_a / 1e6:.2f} MB -> {total_b / 1e6:.2f} MB "
          f"({(total_b - total_a) / 1e3:+.1f} KB)")  # fmt: skip
    print("\n| size delta KB | count delta | type | name | size after KB |")
    print("| ---: | ---: | --- | --- | ---: |")
    for size_delta, count_delta, (kind, name), size_after in sorted(rows, reverse=True)[:top]:
        shown = name.replace("|", "/").replace("\n", " ")
        print(f"| {size_delta / 1e3:+.1f} | {count_delta:+d} | {kind} | {shown} "
              f"| {size_after / 1e3:.1f} |")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--at", type=float, nargs="+", default=[3, 13, 23],
                        help="minutes after the page opened to take the snapshots at")  # fmt: skip
    parser.add_argument("--poll", default="1s")
    parser.add_argument("--rotate", default="5s")
    parser.add_argument("--panel-refresh", default="10s")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--save", type=Path, help="a folder to keep both snapshots in")
    args = parser.parse_args()
    raw = demo_raw_config(args.panel_refresh)
    with tempfile.TemporaryDirectory(prefix="socwall-heap-") as tmp:
        wall = LiveWall(Path(tmp), {"poll": args.poll, "rotate": args.rotate}, raw["pages"])
        wall.start()
        driver = start_chromium()
        try:
            driver.get(f"{wall.url}/?kiosk=1")
            started = time.monotonic()
            socket = devtools_socket(driver)
            first_page = f"/{wall.config.pages[0].id}"
            snapshots = []
            for minute in args.at:
                time.sleep(max(0.0, started + minute * 60 - time.monotonic()))
                wait_for(driver, lambda s: s["path"] == first_page, 120, "rotation came back")
                snapshot = heap_snapshot(socket)
                if args.save:
                    args.save.mkdir(parents=True, exist_ok=True)
                    (args.save / f"minute-{minute:g}.heapsnapshot").write_text(json.dumps(snapshot))
                snapshots.append(groups(snapshot))
                print(f"snapshot at minute {(time.monotonic() - started) / 60:.1f}", flush=True)
        finally:
            driver.quit()
            wall.stop()
    print_totals(list(zip(args.at, snapshots, strict=True)))
    for (start, before), (end, after) in itertools.pairwise(zip(args.at, snapshots, strict=True)):
        print(f"\n## minute {start:g} to {end:g}")
        print_diff(before, after, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
