"""A second, independent set of file-following cases (issue 8 cross-check): exact totals."""

import gzip
import os
import shutil
from datetime import UTC, datetime, timedelta

from socwall.dashboard.config import parse_config
from socwall.feeds import events
from tests.conftest import events_config

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
HEADER = "ts,kind,host\n"


def lines(n: int, minute: int = 0) -> str:
    """n failed logins, each in its own second of one minute; 40 lines pass FINGERPRINT_BYTES."""
    return "".join(
        f"2026-11-23T10:{minute:02d}:{i % 60:02d}Z,failed_login,host{i}\n" for i in range(n)
    )


def source_for(tmp_path, redis_url, prefix, pattern) -> events.Source:
    raw = events_config(tmp_path, redis_url, prefix)
    raw["sources"]["events"] |= {"path": str(tmp_path / pattern)}
    return events.Source(parse_config(raw).sources["events"], "events")


def total(store) -> float:
    series = store.metric_series("events", "failed", [(NOW - timedelta(days=60), NOW)])
    return float(series.sum())


def append(path, text: str) -> None:
    with open(path, "a") as handle:
        handle.write(text)


def test_logrotate_create_with_a_glob_reads_only_the_unread_tail(
    tmp_path, store, redis_url, prefix
):
    log = tmp_path / "auth.csv"
    log.write_text(HEADER + lines(50))
    source = source_for(tmp_path, redis_url, prefix, "auth.csv*")
    assert source.ingest(store, NOW)["rows"] == 50
    append(log, lines(5, 1))  # written just before the rename
    os.rename(log, tmp_path / "auth.csv.1")
    log.write_text(HEADER + lines(50, 2))
    assert source.ingest(store, NOW)["rows"] == 55
    assert total(store) == 105
    assert source.ingest(store, NOW)["rows"] == 0 and total(store) == 105


def test_copytruncate_restarts_at_zero_without_rereading_the_copy(
    tmp_path, store, redis_url, prefix
):
    log = tmp_path / "auth.csv"
    log.write_text(HEADER + lines(50))
    source = source_for(tmp_path, redis_url, prefix, "auth.csv*")
    source.ingest(store, NOW)
    append(log, lines(3, 1))
    shutil.copy(log, tmp_path / "auth.csv.1")
    log.write_text("")
    assert source.ingest(store, NOW)["rows"] == 3
    log.write_text(HEADER + lines(45, 2))
    assert source.ingest(store, NOW)["rows"] == 45
    assert total(store) == 98


def test_delaycompress_then_compress_is_not_read_again(tmp_path, store, redis_url, prefix):
    log = tmp_path / "auth.csv"
    log.write_text(HEADER + lines(60))
    source = source_for(tmp_path, redis_url, prefix, "auth.csv*")
    source.ingest(store, NOW)
    os.rename(log, tmp_path / "auth.csv.1")
    log.write_text(HEADER + lines(41, 1))
    assert source.ingest(store, NOW)["rows"] == 41
    with (
        open(tmp_path / "auth.csv.1", "rb") as raw,
        gzip.open(tmp_path / "auth.csv.2.gz", "wb") as out,
    ):
        shutil.copyfileobj(raw, out)
    os.remove(tmp_path / "auth.csv.1")
    os.rename(log, tmp_path / "auth.csv.1")
    log.write_text(HEADER + lines(42, 2))
    assert source.ingest(store, NOW)["rows"] == 42
    assert total(store) == 143


def test_same_bytes_delivered_again_under_a_new_inode_count_once(
    tmp_path, store, redis_url, prefix
):
    log = tmp_path / "a.csv"
    log.write_text(HEADER + lines(50))
    source = source_for(tmp_path, redis_url, prefix, "*.csv")
    source.ingest(store, NOW)
    for _ in range(3):  # cp + mv, as an editor's save or a re-delivery does
        shutil.copy(log, tmp_path / "tmp")
        os.replace(tmp_path / "tmp", log)
        assert source.ingest(store, NOW)["rows"] == 0
    assert total(store) == 50


def test_rsync_of_a_grown_file_reads_only_the_growth(tmp_path, store, redis_url, prefix):
    origin = tmp_path / "origin"
    origin.mkdir()
    (tmp_path / "in").mkdir()
    source = source_for(tmp_path, redis_url, prefix, "in/*.csv")
    (origin / "a.csv").write_text(HEADER + lines(50))
    written = 50
    for step in range(1, 4):
        shutil.copy(origin / "a.csv", tmp_path / "in" / ".a.csv.tmp")
        os.replace(tmp_path / "in" / ".a.csv.tmp", tmp_path / "in" / "a.csv")
        source.ingest(store, NOW)
        assert total(store) == written
        append(origin / "a.csv", lines(7, step))
        written += 7


