"""How long the `socwall` command takes to start, beside `python -c pass` and `import dash`.

Each command runs as a new process, the rounds interleaved so a busy neighbour slows every
command alike; the best of the rounds is kept (the noise of a shared machine only adds time).
Peak RSS from the child's rusage. Run: .venv/bin/python bench/cli_start.py [--rounds 5]
"""

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOCWALL = [sys.executable, "-m", "socwall.dashboard.cli"]
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    'python -c "import dash"': [sys.executable, "-c", "import dash"],
    "socwall --version": [*SOCWALL, "--version"],
    "socwall --help": [*SOCWALL, "--help"],
    "socwall demo --help": [*SOCWALL, "demo", "--help"],
    "socwall check-config config.yaml": [*SOCWALL, "check-config", str(ROOT / "config.yaml")],
}


def run_once(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one run of ARGV."""
    start = time.perf_counter()
    pid = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).pid
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{argv} failed")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    best = {name: (float("inf"), 0.0) for name in COMMANDS}
    for _ in range(args.rounds):
        for name, argv in COMMANDS.items():
            seconds, rss = run_once(argv)
            best[name] = min(best[name], (seconds, rss))
    plain, dash = best["python -c pass"][0], best['python -c "import dash"'][0]
    print(f"{'command':34} {'best s':>7} {'MB':>6} {'/ pass':>7} {'/ dash':>7}")
    for name, (seconds, rss) in best.items():
        print(f"{name:34} {seconds:7.3f} {rss:6.0f} {seconds / plain:7.2f} {seconds / dash:7.2f}")
    print(f"best of {args.rounds} rounds; load average {os.getloadavg()[0]:.2f} on "
          f"{os.cpu_count()} cores; self rss {resource.getrusage(0).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
