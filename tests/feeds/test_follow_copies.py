"""Two files with the same first bytes, different after: the second is another file, read whole,
wherever they start to differ (before, between or past the identity's checkpoints at 4, 16 and
64 KiB) and whether it comes in the same round as the first or a later one. Counted against
the lines written, by a stage that keeps every line."""

from collections import Counter

import pytest

from socwall.feeds import tail
from tests.feeds.test_tail_edges import config, no_header
from tests.feeds.test_tail_rotation import Lines, write

KIB_LINES = 16  # lines of 64 bytes: 16 a KiB


def lines(name: str, kib: int, start: int = 0) -> list[bytes]:
    """`kib` KiB of numbered 64-byte lines."""
    return [f"{name} {n:08d} ".encode().ljust(63, b".") for n in range(start, start + kib * 16)]


@pytest.mark.parametrize("same_round", [True, False])
@pytest.mark.parametrize(
    ("shared", "first", "second"),  # KiB: shared by both, the first file's size, the second's
    [(3, 8, 10), (10, 20, 30), (20, 40, 50), (70, 100, 120), (70, 100, 90), (200, 300, 400)],
)
def test_a_file_that_differs_after_the_same_first_bytes_is_read_whole(
    tmp_path, store, redis_url, prefix, shared, first, second, same_round
):
    one = lines("a", shared) + lines("a", first - shared, start=shared * KIB_LINES)
    two = lines("a", shared) + lines("b", second - shared, start=shared * KIB_LINES)
    cfg, stage = config(redis_url, prefix, tmp_path / "*.log"), Lines()
    write(tmp_path / "one.log", one)
    if not same_round:
        tail.read_files(store, "auth", cfg, no_header, stage, tail.new_stats())
    write(tmp_path / "two.log", two)
    for _ in range(2):  # the second round finds nothing new
        stats = tail.read_files(store, "auth", cfg, no_header, stage, tail.new_stats())
    assert stage.seen == Counter(one + two)
    assert stats["warnings"] == []


@pytest.mark.parametrize("kib", [10, 100])  # within and past the identity's 64 KiB
def test_copytruncate_past_the_checkpoints_reads_the_copy_from_where_it_was(
    tmp_path, store, redis_url, prefix, kib
):
    """The copy has the same bytes before the state's offset: it continues the state (only its
    unread tail is read); the emptied file starts again with new lines."""
    log, cfg, stage = tmp_path / "a.log", config(redis_url, prefix, tmp_path / "*.log"), Lines()
    read, unread = lines("a", kib), lines("a", 2, start=kib * KIB_LINES)
    write(log, read)
    tail.read_files(store, "auth", cfg, no_header, stage, tail.new_stats())
    write(log, unread)
    (tmp_path / "a.1.log").write_bytes(log.read_bytes())
    write(log, lines("c", 1), "wb")
    for _ in range(2):
        stats = tail.read_files(store, "auth", cfg, no_header, stage, tail.new_stats())
    assert stage.seen == Counter(read + unread + lines("c", 1))
    assert stats["warnings"] == []
