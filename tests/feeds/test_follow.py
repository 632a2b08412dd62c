"""Every line counted exactly once, whatever happens to its file: real files, a real Redis.

Each test writes numbered sshd failures (one failed login a line), does to the files what
logrotate, cp, rsync, editors and gzip do, and checks the stored count against the number of
lines written after every step.
"""

import gzip
import os
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from socwall.dashboard.config import parse_config
from socwall.feeds import auth, events, follow
from socwall.file_commit import Batch, Fence, LostLeadership, StaleRead

NOW = datetime(2026, 1, 2, 23, 0, tzinfo=UTC)
OLD = time.time() - 3600  # an mtime long past eof_after
PAGE = {"id": "p", "title": "P", "panels": [
    {"id": "k", "widget": "exploited_recent", "title": "K", "source": "kev", "at": [1, 1]}]}
KEV = {"type": "kev", "location": "kev.json"}


def line(n: int) -> str:
    return (f"Jan  2 {9 + n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d} h sshd[{n}]: "
            f"Failed password for root from 198.51.100.9 port {n} ssh2\n")  # fmt: skip


def lines(first: int, count: int) -> str:
    return "".join(line(n) for n in range(first, first + count))


def source(tmp_path, redis_url, prefix, pattern="auth.log*", **extra) -> auth.Source:
    raw = {"store": {"url": redis_url, "prefix": prefix},
           "sources": {"auth": {"type": "auth", "path": str(tmp_path / pattern), **extra}, "kev": KEV},
           "pages": [PAGE]}  # fmt: skip
    return auth.Source(parse_config(raw).sources["auth"], "auth")


def counted(store) -> int:
    values = store.metric_series("auth", "failed_logins", [(NOW - timedelta(days=2), NOW)])
    return int(values.sum())


def append(path: Path, text: str) -> None:
    with open(path, "a") as handle:
        handle.write(text)


@pytest.fixture
def wall(tmp_path, store, redis_url, prefix):
    """(log folder, ingest function, store) for the glob auth.log*."""
    logs = tmp_path / "logs"
    logs.mkdir()
    src = source(logs, redis_url, prefix)
    return logs, lambda: src.ingest(store, NOW), store


def test_logrotate_create_with_a_glob(wall):
    logs, ingest, store = wall
    append(logs / "auth.log", lines(0, 100))
    ingest()
    append(logs / "auth.log", lines(100, 7))  # written just before the rename
    os.rename(logs / "auth.log", logs / "auth.log.1")
    append(logs / "auth.log", lines(107, 30))
    ingest()
    ingest()
    assert counted(store) == 137


def test_logrotate_create_with_a_plain_path_reads_the_renamed_tail(tmp_path, store, redis_url, prefix):
    logs = tmp_path / "logs"
    logs.mkdir()
    src = source(logs, redis_url, prefix, pattern="auth.log")
    append(logs / "auth.log", lines(0, 50))
    src.ingest(store, NOW)
    append(logs / "auth.log", lines(50, 5))
    os.rename(logs / "auth.log", logs / "auth.log.1")  # outside the configured path now
    append(logs / "auth.log", lines(55, 10))
    src.ingest(store, NOW)
    src.ingest(store, NOW)
    assert counted(store) == 65


def test_copytruncate(wall):
    logs, ingest, store = wall
    append(logs / "auth.log", lines(0, 80))
    ingest()
    append(logs / "auth.log", lines(80, 4))
    shutil.copyfile(logs / "auth.log", logs / "auth.log.1")
    os.truncate(logs / "auth.log", 0)
    append(logs / "auth.log", lines(84, 20))
    ingest()
    ingest()
    assert counted(store) == 104


def test_delaycompress_then_compress_reads_nothing_again(wall):
    logs, ingest, store = wall
    append(logs / "auth.log", lines(0, 60))
    ingest()
    os.rename(logs / "auth.log", logs / "auth.log.1")  # delaycompress: first rotation plain
    append(logs / "auth.log", lines(60, 40))
    ingest()
    with open(logs / "auth.log.1", "rb") as plain, gzip.open(logs / "auth.log.2.gz", "wb") as z:
        shutil.copyfileobj(plain, z)  # the next rotation compresses it
    os.remove(logs / "auth.log.1")
    os.rename(logs / "auth.log", logs / "auth.log.1")
    append(logs / "auth.log", lines(100, 1))
    stats = ingest()
    assert counted(store) == 101
    assert not any("unreadable" in w for w in stats["warnings"])
    assert stats["bad_rows"] == 0  # the .gz was never parsed as text


