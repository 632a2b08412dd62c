"""Slow clients against `socwall serve`: N half-sent requests held while screens keep polling.

Run: .venv/bin/python bench/slow_clients.py [--clients 64] [--hold 10] [--worker-class gevent ...]
For each worker class: start `socwall serve --workers 2` on 127.0.0.1, time /healthz and the
health-strip callback every 0.5 s for --hold seconds without slow clients (the baseline),
then the same while --clients connections hold a request whose headers never end. Last, the
price of each worker class without slow clients: 20 concurrent pollers, classes in turn.
Uses REDIS_URL when set, else starts a throwaway redis-server on a free port.
"""

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import redis
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socwall.dashboard.config import parse_config  # noqa: E402
from socwall.dashboard.jobs import run_all_once  # noqa: E402
from socwall.dashboard.store import Store  # noqa: E402
from tests.conftest import Served, events_config, start_redis_server  # noqa: E402
from tests.dash_requests import panel_poll_body, strip_poll_body  # noqa: E402
from tests.dashboard.test_jobs import CLOCK, write_events  # noqa: E402
from tests.dashboard.test_slow_clients import open_half_sent, timed  # noqa: E402

TIMEOUT = 10.0  # a request slower than this counts as timed out, at this value


def sample(served: Served, seconds: float) -> dict[str, list[float]]:
    """Latencies of /healthz and the strip callback, one of each every 0.5 s."""
    found: dict[str, list[float]] = {"healthz": [], "callback": [], "timeouts": []}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        tick = time.monotonic()
        requests = [("healthz", "/healthz", None),
                    ("callback", "/_dash-update-component", strip_poll_body())]  # fmt: skip
        for name, path, body in requests:
            try:
                found[name].append(timed(served.url + path, body, TIMEOUT))
            except OSError:
                found[name].append(TIMEOUT)
                found["timeouts"].append(1)
        time.sleep(max(0.0, 0.5 - (time.monotonic() - tick)))
    return found


def throughput(served: Served, seconds: float, body: dict, pollers: int = 20) -> list[float]:
    """Latencies of one callback request sent back to back by `pollers` threads."""
    latencies: list[float] = []
    end = time.monotonic() + seconds

    def poll() -> None:
        while time.monotonic() < end:
            latencies.append(timed(served.url + "/_dash-update-component", body))

    threads = [threading.Thread(target=poll) for _ in range(pollers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def line(label: str, values: list[float]) -> str:
    p50 = statistics.median(values) * 1000
    return f"{label:<30} p50 {p50:8.1f} ms  max {max(values) * 1000:8.1f} ms  n={len(values)}"


def start(worker_class: str, redis_url: str, workdir: Path) -> Served:
    """`socwall serve` over 200 events, its panels computed once as a worker would."""
    (workdir / "events").mkdir(exist_ok=True)
    write_events(workdir / "events", list(range(0, 600, 3)))
    raw = events_config(workdir / "events", redis_url, f"slow{worker_class}")
    store = Store(redis.Redis.from_url(redis_url, decode_responses=True), raw["store"]["prefix"])
    run_all_once(parse_config(raw), store, CLOCK)
    config = workdir / f"wall-{worker_class}.yaml"
    config.write_text(yaml.safe_dump(raw))
    return Served(config, workdir / f"serve-{worker_class}.log", "--workers", "2",
                  "--worker-class", worker_class)  # fmt: skip


def attack(worker_class: str, served: Served, clients: int, hold: float) -> None:
    """Polls without, then with `clients` half-sent requests; prints both and their ratio."""
    before = sample(served, hold)
    held = open_half_sent(served.port, clients)
    during = sample(served, hold)
    for connection in held:
        connection.close()
    print(f"\n== {worker_class}: {clients} half-sent requests held for {hold:.0f} s ==")
    for name in ("healthz", "callback"):
        print(line(f"{name} without slow clients", before[name]))
        print(line(f"{name} with slow clients", during[name]))
        ratio = statistics.median(during[name]) / statistics.median(before[name])
        print(f"{'':<30} ratio p50 with/without: {ratio:.2f}")
    print(f"timed out (>{TIMEOUT:.0f} s): {len(during['timeouts'])} of "
          f"{len(during['healthz']) + len(during['callback'])} requests")  # fmt: skip


def busy(servers: dict[str, Served], rounds: int, what: str, body: dict, seconds=3.0) -> None:
    """20 pollers and no slow clients, the classes in turn round by round (a fair share of
    whatever else the machine does): the price of each worker class in requests/s."""
    rates: dict[str, list[float]] = {name: [] for name in servers}
    medians: dict[str, list[float]] = {name: [] for name in servers}
    for _ in range(rounds):
        for name, served in servers.items():
            latencies = throughput(served, seconds, body)
            rates[name].append(len(latencies) / seconds)
            medians[name].append(statistics.median(latencies))
    print(f"\n== 20 pollers of {what}, no slow clients, {rounds} rounds of {seconds:.0f} s ==")
    for name in servers:
        print(f"{name:<10} median {statistics.median(rates[name]):7.0f} requests/s  "
              f"p50 {statistics.median(medians[name]) * 1000:6.1f} ms")  # fmt: skip
    if len(servers) == 2:
        first, second = servers
        ratio = statistics.median(rates[first]) / statistics.median(rates[second])
        print(f"ratio requests/s {first}/{second}: {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--hold", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the busy phase")
    parser.add_argument("--worker-class", nargs="+", default=["gevent", "gthread"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        redis_process = None
        redis_url = os.environ.get("REDIS_URL")
        if not redis_url:
            redis_process, redis_url = start_redis_server(workdir)
        servers: dict[str, Served] = {}
        try:
            for worker_class in args.worker_class:
                servers[worker_class] = start(worker_class, redis_url, workdir)
            for worker_class, served in servers.items():
                attack(worker_class, served, args.clients, args.hold)
            busy(servers, args.rounds, "the health strip", strip_poll_body())
            busy(servers, args.rounds, "a panel rendered anew", panel_poll_body("failed", None))
        finally:
            for served in servers.values():
                served.stop()
            if redis_process is not None:
                redis_process.terminate()
                redis_process.wait(timeout=10)


if __name__ == "__main__":
    main()
