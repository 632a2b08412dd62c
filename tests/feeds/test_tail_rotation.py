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


def rotating_at(log, target, written: list, create: bool = True):
    """`target` wrapped: its first call for `log` is followed (`_largest_first`, which sorts
    the glob's names) or preceded (the others) by logrotate's rename of `log` to `log.1`, a
    line more written to `log.1` (the writer still has it open) and, if `create`, a new `log`."""

    def rotate() -> None:
        os.rename(log, f"{log}.1")
        written.extend(lines("old", 900, 901) + (lines("new", 0, 3) if create else []))
        write(f"{log}.1", written[:1])
        if create:
            write(log, written[1:], "wb")

    def hooked(first, *args, **kwargs):
        ours, after = str(log) in first and not written, target is follow._largest_first
        if ours and not after:
            rotate()
        result = target(first, *args, **kwargs)
        if ours and after:
            rotate()
        return result

    return hooked


MOMENTS = {  # the function called at the moment, and whether the new file exists by then
    "between the glob and the stat": ("_largest_first", True),
    "the name missing at the stat": ("_largest_first", False),
    "between the stat and the open": ("compression", True),
    "between the open and the read": ("_match", True),
}


@pytest.mark.parametrize("old_lines", [3, 200])  # shorter and longer than the identity's 1 KiB
@pytest.mark.parametrize("moment", MOMENTS)
def test_a_rotation_while_a_file_is_read_loses_and_repeats_nothing(
    tmp_path, store, redis_url, prefix, monkeypatch, old_lines, moment
):
    """The round the rotation comes in names no error; the lines of both files are each
    counted once, in that round and the next ones (the new file grows, then nothing is new)."""
    log = tmp_path / "auth.log"
    write(log, lines("old", 0, old_lines))
    cfg, stage = config(redis_url, prefix, log), Lines()
    tail.read_files(store, "auth", cfg, no_header, stage, tail.new_stats())
    write(log, lines("old", old_lines, old_lines + 2))  # not read yet when the rotation comes
    written: list = []
    name, create = MOMENTS[moment]
    monkeypatch.setattr(follow, name, rotating_at(log, getattr(follow, name), written, create))
    stats = tail.read_files(store, "auth", cfg, no_header, stage, tail.new_stats())
    monkeypatch.undo()
    assert stats["warnings"] == [] and len(written) == (4 if create else 1)
    write(log, lines("new", 3, 5), "ab" if create else "wb")
    for _ in range(3):  # the third finds nothing more
        tail.read_files(store, "auth", cfg, no_header, stage, tail.new_stats())
    new = lines("new", 0, 5) if create else lines("new", 3, 5)
    expected = lines("old", 0, old_lines + 2) + lines("old", 900, 901) + new
    assert stage.seen == Counter(expected)
