"""feeds/tail.py's time boundaries, with `read_files`' clock fixed: a state put exactly at the
hourly "still seen" mark, the retention and the day in which renamed files are searched, and one
second either side; the search's order; a copy of content that failed in the same round."""

import os
import time
from dataclasses import replace

import pytest

from socwall.feeds import follow, tail
from tests.feeds.test_tail_edges import Stage, config, known, no_header, rotate_and_append

WALL = float(int(time.time()))  # a whole second: wall - seen_at is exact


def read_at(store, cfg, wall: float = WALL, stage=None) -> dict:
    return tail.read_files(store, "auth", cfg, no_header, stage or Stage(), tail.new_stats(),
                           clock=lambda: wall)  # fmt: skip


def seen_at(store, state, when: float) -> None:
    store.touch_file_states("auth", [replace(state, seen_at=when)])


@pytest.mark.parametrize(("age", "touched"), [(3599, False), (3600, False), (3601, True),
                                              (-10, False)])  # fmt: skip
def test_an_unchanged_file_is_marked_seen_only_past_the_hour(
    tmp_path, store, redis_url, prefix, age, touched
):
    """-10: seen "in the future" (the clock stepped back): not marked until an hour after it."""
    log = tmp_path / "a.log"
    log.write_text("ok\n")
    cfg = config(redis_url, prefix, log)
    read_at(store, cfg)
    (state,) = store.file_states("auth").values()
    seen_at(store, state, WALL - age)
    read_at(store, cfg)
    assert store.file_states("auth")[state.id].seen_at == (WALL if touched else WALL - age)


@pytest.mark.parametrize(("age", "kept"), [(3599, True), (3600, True), (3601, False)])
def test_a_gone_state_is_forgotten_only_past_the_retention(
    tmp_path, store, redis_url, prefix, age, kept
):
    (tmp_path / "a.log").write_text("ok\n")
    known(store, tmp_path / "gone.log", WALL - age)
    read_at(store, config(redis_url, prefix, tmp_path / "a.log", retention="1h"))
    paths = {s.path for s in store.file_states("auth").values()}
    assert (str(tmp_path / "gone.log") in paths) is kept


@pytest.mark.parametrize(("age", "rows"), [(86399, 2), (86400, 0), (86401, 0)])
def test_renamed_files_are_searched_for_states_seen_within_the_day(
    tmp_path, store, redis_url, prefix, age, rows
):
    log = tmp_path / "auth.log"
    log.write_text("ok\n")
    cfg = config(redis_url, prefix, log, retention="7d")
    read_at(store, cfg, WALL - age)
    rotate_and_append(log)  # its two new lines are only found by the search
    stats = read_at(store, cfg)
    assert stats["rows"] == rows


@pytest.mark.parametrize("gone_first", [True, False])
def test_a_vanished_folder_stops_the_search_in_no_other(tmp_path, gone_first):
    """The states in either order (the store's order is its hash order): the renamed file in
    the folder that is still there is found."""
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "auth.log.1").write_text("ok\n")
    info = os.stat(logs / "auth.log.1")
    here = follow.FileState("here", str(logs / "auth.log"), 3, "h", 3,
                            signature=(info.st_dev, info.st_ino, 3, 0.0), seen_at=WALL)  # fmt: skip
    gone = follow.FileState("gone", str(tmp_path / "gone" / "x.log"), 3, "h", 3,
                            signature=(1, 1, 3, 0.0), seen_at=WALL)  # fmt: skip
    order = [gone, here] if gone_first else [here, gone]
    states = {state.id: state for state in order}
    assert tail._renamed_away(states, set(), WALL) == [str(logs / "auth.log.1")]


def test_a_copy_of_content_that_failed_in_the_same_round_is_not_readable(
    tmp_path, store, redis_url, prefix
):
    """b.log is skipped as a second name of a.log's content, whose read failed: nothing could
    be read, so the source fails (as it does next round, when b.log is read and fails too)."""
    for name in ("a.log", "b.log"):
        (tmp_path / name).write_text("boom\n" * 300)  # past the identity's 1 KiB: a copy
    cfg = config(redis_url, prefix, tmp_path / "*.log")
    with pytest.raises(follow.FileError, match=r"^a\.log: "):
        read_at(store, cfg)
    with pytest.raises(follow.FileError, match=r"^a\.log: .*; b\.log: "):
        read_at(store, cfg)


def test_a_copy_of_content_read_in_the_same_round_is_a_warning(tmp_path, store, redis_url, prefix):
    for name in ("a.log", "b.log"):
        (tmp_path / name).write_text("ok\n" * 400)
    stats = read_at(store, config(redis_url, prefix, tmp_path / "*.log"))
    assert stats["rows"] == 400
    assert stats["warnings"] == ["b.log has the same content as a.log: skipped"]