def test_a_copy_with_the_same_bytes_under_a_new_inode_is_not_counted_again(wall):
    logs, ingest, store = wall
    append(logs / "auth.log", lines(0, 120))
    ingest()
    shutil.copyfile(logs / "auth.log", logs / "auth.log.tmp")
    os.replace(logs / "auth.log.tmp", logs / "auth.log")  # cp + mv: new inode, same bytes
    ingest()
    shutil.copyfile(logs / "auth.log", logs / "auth.log.bak")  # and a second name for it
    ingest()
    assert counted(store) == 120


def test_rsync_style_redelivery_of_a_grown_file_counts_only_the_growth(wall):
    logs, ingest, store = wall
    content = lines(0, 200)
    for delivery in range(3):  # rsync: write a temp file, rename it over the old one
        content += lines(200 + delivery * 10, 10)
        (logs / ".auth.log.XyZ").write_text(content)
        os.replace(logs / ".auth.log.XyZ", logs / "auth.log")
        ingest()
    assert counted(store) == 230


def test_an_editor_save_that_appends_one_line(wall):
    logs, ingest, store = wall
    append(logs / "auth.log", lines(0, 40))
    ingest()
    text = (logs / "auth.log").read_text() + line(40)
    (logs / "auth.log~").write_text(text)
    os.replace(logs / "auth.log~", logs / "auth.log")
    ingest()
    assert counted(store) == 41


