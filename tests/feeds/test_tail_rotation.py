"""Rotation at the exact moment of a read: logrotate's rename (and a new file under the name)
put between the moment `follow` looks at a file and the moment it reads it, by a hook on the
function it calls there (no sleeps, no threads); every line is then counted once, none lost,
checked against the lines written."""

import os
from collections import Counter

import pytest

from socwall.feeds import follow, tail
from tests.feeds.test_tail_edges import config, no_header


class Lines:
    """A stage that keeps every complete line it is given, to compare with the lines written."""

    def __init__(self):
        self.seen: Counter = Counter()

    def __call__(self, read, batch, stats: dict) -> int:
        lines = read.data.splitlines()
        self.seen.update(lines)
        stats["rows"] += len(lines)
        return 0


def write(path, lines: list[bytes], mode: str = "ab") -> None:
    with open(path, mode) as handle:
        handle.writelines(line + b"\n" for line in lines)


def lines(name: str, first: int, last: int) -> list[bytes]:
    return [f"{name} line {n:05d} of a log".encode() for n in range(first, last)]


def rotating_at(log, target, written: list):
    """`target` wrapped: its first call for `log` is preceded by logrotate's rename of `log` to
    `log.1`, a line more written to `log.1` (the writer still has it open) and a new `log`."""

    def hooked(*args, **kwargs):
        if args[0] == str(log) and not written:
            os.rename(log, f"{log}.1")
            written.extend(lines("old", 900, 901) + lines("new", 0, 3))
            write(f"{log}.1", written[:1])
            write(log, written[1:], "wb")
        return target(*args, **kwargs)

    return hooked


@pytest.mark.parametrize("old_lines", [3, 200])  # shorter and longer than the identity's 1 KiB
@pytest.mark.parametrize("moment", ["compression", "_match"])  # after the stat; after the open
def test_a_rotation_between_looking_at_a_file_and_reading_it_loses_and_repeats_nothing(
    tmp_path, store, redis_url, prefix, monkeypatch, old_lines, moment
):
    """`compression` is called after the file's stat and before it is opened; `_match` after
    it is opened and its first bytes read, before its new bytes are read."""
    log = tmp_path / "auth.log"
    write(log, lines("old", 0, old_lines))
    cfg, stage = config(redis_url, prefix, log), Lines()
    tail.read_files(store, "auth", cfg, no_header, stage, tail.new_stats())
    write(log, lines("old", old_lines, old_lines + 2))  # not read yet when the rotation comes
    written: list = []
    monkeypatch.setattr(follow, moment, rotating_at(log, getattr(follow, moment), written))
    tail.read_files(store, "auth", cfg, no_header, stage, tail.new_stats())
    monkeypatch.undo()
    write(log, lines("new", 3, 5))
    for _ in range(3):  # the third finds nothing more
        tail.read_files(store, "auth", cfg, no_header, stage, tail.new_stats())
    expected = lines("old", 0, old_lines + 2) + written + lines("new", 3, 5)
    assert len(written) == 4 and stage.seen == Counter(expected)
