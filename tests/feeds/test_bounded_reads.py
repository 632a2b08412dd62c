"""Hostile files cost one window of memory, are named, and never hide the good rows beside them.

Real files on disk, `socwall run-once` in a child process over a real Redis; the child's peak
RSS is read with getrusage(RUSAGE_CHILDREN) by a wrapper process that runs only that child.
"""

import json
import os
import subprocess
import sys
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from socwall.dashboard.config import parse_config
from socwall.feeds import events
from tests.conftest import events_config

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
HEADER = "ts,kind,host\n"
CEILING = 128 << 20  # max_memory_bytes in these tests: files are read about 10.7 MiB at a time
MEASURE = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "sys.stderr.write(done.stderr)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)\n"
)


def rows(count: int, start: int = 0) -> str:
    """`count` failed logins between 10:00 and 11:59 on the test day, one per line."""
    return "".join(
        f"2026-11-23T{10 + i % 2:02d}:{i % 60:02d}:{i % 59:02d}Z,failed_login,h{i % 97}\n"
        for i in range(start, start + count)
    )


def write_gzip_of_zeros(path: Path, members: int, member_bytes: int = 64 << 20) -> None:
    """A gzip bomb, compressed as it is streamed: `members` members of zeros each."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"\0" * (1 << 20)
    member = b"".join(packer.compress(zeros) for _ in range(member_bytes >> 20)) + packer.flush()
    with open(path, "wb") as handle:
        for _ in range(members):
            handle.write(member)


def gzip_rows(text: str) -> bytes:
    """A CSV of `text` rows, gzip-compressed."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    return packer.compress((HEADER + text).encode()) + packer.flush()


def unopenable(folder: Path, name: str) -> Path | None:
    """A file the test process cannot open: mode 000, or as root a symlink to a write-only
    sysfs attribute (root may read any mode-000 file); None when there is no such file."""
    path = folder / name
    if os.geteuid() != 0:
        path.write_text(HEADER + rows(3))
        path.chmod(0)
        return path
    for target in ("/sys/bus/pci/rescan", "/sys/bus/pci/drivers_probe", "/sys/kernel/notes"):
        try:
            open(target, "rb").close()
        except PermissionError:
            path.symlink_to(target)
            return path
        except OSError:
            continue
    return None


