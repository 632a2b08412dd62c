"""feeds/tail.py's counting, where the mutation run found survivors: `read_files` called
directly on real files and a real Redis, with a stage that counts `ok` lines as rows and any
other line as unreadable; each figure is checked against a plain count of the bytes written."""

import os
import time
from dataclasses import replace

import pytest

from socwall.dashboard.config import parse_config
from socwall.feeds import follow, tail
from socwall.file_commit import Batch
from tests.feeds.test_follow import KEV, PAGE


def config(redis_url, prefix, pattern, **extra):
    raw = {"store": {"url": redis_url, "prefix": prefix},
           "sources": {"auth": {"type": "auth", "path": str(pattern), **extra}, "kev": KEV},
           "pages": [PAGE]}  # fmt: skip
    return parse_config(raw).sources["auth"]


class Stage:
    """Counts `ok` lines as rows, other lines as unreadable; `wait` leaves a pending carry."""

    def __init__(self):
        self.calls: list[bytes] = []

    def __call__(self, read, batch: Batch, stats: dict) -> int:
        self.calls.append(read.data)
        lines = read.data.splitlines()
        stats["rows"] += sum(line == b"ok" for line in lines)
        if b"wait" in lines:
            batch.carry = {"pending": ["wait"]}
        if b"boom" in lines:
            raise ValueError(f"{read.path} cannot be parsed")
        return sum(line not in (b"ok", b"wait") for line in lines)


def no_header(path, head):
    return lambda handle: b""


def read_round(store, cfg, stage=None):
    return tail.read_files(store, "auth", cfg, no_header, stage or Stage(), tail.new_stats())


def plain_count(texts: dict) -> tuple[int, int]:
    """(rows, unreadable) of complete lines, by a plain loop."""
    rows = bad = 0
    for text in texts.values():
        for line in text.split("\n")[:-1]:
            rows, bad = rows + (line == "ok"), bad + (line not in ("ok", "wait"))
    return rows, bad


def test_files_rows_unreadable_rows_per_file_and_bytes(tmp_path, store, redis_url, prefix):
    texts = {"a.log": "ok\nok\nbad\n", "b.log": "ok\n"}
    for name, text in texts.items():
        (tmp_path / name).write_text(text)
    cfg = config(redis_url, prefix, tmp_path / "*.log")
    stats = read_round(store, cfg)
    assert (stats["rows"], stats["bad_rows"]) == plain_count(texts) == (3, 1)
    assert stats["files"] == 2 and stats["bytes"] == sum(map(len, texts.values()))
    assert stats["file_rows"] == {str(tmp_path / "a.log"): 3, str(tmp_path / "b.log"): 1}
    with open(tmp_path / "a.log", "a") as handle:
        handle.write("ok\n")
    stats = read_round(store, cfg)  # b.log unchanged: seen, not committed again
    assert (stats["rows"], stats["bad_rows"], stats["files"], stats["bytes"]) == (1, 0, 2, 3)
    assert stats["file_rows"] == {str(tmp_path / "a.log"): 1}


def test_a_new_file_of_half_a_line_is_known_and_counts_no_bytes(tmp_path, store, redis_url, prefix):
    (tmp_path / "a.log").write_text("hal")  # written just now: not quiet, the line may go on
    stats = read_round(store, config(redis_url, prefix, tmp_path / "a.log"))
    assert (stats["rows"], stats["bytes"], stats["files"]) == (0, 0, 1)
    assert stats["file_rows"] == {str(tmp_path / "a.log"): 0}
    (state,) = store.file_states("auth").values()
    assert state.offset == 0 and state.path == str(tmp_path / "a.log")


def test_a_pending_carry_is_kept_and_settled_when_quiet(tmp_path, store, redis_url, prefix):
    log = tmp_path / "a.log"
    log.write_text("ok\nwait\n")
    cfg, stage = config(redis_url, prefix, log), Stage()
    read_round(store, cfg, stage)
    (state,) = store.file_states("auth").values()
    assert state.carry == {"pending": ["wait"]} and stage.calls == [b"ok\nwait\n"]
    read_round(store, cfg, stage)  # unchanged, not quiet: nothing to parse
    assert stage.calls == [b"ok\nwait\n"]
    old = time.time() - 3600
    os.utime(log, (old, old))  # quiet now: the stage is called once, with no bytes, to settle
    read_round(store, cfg, stage)
    assert stage.calls == [b"ok\nwait\n", b""]


