"""How long `socwall demo` takes from start until every panel is filled, over several runs.

Each run starts `socwall demo` on a free port in a fresh data directory and reads its console:
the time its "wall ready" line appears (the command's own count from its start), and,
independently, the time /readyz first answers "ready" (every panel filled and not stale),
polled every 0.1 s, and the CPU time the demo had used when it printed the line (its own
process, and with the child that writes the generated files). The baseline in the same run is
`python -c "import dash"` started the same way: what any Dash app pays before it does anything.
Run: .venv/bin/python bench/demo_ready.py [--runs 3]

With `--before DIR` (a folder holding an older tree as a `socwall` package, e.g. `git archive`
of it with socwall/*, config.yaml and links socwall/dashboard, widgets, feeds, assets to its
folders), each run of this tree is paired with a run of that one, alternated, so that both meet
the same load; each demo starts in its own empty folder, so no checkout shadows either tree.
"""

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

READY = re.compile(r"wall (not )?ready: (\d+) of (\d+) panels filled \(([\d.]+) s\)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def readyz(port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
            return json.load(answer)["status"]
    except OSError:
        return None


def cpu_seconds(pid: int) -> dict:
    """CPU time (user + system) the demo used so far: its own process (all its threads), and
    with the child processes it has waited for (the generated files' writer). Linux only."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return {}
    tick = os.sysconf("SC_CLK_TCK")
    own, children = int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])
    return {"cpu_main": own / tick, "cpu_all": (own + children) / tick}


def one_run(env: dict, deadline: float = 180) -> dict:
    """Start the demo, wait for its ready line and for /readyz 'ready', stop it."""
    port, started = free_port(), time.perf_counter()
    with tempfile.TemporaryDirectory() as data:
        demo = subprocess.Popen(
            [sys.executable, "-m", "socwall.dashboard.cli", "demo", "--port", str(port),
             "--data-dir", data],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=data,
        )  # fmt: skip
        line: dict = {}
        said_ready = threading.Event()

        def read_console():
            for text in demo.stdout:
                found = READY.search(text)
                if found and not found[1]:  # "wall ready", not the deadline's "not ready"
                    line.update(seen=time.perf_counter() - started, said=float(found[4]),
                                filled=f"{found[2]} of {found[3]}", text=text.strip(),
                                **cpu_seconds(demo.pid))  # fmt: skip
                    said_ready.set()
                elif found:
                    line["late"] = f"{found[2]} of {found[3]} at {found[4]} s"

        threading.Thread(target=read_console, daemon=True).start()
        ready_at = None
        try:
            while time.perf_counter() - started < deadline:
                if readyz(port) == "ready":
                    ready_at = time.perf_counter() - started
                    break
                time.sleep(0.1)  # the bench's sampling interval, not a test's wait
            said_ready.wait(30)  # the line follows the last panel's write by moments
        finally:
            demo.terminate()
            demo.wait(timeout=30)
        return {"readyz": ready_at, **line, "load": os.getloadavg()[0]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", help="an older tree as a socwall package, run alternately")
    args = parser.parse_args()
    dash_start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import dash"], check=True)
    dash_seconds = time.perf_counter() - dash_start
    this = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    trees = [("", this)]
    if args.before:
        trees = [("before ", {**this, "PYTHONPATH": args.before}), ("after  ", this)]
    results = [(n, name, one_run(env)) for n in range(1, args.runs + 1) for name, env in trees]
    print(f'baseline python -c "import dash": {dash_seconds:.2f} s')
    for n, name, result in results:
        ready = result["readyz"]
        print(f"{name}run {n}: ready line {result.get('said', float('nan')):.1f} s "
              f"({result.get('filled', 'no line')}), /readyz ready "
              f"{'never' if ready is None else f'{ready:.1f} s'}"
              f" = {(ready or float('nan')) / dash_seconds:.1f}x import dash"
              + (f"; past the deadline: {result['late']}" if "late" in result else "")
              + (f"; CPU {result['cpu_all']:.2f} s, main process {result['cpu_main']:.2f} s"
                 if "cpu_all" in result else "")
              + f"; load average {result['load']:.2f}")  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