def test_a_gzip_read_while_truncated_then_complete_counts_once(tmp_path, store, redis_url, prefix):
    whole = gzip.compress((HEADER + lines(300)).encode())
    path = tmp_path / "old.csv.gz"
    path.write_bytes(whole[: len(whole) // 2])
    source = source_for(tmp_path, redis_url, prefix, "*.csv*")
    first = source.ingest(store, NOW)["rows"]
    assert 40 < first < 300
    path.write_bytes(whole)
    assert source.ingest(store, NOW)["rows"] == 300 - first
    assert total(store) == 300
    assert source.ingest(store, NOW)["rows"] == 0


def test_a_gzip_of_a_file_read_under_its_plain_name_is_skipped(tmp_path, store, redis_url, prefix):
    (tmp_path / "a.csv").write_text(HEADER + lines(60))
    source = source_for(tmp_path, redis_url, prefix, "a.csv*")
    source.ingest(store, NOW)
    (tmp_path / "a.csv.1.gz").write_bytes(gzip.compress((HEADER + lines(60)).encode()))
    assert source.ingest(store, NOW)["rows"] == 0
    assert total(store) == 60


def test_a_file_rewritten_with_a_different_start_is_read_as_new(tmp_path, store, redis_url, prefix):
    log = tmp_path / "a.csv"
    log.write_text(HEADER + lines(50))
    source = source_for(tmp_path, redis_url, prefix, "*.csv")
    source.ingest(store, NOW)
    log.write_text(HEADER + lines(50, 3))
    assert source.ingest(store, NOW)["rows"] == 50
    assert total(store) == 100


def test_a_finished_files_last_line_counts_without_a_newline(tmp_path, store, redis_url, prefix):
    log = tmp_path / "a.csv"
    log.write_text(HEADER + lines(50) + "2026-11-23T10:09:00Z,failed_login,last")
    source = source_for(tmp_path, redis_url, prefix, "*.csv")
    assert source.ingest(store, NOW)["rows"] == 50  # still being written: it waits
    old = log.stat().st_mtime - 60 - 1
    os.utime(log, (old, old))
    assert source.ingest(store, NOW)["rows"] == 1
    assert source.ingest(store, NOW)["rows"] == 0
    assert total(store) == 51


def test_a_glob_that_matches_nothing_is_blind_naming_it(tmp_path, store, redis_url, prefix):
    stats = source_for(tmp_path, redis_url, prefix, "moved/*.csv").ingest(store, NOW)
    assert stats["files"] == 0 and not stats["warnings"]
    assert stats["blind"] == f"no file matches {tmp_path / 'moved/*.csv'}"


def test_a_bad_file_between_two_good_ones_is_named_and_the_others_are_read(
    tmp_path, store, redis_url, prefix
):
    (tmp_path / "a.csv").write_text(HEADER + lines(3))
    (tmp_path / "b.csv").write_text("when,kind,host\n2026-11-23T10:00:00Z,failed_login,h\n")
    (tmp_path / "c.csv").write_text(HEADER + lines(4, 1))
    stats = source_for(tmp_path, redis_url, prefix, "*.csv").ingest(store, NOW)
    assert stats["files"] == 3 and stats["rows"] == 7
    assert len(stats["warnings"]) == 1 and "b.csv" in stats["warnings"][0]
    assert total(store) == 7


def test_content_known_under_two_names_continues_from_the_furthest(
    tmp_path, store, redis_url, prefix
):
    log = tmp_path / "auth.csv"
    log.write_text(HEADER + lines(50))
    source = source_for(tmp_path, redis_url, prefix, "auth.csv*")
    source.ingest(store, NOW)
    append(log, lines(6, 1))
    os.rename(log, tmp_path / "auth.csv.1")  # no new file yet: auth.csv keeps its old offset
    assert source.ingest(store, NOW)["rows"] == 6
    (tmp_path / "auth.csv.2.gz").write_bytes(gzip.compress((tmp_path / "auth.csv.1").read_bytes()))
    os.remove(tmp_path / "auth.csv.1")
    assert source.ingest(store, NOW)["rows"] == 0
    assert total(store) == 56