def test_only_unreadable_lines_are_blind_in_words(tmp_path, store, redis_url, prefix):
    (tmp_path / "a.log").write_text("bad\nworse\n")
    stats = read_round(store, config(redis_url, prefix, tmp_path / "a.log"))
    assert stats["blind"] == "none of the 2 rows read could be read" and stats["blind_sticky"]
    (tmp_path / "b.log").write_text("bad\nok\n")
    stats = read_round(store, config(redis_url, prefix, tmp_path / "b.log"))
    assert "blind" not in stats


def known(store, path, seen_at: float, signature=(0, 0, 0, 0.0)) -> follow.FileState:
    state = follow.FileState(f"id-{os.path.basename(path)}", str(path), 3, "h", 3,
                             signature=signature, first_path=str(path),
                             seen_at=seen_at)  # fmt: skip
    store.commit_file("auth", None, state, Batch())
    return state


def test_a_state_unseen_longer_than_the_retention_is_forgotten(tmp_path, store, redis_url, prefix):
    (tmp_path / "a.log").write_text("ok\n")
    now = time.time()
    known(store, tmp_path / "old.log", now - 3700)
    known(store, tmp_path / "young.log", now - 3500)
    read_round(store, config(redis_url, prefix, tmp_path / "a.log", retention="1h"))
    paths = {s.path for s in store.file_states("auth").values()}
    assert paths == {str(tmp_path / "a.log"), str(tmp_path / "young.log")}


def rotate_and_append(log) -> None:
    """logrotate's rename to .1, then two more lines written to the renamed file."""
    os.rename(log, f"{log}.1")
    with open(f"{log}.1", "a") as handle:
        handle.write("ok\nok\n")


def test_a_renamed_file_is_found_after_the_clock_stepped_back(tmp_path, store, redis_url, prefix):
    """Its state was seen "in the future" (the clock was stepped back an hour since): still
    within the day in which renamed files are looked for."""
    log = tmp_path / "auth.log"
    log.write_text("ok\n")
    cfg = config(redis_url, prefix, log)
    read_round(store, cfg)
    (state,) = store.file_states("auth").values()
    store.touch_file_states("auth", [replace(state, seen_at=time.time() + 3600)])
    rotate_and_append(log)
    stats = read_round(store, cfg)
    assert stats["rows"] == 2 and stats["file_rows"] == {str(tmp_path / "auth.log.1"): 2}


def test_a_link_is_not_taken_for_a_renamed_file(tmp_path, store, redis_url, prefix):
    """A known file's inode reused by a symbolic link in its folder: the link is not the file
    (the state is given the link's own inode directly)."""
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "t.log").write_text("ok\nok\n")
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "link.log").symlink_to(tmp_path / "elsewhere" / "t.log")
    info = os.lstat(logs / "link.log")
    known(store, logs / "auth.log", time.time(), (info.st_dev, info.st_ino, 3, 0.0))
    stats = read_round(store, config(redis_url, prefix, logs / "auth.log"))
    assert stats["rows"] == 0 and stats.get("file_rows", {}) == {}


def test_a_future_state_is_not_forgotten(tmp_path, store, redis_url, prefix):
    """Seen "in the future" (the clock was stepped back since): not gone for any time yet."""
    (tmp_path / "a.log").write_text("ok\n")
    known(store, tmp_path / "ahead.log", time.time() + 7200)
    read_round(store, config(redis_url, prefix, tmp_path / "a.log", retention="1h"))
    paths = {s.path for s in store.file_states("auth").values()}
    assert paths == {str(tmp_path / "a.log"), str(tmp_path / "ahead.log")}


def test_an_unchanged_file_is_marked_seen_hourly_not_every_round(tmp_path, store, redis_url,
                                                                  prefix):
    log = tmp_path / "a.log"
    log.write_text("ok\n")
    cfg = config(redis_url, prefix, log)
    read_round(store, cfg)
    (first,) = store.file_states("auth").values()
    read_round(store, cfg)  # unchanged, seen moments ago: no write
    assert store.file_states("auth")[first.id].seen_at == first.seen_at
    store.touch_file_states("auth", [replace(first, seen_at=time.time() - tail.TOUCH_EVERY - 60)])
    before = time.time()
    read_round(store, cfg)  # unchanged, last marked over an hour ago: marked now
    assert store.file_states("auth")[first.id].seen_at >= before


