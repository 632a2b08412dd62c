"""Password guessers against `socwall serve` with basic auth, while a signed-in wall polls.

Run: .venv/bin/python bench/guessing.py [--guessers 32] [--hold 10] [--workers 2]
Starts `socwall serve --workers 2` (gevent) on 127.0.0.1 with basic auth, then for --hold
seconds each: /livez every 0.1 s and a signed-in browser's strip poll every 0.5 s with
nobody guessing (the baseline), then the same while --guessers threads (in a process of
their own) each send wrong passwords with a new user name every time, as fast as they are
answered: first all from one address, then each guess from a new address forwarded by a
trusted proxy (a botnet behind the wall's reverse proxy: only the bounded pool holds it).
First, what an anonymous probe costs: 400 `GET /healthz` without credentials (only
ok/degraded/down, worked out at most once per 5 s per worker) against 400 `GET /livez`.
Uses REDIS_URL when set, else starts a throwaway redis-server on a free port.
"""

import argparse
import http.client
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import start_redis_server  # noqa: E402
from tests.dashboard.test_access_load import SignedIn, attack, sample  # noqa: E402
from tests.dashboard.test_access_load import start_guarded as start  # noqa: E402


def line(label: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[int(len(ordered) * 0.95) - 1] if len(ordered) >= 20 else ordered[-1]
    return (f"{label:<34} p50 {statistics.median(values) * 1000:8.1f} ms  p95 {p95 * 1000:8.1f} ms"
            f"  max {max(values) * 1000:8.1f} ms  n={len(values)}")  # fmt: skip


def probe_costs(served, rounds: int = 400) -> None:
    """p50 of anonymous /healthz and /livez, one after the other on a keep-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    found: dict[str, list[float]] = {"/livez": [], "/healthz": []}
    for _ in range(rounds):
        for path, times in found.items():
            start = time.perf_counter()
            connection.request("GET", path)
            connection.getresponse().read()
            times.append(time.perf_counter() - start)
    print(f"\n== what an anonymous probe costs, {rounds} of each ==")
    for path, times in found.items():
        print(line(f"{path} without credentials", times))
    ratio = statistics.median(found["/healthz"]) / statistics.median(found["/livez"])
    print(f"{'':<34} ratio p50 /healthz / /livez: {ratio:.2f}")


def report(title: str, before: dict, during: dict, hold: float) -> None:
    print(f"\n== {title} ==")
    for name in ("livez", "polls"):
        print(line(f"{name} without guessers", before[name]))
        print(line(f"{name} with guessers", during[name]))
        ratio = statistics.median(during[name]) / statistics.median(before[name])
        print(f"{'':<34} ratio p50 with/without: {ratio:.2f}")
    refused = [s for s in during["statuses"] if s != 200]
    print(f"signed-in polls answered 200: {len(during['statuses']) - len(refused)} "
          f"of {len(during['statuses'])}")  # fmt: skip
    answers = during["answers"]
    total = sum(answers.values())
    print(f"guesses answered: {total} ({total / hold:.0f}/s): "
          + ", ".join(f"{k}: {v}" for k, v in sorted(answers.items(), key=str)))  # fmt: skip
    hashes = during["hashes"]
    print(f"password hashes run (serve's 'sign-in failed' lines): {hashes} ({hashes / hold:.1f}/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guessers", type=int, default=32)
    parser.add_argument("--hold", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        redis_process, redis_url = None, os.environ.get("REDIS_URL")
        if not redis_url:
            redis_process, redis_url = start_redis_server(workdir)
        try:
            for spread, title in ((False, "from one address"),
                                  (True, "each guess from a new forwarded address")):  # fmt: skip
                served = start(workdir, redis_url, args.workers, spread)
                try:
                    if not spread:
                        probe_costs(served)
                    user = SignedIn(served.port)
                    before = sample(served, user, args.hold)
                    during = attack(served, user, args.guessers, args.hold, spread)
                    report(f"{args.guessers} guessers {title}, {args.hold:.0f} s", before, during,
                           args.hold)  # fmt: skip
                finally:
                    served.stop()
        finally:
            if redis_process is not None:
                redis_process.terminate()
                redis_process.wait(timeout=10)


if __name__ == "__main__":
    main()
