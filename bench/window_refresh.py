"""What a long-window refresh costs from the store: metric_compare (7 days, 4 weeks of week-ago
history), metric_grid and suspicious_users, on a busy sshd source, in a real redis-server.

    python bench/window_refresh.py [--per-day 200000] [--per-bucket 300] [--rounds 3]

A throwaway redis-server is filled once: 35 days of 5-minute metric buckets (failed_logins and
the failing_source_ips sets, `--per-bucket` addresses each) and 16 days (a 24 h window, the one
before it and their 14-day baselines) of compact auth attempts, `--per-day` a day, written as
the auth source writes them. Then each way runs in a fresh interpreter (its peak RSS is its
own), `--rounds` refreshes (load + compute) each, best time kept. suspicious_users runs twice:
reading every attempt of the 16 days (what every refresh read before), and through the hourly
summaries (the first refresh builds them: "cold"; the next ones reuse them); the distinct
metric_compare twice: every window's union counted again on each refresh ("afresh", as before)
and through the counts kept with their sets' sizes; top_talkers (7 d, from hourly rollups of
28 days of flow buckets) with its two reads unchecked (as before) and as of one state (WATCHed).
The payloads must be equal before a ratio is printed.
"""

import argparse
import hashlib
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 11, 3, 10, 17, 23, tzinfo=UTC)  # a week after autumn's DST change
TZ = ZoneInfo("Europe/Berlin")
SOURCE, BUCKET = "auth", timedelta(minutes=5)
WAYS = ("compare_7d", "compare_7d_distinct_afresh", "compare_7d_distinct", "grid_today",
        "suspects_all", "suspects_hours", "talkers_two_reads", "talkers_one_state")  # fmt: skip
FLOWS = "net"


def store_of(url: str):
    import redis

    from socwall.dashboard.store import Store

    return Store(redis.Redis.from_url(url, decode_responses=True), "bench")


def fill_metrics(store, per_day: int, per_bucket: int, pool: list[str]) -> None:
    """35 days of failed_logins per 5-minute bucket and each bucket's failing addresses."""
    rng = random.Random(7)
    step = int(BUCKET.total_seconds())
    first = int((NOW - timedelta(days=35)).timestamp()) // step * step
    pipe = store.redis.pipeline(transaction=False)
    values: dict[int, float] = {}
    for start in range(first, int(NOW.timestamp()), step):
        hour = datetime.fromtimestamp(start, TZ).hour
        rhythm = 0.6 + 0.8 * (8 <= hour < 20)
        values[start] = float(int(per_day / 288 * rhythm * rng.uniform(0.8, 1.2)))
        pipe.sadd(store.keys.distinct_bucket(SOURCE, "failing_source_ips", start),
                  *rng.sample(pool, per_bucket))  # fmt: skip
        if len(pipe) >= 2000:
            pipe.execute()
    pipe.execute()
    store.add_metric_buckets(SOURCE, {"failed_logins": values}, NOW, timedelta(days=400))
    store.redis.zadd(store.keys.source_coverage(SOURCE), {"oldest": first})


def attempts_of_day(day_start: datetime, count: int, rng: random.Random, pool: list[str]):
    """One day of a busy sshd: guesses at names that do not exist and at root, from many
    addresses; 500 real users logging in from their own addresses, some with sudo."""
    from socwall.feeds.auth import compact
    from socwall.feeds.auth_event import AuthEvent

    users = [f"user{n:03d}" for n in range(500)]
    hosts = [f"srv-{n:02d}" for n in range(40)]
    items = []
    for _ in range(count):
        ts = day_start + timedelta(seconds=rng.randrange(86400))
        kind = rng.random()
        if kind < 0.55:
            name = f"guess{rng.randrange(5000)}"
            event = AuthEvent(ts, rng.choice(hosts), "sshd", name, rng.choice(pool), "failure",
                              "password", "invalid user", True)  # fmt: skip
        elif kind < 0.93:
            user = "root" if rng.random() < 0.9 else rng.choice(users)
            event = AuthEvent(ts, rng.choice(hosts), "sshd", user, rng.choice(pool), "failure",
                              "password", "wrong password")  # fmt: skip
        else:
            n = rng.randrange(500)
            ip = f"10.1.{n // 200}.{n % 200 + rng.randrange(3)}"
            sudo = rng.random() < 0.1
            how = "sudo" if sudo else "publickey"
            event = AuthEvent(ts, hosts[n % 40], "sudo" if sudo else "sshd", users[n], ip,
                              "success", how, None, False, sudo)  # fmt: skip
        items.append(json.dumps(compact(event), separators=(",", ":")))
    return items


