"""How long and how much memory a too-large config costs before it is refused.

Baseline, measured in the same run: PyYAML's SafeLoader (what socwall used before the limits)
parsing the same file to the end. Each measurement runs in a fresh child process, which
reports its time and its peak resident memory. The issue's 10 MB file (one list of 1.15 M
addresses) is measured for socwall only unless --with-big-baseline is given (the issue
measured 46 s and 1 GB for it).

    .venv/bin/python bench/config_limits.py
"""

import argparse
import json
import resource
import subprocess
import sys
import time

import yaml

CASES = {
    "800 KB flow list, 400,000 items": lambda: b"pages: [" + b",".join([b"1"] * 400_000) + b"]\n",
    "10 MB block list, 1,150,000 items": lambda: b"pages:\n"
    + b"".join(b"  - 10.0.0.1\n" for _ in range(1_150_000)),
}


def one(case: str, how: str) -> None:
    """In the child: parse one case one way, print seconds and peak RSS (MB) as JSON."""
    from socwall.dashboard.yaml_read import YamlError, read_yaml

    data = CASES[case]()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        read_yaml(data, "c.yaml") if how == "socwall" else yaml.load(data, Loader=yaml.SafeLoader)
    except YamlError:
        pass  # the refusal is the expected end
    seconds = time.perf_counter() - started
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(json.dumps({"seconds": seconds, "mb": grown}))


def run(case: str, how: str) -> dict:
    done = subprocess.run([sys.executable, __file__, "--one", case, how], capture_output=True,
                          text=True, check=True)  # fmt: skip
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--with-big-baseline", action="store_true")
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(*args.one)
        return
    print(f"{'file':36} {'baseline s':>10} {'MB':>7} {'socwall s':>10} {'MB':>7} {'ratio s':>8}")
    for case in CASES:
        ours = run(case, "socwall")
        if case.startswith("10 MB") and not args.with_big_baseline:
            print(f"{case:36} {'-':>10} {'-':>7} {ours['seconds']:10.3f} {ours['mb']:7.1f}")
            continue
        base = run(case, "baseline")
        print(f"{case:36} {base['seconds']:10.2f} {base['mb']:7.1f} {ours['seconds']:10.3f} "
              f"{ours['mb']:7.1f} {ours['seconds'] / base['seconds']:8.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
