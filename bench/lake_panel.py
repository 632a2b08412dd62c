"""The 7-day top_talkers refresh of bench/lake_scale.py's table, from the store: through the
hourly rollups, and through the 5-minute buckets only (what every refresh read before).

    python bench/lake_scale.py panel [--window 7d]

A throwaway redis-server is filled once by the query source (8 days: its retention); then each
way runs in a fresh interpreter (its peak RSS is its own), best of 3, and both answers must be
equal before the ratio is printed.
"""

import json
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]


def start_redis() -> tuple[subprocess.Popen, str]:
    """redis-server on a free port, nothing on disk, once it answers."""
    import redis

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"], stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(500):
        try:
            client.ping()
            return process, url
        except redis.ConnectionError:
            time.sleep(0.01)  # a bench, not a test: waiting for the server's socket
    raise SystemExit("redis-server did not start")


def fill(url: str, config, now) -> float:
    """One refresh of the query source over its whole retention into the store; seconds."""
    import redis

    from socwall.dashboard.store import Store
    from socwall.feeds import query

    store = Store(redis.Redis.from_url(url, decode_responses=True), "bench")
    started = time.perf_counter()
    query.Source(config, "lake").ingest(store, now)
    seconds = time.perf_counter() - started
    freeze(store.redis)
    return seconds


def freeze(client) -> None:
    """Keys expire at data time + retention counted from the bench's `now` (the table's last
    flow), so the oldest buckets would vanish during the runs and the ways read different
    stores: keep every key."""
    pipe = client.pipeline(transaction=False)
    for key in client.scan_iter("bench:*", count=10_000):
        pipe.persist(key)
    pipe.execute()


class Reader:
    """What top_talkers.load reads from the store (dashboard/jobs.py's PanelReader, without a
    config): host sums per window, then the pairs of the hosts shown, through the rollups."""

    def __init__(self, store):
        self.store = store

    def flow_host_sums(self, source_id: str, windows: list[list[int]], bucket_s: int):
        return self.store.flow_host_sums(source_id, windows, bucket_s)

    def flow_host_pairs(self, source_id: str, window: list[int], bucket_s: int, hosts: list):
        return self.store.flow_host_pairs(source_id, window, bucket_s, hosts)

    def source_bucket(self, source_id: str) -> timedelta:
        return timedelta(minutes=5)

    def metric_series(self, source_id: str, metric: str, ranges):
        return self.store.metric_series(source_id, metric, ranges)

    def document(self, source_id: str, name: str):
        return self.store.document(source_id, name)


def refresh(url: str, now, window: str, rollups: bool) -> dict:
    """One top_talkers refresh (load + compute) in this process: seconds and its top 10."""
    from zoneinfo import ZoneInfo

    import redis

    from socwall.dashboard.store import Store
    from socwall.widgets import top_talkers
    from socwall.widgets.context import PanelContext

    store = Store(redis.Redis.from_url(url, decode_responses=True), "bench")
    options = top_talkers.TopTalkersOptions(window=window)
    context = PanelContext(now=now, tz=ZoneInfo("UTC"), source_id="lake")
    started = time.perf_counter()
    if rollups:
        inputs = top_talkers.load(Reader(store), SimpleNamespace(options=options), context)
    else:
        inputs = from_buckets(store, options, context)
    payload = top_talkers.compute(inputs, options, context)
    seconds = time.perf_counter() - started
    top = [(r["host"], r["value"], r["peers"], r["rank"]) for r in payload["rows"]]
    loaded = len(inputs.pairs) + sum(len(sums) for sums in inputs.totals or ())
    return {"seconds": seconds, "rows": loaded, "top": top, "payload": payload,
            "peak_mib": peak_mib()}  # fmt: skip


def from_buckets(store, options, context):
    """What every refresh read before the rollups: every pair of every 5-minute bucket of the
    window and the windows before (compute then sums the hosts of each window itself), and
    the window's cleaning counts as load reads them."""
    from socwall.widgets import top_talkers

    window_s, now_s = int(options.window.total_seconds()), int(context.now.timestamp())
    buckets = top_talkers.window_buckets(now_s, 300, window_s, options.new_after + 1)
    recent = (datetime.fromtimestamp(buckets[window_s // 300 - 1], UTC), context.now)
    repaired, cleared = (int(store.metric_series(context.source_id, name, [recent]).sum())
                         for name in ("repaired", "cleared"))  # fmt: skip
    return top_talkers.TalkerInputs(store.flow_pairs(context.source_id, buckets), {}, 300,
                                    repaired, cleared)  # fmt: skip


def peak_mib() -> float:
    """This process's peak RSS (VmHWM): ru_maxrss would carry the filling parent's over exec."""
    status = Path("/proc/self/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines()
                if line.startswith("VmHWM:")) / 1024  # fmt: skip


def in_child(script: str, url: str, window: str, rollups: bool) -> dict:
    command = [sys.executable, script, "panel-child", url, window, str(int(rollups))]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def measure(script: str, config, now, window: str) -> None:
    process, url = start_redis()
    try:
        print(f"filled the store from the lake in {fill(url, config, now):.1f} s")
        runs = {}
        for name, rollups in (("5-minute buckets", False), ("hourly rollups", True)):
            tries = [in_child(script, url, window, rollups) for _ in range(3)]
            runs[name] = min(tries, key=lambda run: run["seconds"])
        plain, rolled = runs["5-minute buckets"], runs["hourly rollups"]
        if plain["payload"] != rolled["payload"] or not plain["top"]:
            differ = {k: (v, rolled["payload"].get(k)) for k, v in plain["payload"].items()
                      if v != rolled["payload"].get(k)}  # fmt: skip
            raise SystemExit(f"the two ways differ: {json.dumps(differ)[:3000]}")
        print(f"same payload both ways (rows with peers, top peers, NEW, rank change; total); "
              f"{window} top_talkers refresh, best of 3:")  # fmt: skip
        print(f"{'read from':<18}{'seconds':>9}{'rows loaded':>12}{'peak MiB':>10}")
        for name, run in runs.items():
            print(f"{name:<18}{run['seconds']:9.2f}{run['rows']:12,}{run['peak_mib']:10.0f}")
        print(f"rollups/buckets: {rolled['seconds'] / plain['seconds']:.2f} of the time, "
              f"{rolled['peak_mib'] / plain['peak_mib']:.2f} of the peak memory")
    finally:
        process.terminate()
        process.wait()