def fill_attempts(store, per_day: int, pool: list[str]) -> None:
    rng = random.Random(11)
    first = (NOW - timedelta(days=16)).replace(hour=0, minute=0, second=0)
    for n in range(17):
        day_start = first + timedelta(days=n)
        items = [i for i in attempts_of_day(day_start, per_day, rng, pool)
                 if json.loads(i)["ts"] < NOW.isoformat()]  # fmt: skip
        key = store.keys.auth_events(SOURCE, day_start.date())
        for at in range(0, len(items), 20_000):
            store.redis.rpush(key, *items[at : at + 20_000])


def fill_flows(store, hosts: int) -> None:
    """28 days (a 7-day window and the 3 before it, for NEW) of 5-minute flow buckets, each a
    blob of `hosts` hosts with 4 peers each, and every hour rolled up."""
    rng = random.Random(5)
    step = int(BUCKET.total_seconds())
    first = int((NOW - timedelta(days=28)).timestamp()) // step * step
    starts = list(range(first, int(NOW.timestamp()) + step, step))
    pipe = store.redis.pipeline(transaction=False)
    for start in starts:
        entries = [(f"10.0.{h // 250}.{h % 250}", f"203.0.{h % 50}.{k}") for h in range(hosts)
                   for k in range(4)]  # fmt: skip
        sent = [rng.randrange(1, 10**6) for _ in entries]
        blob = {"host": [h for h, _ in entries], "peer": [p for _, p in entries], "bytes": sent,
                "connections": [1 + b % 7 for b in sent], "bytes_opened": [b // 2 for b in sent],
                "opened": [b % 3 for b in sent]}  # fmt: skip
        pipe.rpush(store.keys.flow_bucket(FLOWS, start), json.dumps(blob))
        if len(pipe) >= 500:
            pipe.execute()
    pipe.execute()
    store.rollup_flow_hours(FLOWS, starts, step, NOW, timedelta(days=400))


def reader_of(store):
    from socwall.dashboard.jobs import PanelReader

    source = SimpleNamespace(bucket=BUCKET, distinct_metrics=("failing_source_ips",))
    return PanelReader(SimpleNamespace(sources={SOURCE: source, FLOWS: source}), store)


def panel_of(way: str):
    from socwall.widgets import metric_compare, metric_grid, suspicious_users, top_talkers

    if way.startswith("compare"):
        metric = "failing_source_ips" if "distinct" in way else "failed_logins"
        options = metric_compare.MetricCompareOptions(metric=metric, window="7d",
                                                      chart_bucket="1h", weeks=4)  # fmt: skip
        return metric_compare, options
    if way == "grid_today":
        cells = [{"source": SOURCE, "metric": "failed_logins", "label": f"cell {n}"}
                 for n in range(9)]  # fmt: skip
        cells.append({"source": SOURCE, "metric": "failing_source_ips"})
        return metric_grid, metric_grid.MetricGridOptions(cells=cells, sparkline=True)
    if way.startswith("talkers"):
        return top_talkers, top_talkers.TopTalkersOptions(window="7d")
    return suspicious_users, suspicious_users.SuspiciousUsersOptions()


def run(way: str, url: str, rounds: int) -> dict:
    """`rounds` refreshes of one way in this interpreter: times, peak RSS, the payload's hash."""
    from socwall.widgets.context import PanelContext

    store = store_of(url)
    widget, options = panel_of(way)
    reader = reader_of(store)
    if way == "suspects_all":  # the attempts of every day, as each refresh read them before
        reader.auth_hour_summaries = None
    if way == "talkers_two_reads":  # ranks, then peers, with no check between (as before)
        reader.flow_consistently = None
    context = PanelContext(NOW, TZ, FLOWS if way.startswith("talkers") else SOURCE)
    times, digest = [], None
    for n in range(rounds):
        if way.endswith("afresh") or (way.endswith("distinct") and n == 0):
            forget_counts(store)  # afresh: every window counted again, as before; else cold
        started = time.perf_counter()
        payload = widget.compute(widget.load(reader, SimpleNamespace(options=options), context),
                                 options, context)  # fmt: skip
        times.append(time.perf_counter() - started)
        text = json.dumps(payload, sort_keys=True, default=str)
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"way": way, "times": times, "peak_mib": peak, "payload": digest}