def config_file(tmp_path: Path, folder: Path, redis_url: str, prefix: str,
                ceiling: int = CEILING) -> Path:  # fmt: skip
    raw = events_config(folder, redis_url, prefix)
    raw["sources"]["events"] |= {"path": str(folder / "*.csv*"), "eof_after": "1s",
                                 "max_memory_bytes": ceiling}  # fmt: skip
    path = tmp_path / f"{folder.name}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def run_once_peak(config: Path) -> int:
    """Peak RSS in bytes of `socwall run-once` over `config`, run as a child of a wrapper."""
    command = [sys.executable, "-m", "socwall.dashboard.cli", "run-once", "--config",
               str(config), "--json", "--keep-going", "--now", NOW.isoformat()]  # fmt: skip
    done = subprocess.run([sys.executable, "-c", MEASURE, *command],
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return int(done.stdout.strip().splitlines()[-1])


def failed_logins(store) -> float:
    series = store.metric_series("events", "failed", [(NOW - timedelta(days=1), NOW)])
    return float(series.sum())


def hostile_folder(folder: Path, big_bytes: int = 100_000_000) -> tuple[int, Path | None]:
    """A good CSV beside a big CSV, a gzip bomb, a 2 GiB sparse file, a 50 MB line, a symlink
    loop and an unopenable file; the good rows in it and the unopenable file (None: none)."""
    folder.mkdir()
    (folder / "good.csv").write_text(HEADER + rows(1000))
    block = rows(10_000).encode()
    with open(folder / "big.csv", "wb") as handle:
        handle.write(HEADER.encode())
        for _ in range(big_bytes // len(block)):
            handle.write(block)
    write_gzip_of_zeros(folder / "bomb.csv.gz", members=32)  # 2 GiB of zeros in 2 MB
    with open(folder / "sparse.csv", "w") as handle:
        handle.write(HEADER + rows(100))
    os.truncate(folder / "sparse.csv", 2 << 30)  # a 2 GiB hole...
    with open(folder / "sparse.csv", "a") as handle:
        handle.write(rows(100, start=100))  # ...and good rows after it
    with open(folder / "long.csv", "w") as handle:
        handle.write(HEADER + rows(50) + "x" * (50 << 20) + "\n" + rows(50, start=50))
    (folder / "loop.csv").symlink_to("loop.csv")
    locked = unopenable(folder, "locked.csv")
    return 1000 + big_bytes // len(block) * 10_000 + 200 + 100, locked


def test_hostile_files_cost_one_window_and_are_named_while_good_rows_count(
    tmp_path, store, redis_url, prefix
):
    good_dir, bad_dir = tmp_path / "good", tmp_path / "bad"
    good_dir.mkdir()
    (good_dir / "good.csv").write_text(HEADER + rows(1000))
    good_rows, locked = hostile_folder(bad_dir)  # the big CSV: 100 MB, seven windows

    baseline = run_once_peak(config_file(tmp_path, good_dir, redis_url, prefix + "g"))
    peak = run_once_peak(config_file(tmp_path, bad_dir, redis_url, prefix))

    assert failed_logins(store) == good_rows  # every good row, once
    status = store.source_status("events")
    assert status["status"] != "error", status
    warnings = " | ".join(status["warnings"])
    assert "bomb.csv.gz: inflates more than 250-fold" in warnings
    assert "sparse.csv: 2 GiB of NULs (a sparse hole)" in warnings
    assert "long.csv: 1 line(s) longer than the maximum skipped (the longest 50 MiB)" in warnings
    assert "loop.csv: a symlink loop, skipped" in warnings
    if locked is not None:
        assert "locked.csv: " in warnings and "ermission denied" in warnings
    assert peak < baseline + CEILING, (peak >> 20, baseline >> 20)


def test_a_failed_file_is_not_read_again_until_it_changes_and_stays_named(
    tmp_path, store, redis_url, prefix
):
    folder = tmp_path / "events"
    folder.mkdir()
    (folder / "a.csv").write_text(HEADER + rows(10))
    write_gzip_of_zeros(folder / "bomb.csv.gz", members=1)
    raw = events_config(folder, redis_url, prefix)
    raw["sources"]["events"]["path"] = str(folder / "*.csv*")
    source = events.Source(parse_config(raw).sources["events"], "events")
    first = source.ingest(store, NOW)
    assert first["rows"] == 10 and any("bomb.csv.gz: inflates" in w for w in first["warnings"])
    remembered = store.file_failures("events")["files"]
    assert list(remembered) == [str(folder / "bomb.csv.gz")]

    bomb = folder / "bomb.csv.gz"  # rewritten in place with the same size and times: the
    info = bomb.stat()  # signature is unchanged, so it is not read again and its failure stays
    text = HEADER + rows(5, start=10)
    filler = "2026-11-23T10:00:00Z,failed_login,h"
    bomb.write_text(text + filler + "x" * (info.st_size - len(text) - len(filler) - 1) + "\n")
    os.utime(bomb, ns=(info.st_atime_ns, info.st_mtime_ns))
    second = source.ingest(store, NOW)
    assert second["rows"] == 0
    assert [w for w in second["warnings"] if "bomb" in w] == [remembered[str(bomb)][1]]

    os.utime(bomb, ns=(info.st_atime_ns, info.st_mtime_ns + 10**9))  # changed: read again
    third = source.ingest(store, NOW)
    assert third["rows"] == 6 and not any("bomb" in w for w in third["warnings"])
    assert store.file_failures("events") == {}


def test_a_source_fails_only_when_nothing_is_readable(tmp_path, store, redis_url, prefix):
    folder = tmp_path / "events"
    folder.mkdir()
    write_gzip_of_zeros(folder / "bomb.csv.gz", members=1)
    (folder / "loop.csv").symlink_to("loop.csv")
    raw = events_config(folder, redis_url, prefix)
    raw["sources"]["events"]["path"] = str(folder / "*.csv*")
    source = events.Source(parse_config(raw).sources["events"], "events")
    with pytest.raises(ValueError) as failed:
        source.ingest(store, NOW)
    assert "bomb.csv.gz: inflates" in str(failed.value)
    assert "loop.csv: a symlink loop" in str(failed.value)
    (folder / "a.csv").write_text(HEADER + rows(3))  # one readable file beside two bad ones
    stats = source.ingest(store, NOW)
    assert stats["rows"] == 3 and len([w for w in stats["warnings"] if "skipped" in w]) == 2
    assert json.dumps(stats)  # the status stays JSON


def test_a_file_whose_first_window_cannot_be_read_is_named_and_the_others_still_count(
    tmp_path, store, redis_url, prefix
):
    folder = tmp_path / "events"
    folder.mkdir()
    (folder / "a.csv").write_text(HEADER + rows(10))
    block = ("when,what\n" + "2026-11-23T10:00:00Z,x\n" * 200_000).encode()  # 4.4 MB, no `ts`
    (folder / "other.csv").write_bytes(block)
    raw = events_config(folder, redis_url, prefix)
    raw["sources"]["events"] |= {"max_memory_bytes": 16 << 20}  # windows of 2 MiB: three
    source = events.Source(parse_config(raw).sources["events"], "events")
    stats = source.ingest(store, NOW)
    assert stats["rows"] == 10
    assert [w for w in stats["warnings"] if w.startswith("other.csv: ")] == [
        "other.csv: column 'ts' (the `timestamp` setting) is missing"]


def test_a_compressed_file_inflating_past_the_limit_is_named(tmp_path, store, redis_url, prefix):
    folder = tmp_path / "events"
    folder.mkdir()
    (folder / "a.csv").write_text(HEADER + rows(10))
    (folder / "big.csv.gz").write_bytes(gzip_rows(rows(80_000)))  # 3.4 MB of text, ~10-fold
    raw = events_config(folder, redis_url, prefix)
    raw["sources"]["events"] |= {"path": str(folder / "*.csv*"), "max_inflated_bytes": 1 << 20}
    stats = events.Source(parse_config(raw).sources["events"], "events").ingest(store, NOW)
    assert stats["rows"] == 10
    assert "big.csv.gz: inflates past 1 MiB, skipped from there" in stats["warnings"]
