"""Peak memory of `socwall run-once` over a folder of hostile files, against a good folder.

Run: .venv/bin/python bench/bad_files.py [--big-mb 400] [--ceiling-mb 256] [--repeat 3]
The bad folder (tests/feeds/test_bounded_reads.py's): a good CSV of 1,000 rows, a --big-mb CSV,
a gzip bomb (2 GiB of zeros in 2 MB), a 2 GiB sparse file with rows before and after its hole,
a CSV with a 50 MB line, a symlink loop and a file that cannot be opened. The baseline is the
good CSV alone, measured in the same run. Each run is a fresh store prefix (everything is read);
the peak RSS is getrusage(RUSAGE_CHILDREN) of a wrapper that runs only run-once; best of
--repeat. Uses REDIS_URL when set, else starts a throwaway redis-server on a free port.
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import start_redis_server  # noqa: E402
from tests.feeds.test_bounded_reads import (  # noqa: E402
    HEADER,
    config_file,
    hostile_folder,
    rows,
    run_once_peak,
)


def best_peak(tmp: Path, folder: Path, redis_url: str, ceiling: int, repeat: int) -> int:
    peaks = []
    for n in range(repeat):
        prefix = f"bench{os.getpid()}x{n}{folder.name}"  # a fresh store: every file is read
        peaks.append(run_once_peak(config_file(tmp, folder, redis_url, prefix, ceiling)))
    return min(peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big-mb", type=int, default=400)
    parser.add_argument("--ceiling-mb", type=int, default=256, help="max_memory_bytes, in MiB")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ceiling = args.ceiling_mb << 20
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        redis_process, redis_url = None, os.environ.get("REDIS_URL")
        if not redis_url:
            redis_process, redis_url = start_redis_server(tmp)
        try:
            good = tmp / "good"
            good.mkdir()
            (good / "good.csv").write_text(HEADER + rows(1000))
            good_rows, _ = hostile_folder(tmp / "bad", args.big_mb * 1_000_000)
            base = best_peak(tmp, good, redis_url, ceiling, args.repeat)
            peak = best_peak(tmp, tmp / "bad", redis_url, ceiling, args.repeat)
        finally:
            if redis_process is not None:
                redis_process.terminate()
    print(f"max_memory_bytes {args.ceiling_mb} MiB, big CSV {args.big_mb} MB, "
          f"{good_rows:,} good rows, best of {args.repeat}")
    print(f"good folder only (baseline)   peak RSS {base / 2**20:8.1f} MiB")
    print(f"good + hostile files          peak RSS {peak / 2**20:8.1f} MiB")
    print(f"added by the hostile files             {(peak - base) / 2**20:8.1f} MiB "
          f"({(peak - base) / ceiling:.2f} of the ceiling); ratio {peak / base:.2f}")


if __name__ == "__main__":
    main()
