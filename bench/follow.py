"""The cost of following many files: 1,000 files of which 10 grow, per refresh.

socwall's follower (fast signature check, 1 KiB fingerprint only for changed files) against a
naive baseline in the same run that re-reads and hashes every whole file to decide what is new.
Run: .venv/bin/python bench/follow.py [--files 1000] [--lines 2000] [--growing 10]
"""

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from socwall.feeds import follow  # noqa: E402


def line(n: int) -> str:
    return f"Jan  2 09:{n // 60 % 60:02d}:{n % 60:02d} h sshd[{n}]: Failed password for root from 198.51.100.9 port {n} ssh2\n"  # noqa: E501


def naive_refresh(folder: Path, known: dict[str, tuple[str, int]]) -> int:
    """Re-read every file whole and compare a hash of what was read before: the bytes it
    finds new are what it returns."""
    new_bytes = 0
    for path in sorted(folder.glob("*.log")):
        data = path.read_bytes()
        digest, offset = known.get(path.name, ("", 0))
        if hashlib.sha256(data[:offset]).hexdigest() != digest:
            offset = 0
        new_bytes += len(data) - offset
        known[path.name] = (hashlib.sha256(data).hexdigest(), len(data))
    return new_bytes


def socwall_refresh(folder: Path, states: dict) -> int:
    new_bytes = 0
    pattern = str(folder / "*.log")
    for read in follow.follow(pattern, states, lambda p, h: follow_header, time.time()):
        states[read.state.id] = read.state
        new_bytes += len(read.data) if read.data is not None else 0
    return new_bytes


def follow_header(handle) -> bytes:
    return b""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=2000, help="lines per file at the start")
    parser.add_argument("--growing", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        body = "".join(line(n) for n in range(args.lines))
        for i in range(args.files):
            (folder / f"host{i:04d}.log").write_text(f"# host {i}\n" + body)
        total_mb = sum(p.stat().st_size for p in folder.glob("*.log")) / 1e6
        states, known = {}, {}
        socwall_refresh(folder, states), naive_refresh(folder, known)  # first full read
        socwall_s = naive_s = 0.0
        for round_ in range(args.rounds):
            for i in range(args.growing):
                with open(folder / f"host{i * 7:04d}.log", "a") as handle:
                    handle.write(line(round_))
            start = time.perf_counter()
            got = socwall_refresh(folder, states)
            socwall_s += time.perf_counter() - start
            start = time.perf_counter()
            expected = naive_refresh(folder, known)
            naive_s += time.perf_counter() - start
            assert got == expected, (got, expected)
        per_socwall, per_naive = socwall_s / args.rounds, naive_s / args.rounds
        print(f"{args.files:,} files ({total_mb:,.0f} MB), {args.growing} growing, "
              f"{args.rounds} refreshes")  # fmt: skip
        print(f"socwall follow: {per_socwall * 1000:.1f} ms per refresh")
        print(f"naive re-read + hash: {per_naive * 1000:.1f} ms per refresh")
        print(f"ratio socwall/naive: {per_socwall / per_naive:.3f}")


if __name__ == "__main__":
    main()