def test_a_gzip_read_while_being_copied_then_complete_counts_each_line_once(wall):
    logs, ingest, store = wall
    whole = gzip.compress(lines(0, 3000).encode())
    (logs / "auth.log.3.gz").write_bytes(whole[: len(whole) // 2])
    stats = ingest()
    partial = counted(store)
    assert 0 < partial < 3000 and any("ends early" in w for w in stats["warnings"])
    (logs / "auth.log.3.gz").write_bytes(whole)
    ingest()
    assert counted(store) == 3000


def test_an_in_place_rewrite_in_another_order_is_a_new_file_and_says_so(wall):
    logs, ingest, store = wall
    append(logs / "auth.log", lines(0, 30))
    ingest()
    reordered = "".join(reversed(lines(0, 30).splitlines(keepends=True)))
    with open(logs / "auth.log", "r+") as handle:  # same inode, other bytes
        handle.write(reordered)
    stats = ingest()
    assert "auth.log was rewritten: read again as a new file" in stats["warnings"]
    assert counted(store) == 60


def test_the_last_line_without_a_newline_is_counted_once_the_file_is_quiet(wall):
    logs, ingest, store = wall
    (logs / "auth.log").write_text(lines(0, 10) + line(10).rstrip("\n"))
    ingest()
    assert counted(store) == 10  # still being written: wait for the newline
    os.utime(logs / "auth.log", (OLD, OLD))  # nothing changed for an hour
    ingest()
    ingest()
    assert counted(store) == 11


def test_a_bad_file_between_two_good_ones_is_named_and_the_others_are_read(tmp_path, store, redis_url, prefix):
    for name, text in (("a.csv", "ts,kind\n2026-01-02T10:00:00Z,x\n"),
                       ("b.csv", "2026-01-02T10:00:00Z,x\n2026-01-02T10:00:05Z,x\n"),  # no header
                       ("c.csv", "ts,kind\n2026-01-02T10:01:00Z,x\n2026-01-02T10:02:00Z,x\n")):  # fmt: skip
        (tmp_path / name).write_text(text)
    raw = {"store": {"url": redis_url, "prefix": prefix},
           "sources": {"ev": {"type": "events", "path": str(tmp_path / "*.csv"),
                              "metrics": {"x": {"filter": {"kind": "x"}}}}, "kev": KEV},
           "pages": [PAGE]}  # fmt: skip
    src = events.Source(parse_config(raw).sources["ev"], "ev")
    stats = src.ingest(store, NOW)
    assert stats["warnings"][0].startswith("b.csv: column 'ts'")  # in words, no class name
    values = store.metric_series("ev", "x", [(NOW - timedelta(days=1), NOW)])
    assert values.sum() == 3


def test_a_line_over_the_maximum_and_a_run_of_nul_bytes_are_skipped_and_counted(tmp_path, store, redis_url, prefix):
    logs = tmp_path / "logs"
    logs.mkdir()
    src = source(logs, redis_url, prefix, max_line_bytes=4096)
    with open(logs / "auth.log", "wb") as handle:
        handle.write(lines(0, 5).encode())
        handle.write(b"x" * 10_000 + b"\n")
        handle.truncate(handle.tell() + (8 << 20))  # a sparse run of 8 MiB of NUL bytes
        handle.seek(0, os.SEEK_END)
        handle.write(b"\n" + lines(5, 5).encode())
    stats = src.ingest(store, NOW)
    assert counted(store) == 10
    assert stats["bad_rows_total"] == 2 and stats["bad_rows"] == 2  # the long line, the NUL run
    assert any("longer than the maximum" in w for w in stats["warnings"])


def test_a_glob_that_matches_nothing_is_blind_not_ok(tmp_path, store, redis_url, prefix):
    stats = source(tmp_path / "missing", redis_url, prefix).ingest(store, NOW)
    assert stats["blind"] == f"no file matches {tmp_path / 'missing' / 'auth.log*'}"


def test_unreadable_rows_are_a_running_total_not_the_last_read(wall):
    logs, ingest, store = wall
    append(logs / "auth.log", lines(0, 3) + "not syslog\n")
    assert ingest()["bad_rows_total"] == 1
    append(logs / "auth.log", lines(3, 3))
    assert ingest()["bad_rows_total"] == 1  # a later clean read does not hide it


def test_a_commit_from_a_worker_that_lost_the_lead_is_refused(store):
    store.redis.set(store.keys.leader(), "worker-b")
    store.redis.set(store.keys.leader_epoch(), 2)
    state = follow.FileState("f1", "/x", 3, "h", 10)
    batch = Batch()
    batch.metric(store.keys, "auth", {"failed_logins": {int(NOW.timestamp()) - 3600: 5}}, NOW,
                 timedelta(days=40))  # fmt: skip
    for fence in (Fence("worker-a", 2), Fence("worker-b", 1)):  # another worker; an old epoch
        with pytest.raises(LostLeadership):
            store.fenced(fence).commit_file("auth", None, state, batch)
    assert counted(store) == 0 and store.file_states("auth") == {}
    store.fenced(Fence("worker-b", 2)).commit_file("auth", None, state, batch)
    assert counted(store) == 5


def test_a_commit_from_a_stale_read_is_refused(store):
    first = follow.FileState("f1", "/x", 3, "h", 10)
    store.commit_file("auth", None, first, Batch())
    moved = follow.FileState("f1", "/x", 3, "h", 20)
    store.commit_file("auth", first, moved, Batch())
    with pytest.raises(StaleRead):  # a second reader that also started from `first`
        store.commit_file("auth", first, follow.FileState("f1", "/x", 3, "h", 20), Batch())


@pytest.mark.skipif(shutil.which("logrotate") is None, reason="logrotate is not installed")
def test_real_logrotate_with_compress_and_delaycompress(wall, tmp_path):
    logs, ingest, store = wall
    conf = tmp_path / "logrotate.conf"
    conf.write_text(f"{logs}/auth.log {{\n  rotate 5\n  create\n  compress\n  delaycompress\n}}\n")
    state = tmp_path / "logrotate.state"
    total = 0
    for _ in range(4):
        append(logs / "auth.log", lines(total, 25))
        total += 25
        ingest()
        subprocess.run(["logrotate", "-f", "-s", str(state), str(conf)], check=True)
        append(logs / "auth.log", lines(total, 5))
        total += 5
        ingest()
    assert sorted(p.name for p in logs.iterdir())[:2] == ["auth.log", "auth.log.1"]
    assert any(p.suffix == ".gz" for p in logs.iterdir())
    assert counted(store) == total
