"""How long one probe round takes with hanging services: bounded concurrency vs one at a time.

200 targets on 127.0.0.1 only: 190 TCP/HTTP checks against local listeners that answer, 10
HTTP checks against a listener that accepts and never answers. The baseline, in the same run,
is the same round with concurrency 1; the ratio shows what the per-check deadline and the
concurrency buy. Run: .venv/bin/python bench/probe.py [--timeout 1.0] [--concurrency 16]
"""

import argparse
import asyncio
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from socwall.feeds.probe import Target, check_all


class Ok(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the http.server API
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    request_queue_size = 128  # http.server's default backlog of 5 drops concurrent connects


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    http = Server(("127.0.0.1", 0), Ok)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    silent = socket.create_server(("127.0.0.1", 0), backlog=64)
    port, hang = http.server_address[1], silent.getsockname()[1]
    targets = [Target(name=f"web {i}", url=f"http://127.0.0.1:{port}/{i}") for i in range(95)]
    targets += [Target(name=f"tcp {i}", tcp=f"127.0.0.1:{port}") for i in range(95)]
    targets += [Target(name=f"hang {i}", url=f"http://127.0.0.1:{hang}/") for i in range(10)]
    timings = {}
    for label, concurrency in (("one at a time (baseline)", 1), ("socwall", args.concurrency)):
        started = time.perf_counter()
        results = asyncio.run(check_all(targets, args.timeout, concurrency, True))
        timings[label] = time.perf_counter() - started
        down = Counter(r["detail"] for r in results.values() if not r["up"])
        print(f"{label:26} concurrency {concurrency:3}: {timings[label]:6.2f} s, "
              f"down: {dict(down)}")
    baseline, ours = timings.values()
    print(f"ratio socwall / baseline: {ours / baseline:.3f} ({baseline / ours:.1f}x faster)")
    http.shutdown()
    silent.close()


if __name__ == "__main__":
    main()
