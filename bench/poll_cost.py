"""Bytes and latency of one screen's poll with 20 metric panels, against always re-sending figures.

Run: .venv/bin/python bench/poll_cost.py [--rounds 20]
Uses REDIS_URL when set, else starts a throwaway redis-server on a free port.
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socwall.dashboard.app import create_app  # noqa: E402
from socwall.dashboard.clock import Clock  # noqa: E402
from socwall.dashboard.config import parse_config  # noqa: E402
from socwall.dashboard.demo.events import DemoData  # noqa: E402
from socwall.dashboard.jobs import run_all_once  # noqa: E402
from socwall.dashboard.store import Store  # noqa: E402
from tests.conftest import free_port  # noqa: E402
from tests.dash_requests import panel_poll_body  # noqa: E402

METRICS = {
    "failed_logins": {"filter": {"kind": "failed_login"}},
    "firewall_blocks": {"filter": {"kind": "fw_block"}},
    "ids_alerts": {"filter": {"kind": "ids_alert"}},
    "vpn_logins": {"filter": {"kind": "vpn_login"}},
    "egress_bytes": {"filter": {"kind": "egress"}, "sum": "bytes"},
}


def twenty_panel_config(data_dir: Path, redis_url: str) -> dict:
    names = list(METRICS)
    panels = [
        {"id": f"p{i:02d}", "widget": "metric_compare", "title": f"Panel {i}", "source": "events",
         "at": [i % 5 + 1, i // 5 + 1], "options": {"metric": names[i % len(names)]}}
        for i in range(20)
    ]  # fmt: skip
    return {
        "timezone": "Europe/Berlin",
        "store": {"url": redis_url, "prefix": "bench"},
        "sources": {
            "events": {"type": "events", "path": str(data_dir / "*.csv"), "metrics": METRICS}
        },
        "pages": [
            {"id": "all", "title": "All", "grid": {"columns": 5, "rows": 4}, "panels": panels}
        ],
    }


def poll_round(client, panel_ids, versions: dict | None) -> tuple[list[int], list[float], dict]:
    """One screen poll: every panel once; versions=None means 'always send the figure'."""
    sizes, latencies, seen = [], [], {}
    for panel_id in panel_ids:
        body = panel_poll_body(panel_id, None if versions is None else versions.get(panel_id))
        started = time.perf_counter()
        response = client.post("/_dash-update-component", json=body)
        latencies.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        sizes.append(len(response.data))
        parts = response.get_json()["response"]
        for key, value in parts.items():
            if '"panel-version"' in key:
                seen[panel_id] = value["data"]
    return sizes, latencies, seen


def summarize(label: str, sizes: list[int], latencies: list[float]) -> dict:
    row = {
        "bytes_per_panel_poll": statistics.median(sizes),
        "bytes_per_screen_poll": statistics.median(sizes) * 20,
        "latency_p50_ms": statistics.median(latencies),
        "latency_p95_ms": statistics.quantiles(latencies, n=20)[18],
    }
    print(f"{label:<28} {row['bytes_per_panel_poll']:>10,.0f} B/panel  "
          f"{row['bytes_per_screen_poll']:>12,.0f} B/screen  "
          f"p50 {row['latency_p50_ms']:6.2f} ms  p95 {row['latency_p95_ms']:6.2f} ms")  # fmt: skip
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server, url = start_redis(Path(tmp))
        try:
            run(Path(tmp), url, args.rounds)
        finally:
            if server:
                server.terminate()


def run(tmp: Path, redis_url: str, rounds: int) -> None:
    data_dir = tmp / "events"
    demo = DemoData(data_dir, __import__("zoneinfo").ZoneInfo("Europe/Berlin"), seed=3)
    rows = demo.write_until(datetime.now(UTC))
    config = parse_config(twenty_panel_config(data_dir, redis_url))
    store = Store(redis.Redis.from_url(redis_url, decode_responses=True), "bench")
    started = time.perf_counter()
    run_all_once(config, store, Clock())
    first_refresh = time.perf_counter() - started
    started = time.perf_counter()
    run_all_once(config, store, Clock())
    steady_refresh = time.perf_counter() - started
    print(f"{rows:,} events; refresh of 1 source + 20 panels: first {first_refresh:.2f} s, then "
          f"{steady_refresh:.2f} s (once per interval, for any number of screens)")  # fmt: skip

    client = create_app(config, store, Clock()).server.test_client()
    ids = [p.id for p in config.panels()]
    _, _, versions = poll_round(client, ids, None)  # warm-up, and what the screen now shows
    naive_sizes, naive_lat, cheap_sizes, cheap_lat = [], [], [], []
    for _ in range(rounds):  # interleaved so both see the same machine state
        sizes, lat, _ = poll_round(client, ids, None)
        naive_sizes += sizes
        naive_lat += lat
        sizes, lat, _ = poll_round(client, ids, versions)
        cheap_sizes += sizes
        cheap_lat += lat
    print(f"{rounds} rounds x 20 panels, Flask test client (no network), same process:")
    naive = summarize("always send the figure", naive_sizes, naive_lat)
    cheap = summarize("socwall (unchanged payload)", cheap_sizes, cheap_lat)
    byte_ratio = cheap["bytes_per_panel_poll"] / naive["bytes_per_panel_poll"]
    print(f"ratio bytes socwall/naive: {byte_ratio:.4f} ({1 / byte_ratio:.0f}x fewer)")
    print(
        f"ratio p50 latency socwall/naive: {cheap['latency_p50_ms'] / naive['latency_p50_ms']:.3f}"
    )


def start_redis(workdir: Path):
    import os

    if os.environ.get("REDIS_URL"):
        return None, os.environ["REDIS_URL"]
    port = free_port()
    server = subprocess.Popen(
        [shutil.which("redis-server"), "--port", str(port), "--save", "", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(200):
        try:
            redis.Redis.from_url(url).ping()
            return server, url
        except redis.ConnectionError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


if __name__ == "__main__":
    main()