def forget_counts(store) -> None:
    """Drop the kept distinct counts of windows (Store.distinct_counts keeps them)."""
    pattern = store.keys.distinct_windows(SOURCE, "failing_source_ips", NOW).rsplit(":", 1)[0]
    for key in list(store.redis.scan_iter(f"{pattern}:*", count=1000)):
        store.redis.delete(key)


def child(way: str, url: str, rounds: int) -> dict:
    command = [sys.executable, __file__, "--child", way, "--url", url, "--rounds", str(rounds)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-day", type=int, default=200_000)
    parser.add_argument("--per-bucket", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--hosts", type=int, default=200, help="hosts in each flow bucket")
    parser.add_argument("--ways", default=",".join(WAYS))
    parser.add_argument("--child")
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run(args.child, args.url, args.rounds)))
        return
    from tests.conftest import start_redis_server

    with tempfile.TemporaryDirectory() as work:
        server, url = start_redis_server(Path(work))
        try:
            measure(url, args)
        finally:
            server.terminate()
            server.wait()


def measure(url: str, args) -> None:
    store = store_of(url)
    pool = [f"198.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}" for n in range(20_000)]
    started = time.perf_counter()
    fill_metrics(store, args.per_day, args.per_bucket, pool)
    fill_attempts(store, args.per_day, pool)
    fill_flows(store, args.hosts)
    used = store.redis.info("memory")["used_memory"] / 2**20
    print(f"filled in {time.perf_counter() - started:.0f} s: {args.per_day:,} attempts a day, "
          f"{args.per_bucket} addresses a bucket; redis holds {used:,.0f} MiB")  # fmt: skip
    results = {}
    for way in args.ways.split(","):
        result = results[way] = child(way, url, args.rounds)
        times = " ".join(f"{t:.2f}" for t in result["times"])
        print(f"{way:<22} best {min(result['times']):7.2f} s  (runs {times})  "
              f"peak {result['peak_mib']:6.0f} MiB  payload {result['payload']}")  # fmt: skip
    ratio(results, "compare_7d_distinct_afresh", "compare_7d_distinct", "metric_compare distinct")
    ratio(results, "suspects_all", "suspects_hours", "suspicious_users")
    ratio(results, "talkers_two_reads", "talkers_one_state", "top_talkers 7 d")


def ratio(results: dict, before: str, after: str, name: str) -> None:
    """The way after against the way before, its first (cold) refresh apart, same payload."""
    old, new = results.get(before), results.get(after)
    if old and new:
        if old["payload"] != new["payload"]:
            raise SystemExit(f"{name}: the two ways gave different payloads, no ratio")
        warm, base = min(new["times"][1:] or new["times"]), min(old["times"])
        print(f"{name}, same payload: warm {warm:.2f} s / {base:.2f} s = ratio "
              f"{warm / base:.3f}; cold {new['times'][0]:.2f} s; "
              f"peak {new['peak_mib']:.0f} / {old['peak_mib']:.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
