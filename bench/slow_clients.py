"""Slow clients against `socwall serve`: N half-sent requests held while screens keep polling.

Run: .venv/bin/python bench/slow_clients.py [--clients 64] [--hold 10] [--worker-class gevent ...]
For each worker class: start `socwall serve --workers 2` on 127.0.0.1, time /healthz and the
health-strip callback every 0.5 s for --hold seconds without slow clients (the baseline),
then the same while --clients connections hold a request whose headers never end.
Uses REDIS_URL when set, else starts a throwaway redis-server on a free port.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import Served, events_config, start_redis_server  # noqa: E402
from tests.dash_requests import strip_poll_body  # noqa: E402
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


def line(label: str, values: list[float]) -> str:
    p50 = statistics.median(values) * 1000
    return f"{label:<30} p50 {p50:8.1f} ms  max {max(values) * 1000:8.1f} ms  n={len(values)}"


def run(worker_class: str, clients: int, hold: float, redis_url: str, workdir: Path) -> None:
    config = workdir / f"wall-{worker_class}.yaml"
    config.write_text(yaml.safe_dump(events_config(workdir, redis_url, f"slow{worker_class}")))
    served = Served(config, workdir / f"serve-{worker_class}.log", "--workers", "2",
                    "--worker-class", worker_class)  # fmt: skip
    try:
        before = sample(served, hold)
        held = open_half_sent(served.port, clients)
        during = sample(served, hold)
        for connection in held:
            connection.close()
    finally:
        served.stop()
    print(f"\n== {worker_class}: {clients} half-sent requests held for {hold:.0f} s ==")
    for name in ("healthz", "callback"):
        print(line(f"{name} without slow clients", before[name]))
        print(line(f"{name} with slow clients", during[name]))
        ratio = statistics.median(during[name]) / statistics.median(before[name])
        print(f"{'':<30} ratio p50 with/without: {ratio:.2f}")
    print(f"timed out (>{TIMEOUT:.0f} s): {len(during['timeouts'])} of "
          f"{len(during['healthz']) + len(during['callback'])} requests")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--hold", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--worker-class", nargs="+", default=["gevent", "gthread"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        redis_process = None
        redis_url = os.environ.get("REDIS_URL")
        if not redis_url:
            redis_process, redis_url = start_redis_server(workdir)
        try:
            for worker_class in args.worker_class:
                run(worker_class, args.clients, args.hold, redis_url, workdir)
        finally:
            if redis_process is not None:
                redis_process.terminate()
                redis_process.wait(timeout=10)


if __name__ == "__main__":
    main()