def test_a_name_gone_while_its_folder_is_searched_is_passed_over(tmp_path, store, redis_url,
                                                                 prefix, monkeypatch):
    """The folder is listed, then a file in it is deleted before it is looked at (arranged: the
    real listing is taken, then the file removed, before the search sees it): the search goes
    on to the renamed file after it."""
    log = tmp_path / "auth.log"
    log.write_text("ok\n")
    cfg = config(redis_url, prefix, log)
    read_round(store, cfg)
    rotate_and_append(log)
    (tmp_path / "gone.tmp").write_text("x")
    listing = os.scandir

    def listed_then_deleted(folder):
        entries = sorted(listing(folder), key=lambda e: e.name != "gone.tmp")  # it comes first
        os.unlink(tmp_path / "gone.tmp")
        return iter(entries)

    monkeypatch.setattr(tail.os, "scandir", listed_then_deleted)
    stats = read_round(store, cfg)
    assert stats["rows"] == 2 and stats["file_rows"] == {str(tmp_path / "auth.log.1"): 2}


def test_the_first_failure_is_named_when_nothing_could_be_used(tmp_path, store, redis_url, prefix):
    for name, text in (("a.log", "bad\n"), ("b.log", "boom\n"), ("c.log", "boom\n")):
        (tmp_path / name).write_text(text)
    stats = read_round(store, config(redis_url, prefix, tmp_path / "*.log"))
    first = f"b.log: {tmp_path / 'b.log'} cannot be parsed"
    assert stats["warnings"][:2] == [first, f"c.log: {tmp_path / 'c.log'} cannot be parsed"]
    assert stats["blind"] == f"none of the 1 rows read could be read ({first})"


def test_a_failing_file_beside_a_readable_one_is_a_warning(tmp_path, store, redis_url, prefix):
    """Beside a file read now, and beside an unchanged one: only when no file could be read
    does the source fail."""
    (tmp_path / "a.log").write_text("ok\n")
    cfg = config(redis_url, prefix, tmp_path / "*.log")
    (tmp_path / "b.log").write_text("boom\n")
    stats = read_round(store, cfg)  # a.log read now
    assert stats["rows"] == 1 and stats["warnings"][0].startswith("b.log: ")
    (tmp_path / "b.log").write_text("boom\nboom\n")  # changed: tried again
    stats = read_round(store, cfg)  # a.log unchanged
    assert stats["rows"] == 0 and stats["warnings"][0].startswith("b.log: ")
    (tmp_path / "a.log").unlink()
    (tmp_path / "b.log").write_text("boom\nboom\nboom\n")
    with pytest.raises(follow.FileError, match="b.log: "):  # nothing readable: the source fails
        read_round(store, cfg)


def test_a_file_renamed_more_than_a_day_after_it_was_seen_is_not_searched(tmp_path, store,
                                                                           redis_url, prefix):
    log = tmp_path / "auth.log"
    log.write_text("ok\n")
    cfg = config(redis_url, prefix, log)
    read_round(store, cfg)
    (state,) = store.file_states("auth").values()
    store.touch_file_states("auth", [replace(state, seen_at=time.time() - 2 * 86400)])
    rotate_and_append(log)
    stats = read_round(store, cfg)
    assert stats["rows"] == 0 and stats.get("file_rows", {}) == {}



def test_a_vanished_folder_in_the_search_is_passed_over(tmp_path, store, redis_url, prefix):
    """A known file's folder is gone: the search for renamed files goes on in the others."""
    (tmp_path / "gone").mkdir()
    known(store, tmp_path / "gone" / "x.log", time.time(), (1, 1, 3, 0.0))
    (tmp_path / "gone").rmdir()
    logs = tmp_path / "logs"
    logs.mkdir()
    log = logs / "auth.log"
    log.write_text("ok\n")
    cfg = config(redis_url, prefix, log)
    read_round(store, cfg)
    rotate_and_append(log)
    stats = read_round(store, cfg)
    assert stats["rows"] == 2 and stats["file_rows"] == {str(logs / "auth.log.1"): 2}


def test_a_touched_file_without_new_lines_has_its_new_signature_stored(tmp_path, store,
                                                                        redis_url, prefix):
    """Nothing new to count, but the state changed (its mtime): it is committed, so the next
    round knows the file unchanged again."""
    log = tmp_path / "a.log"
    log.write_text("ok\n")
    cfg = config(redis_url, prefix, log)
    read_round(store, cfg)
    touched = time.time() - 10  # still not quiet
    os.utime(log, (touched, touched))
    stats = read_round(store, cfg)
    (state,) = store.file_states("auth").values()
    assert stats["rows"] == 0 and state.signature[3] == os.stat(log).st_mtime
