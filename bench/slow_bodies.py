"""Slow request bodies from a wall screen against `socwall serve`, while /livez is probed.

Run: .venv/bin/python bench/slow_bodies.py [--bodies 2100] [--hold 14]
Starts `socwall serve --workers 2` (gevent) on 127.0.0.1 with basic auth and a screen, opens
the screen with its token for its cookie, then times /livez every 0.25 s for --hold seconds
without slow clients (the baseline) and again while --bodies connections with that cookie
each promise a 60 KB callback body, send one byte and then one more every 5 s. Prints both,
their ratio, when the server dropped the bodies (408) and how many.
Uses REDIS_URL when set, else starts a throwaway redis-server on a free port.
"""

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import Served, start_redis_server  # noqa: E402
from tests.dashboard.test_access import TOKEN, basic_access, raw_config  # noqa: E402
from tests.dashboard.test_slow_clients import (  # noqa: E402
    answer_of,
    open_slow_bodies,
    screen_cookie,
    timed,
    trickle,
)


def probe(served: Served, seconds: float, held=None) -> tuple[list[float], list[str]]:
    """/livez latencies every 0.25 s (a timeout counts 10 s); trickles `held` every 5 s."""
    latencies, notes, start, last = [], [], time.monotonic(), time.monotonic()
    while time.monotonic() - start < seconds:
        try:
            latencies.append(timed(served.url + "/livez", timeout=10))
        except OSError:
            latencies.append(10.0)
        if held and time.monotonic() - last >= 5:
            last = time.monotonic()
            notes.append(f"{last - start:4.1f} s: {trickle(held)} of {len(held)} still read")
        time.sleep(0.25)
    return latencies, notes


def line(label: str, values: list[float]) -> str:
    return (f"{label:<32} p50 {statistics.median(values) * 1000:8.1f} ms  "
            f"max {max(values) * 1000:8.1f} ms  over 1 s: {sum(v > 1 for v in values)} of "
            f"{len(values)}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bodies", type=int, default=2100)
    parser.add_argument("--hold", type=float, default=14.0, help="seconds per phase")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.bodies + 500)), hard))
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        redis_process, redis_url = None, os.environ.get("REDIS_URL")
        if not redis_url:
            redis_process, redis_url = start_redis_server(workdir)
        config = workdir / "wall.yaml"
        config.write_text(yaml.safe_dump(raw_config(workdir, redis_url, f"slow{os.getpid()}",
                                                    basic_access())))  # fmt: skip
        served = Served(config, workdir / "serve.log", "--workers", "2")
        try:
            before, _ = probe(served, args.hold)
            cookie = screen_cookie(served, TOKEN)
            opened = time.monotonic()
            held = open_slow_bodies(served.port, args.bodies, cookie)
            print(f"{args.bodies} slow bodies open after {time.monotonic() - opened:.2f} s")
            during, notes = probe(served, args.hold, held)
            answers = [answer_of(connection) for connection in held]
            for connection in held:
                connection.close()
        finally:
            served.stop()
            if redis_process is not None:
                redis_process.terminate()
                redis_process.wait(timeout=10)
    print("\n".join(notes))
    print(line("/livez without slow bodies", before))
    print(line(f"/livez with {args.bodies} slow bodies", during))
    ratio = statistics.median(during) / statistics.median(before)
    print(f"{'':<32} ratio p50 with/without: {ratio:.2f}")
    dropped = sum(answer.startswith(b"HTTP/1.1 408") for answer in answers)
    print(f"answered 408 (body not in after 10 s): {dropped} of {args.bodies}")


if __name__ == "__main__":
    main()
