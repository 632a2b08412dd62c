"""The branches of file following that a rotation rarely reaches: copytruncate with the same
first bytes, files shorter than the identity (known by their inode only) and a rotation at the
moment of a read. `follow` is called directly, round after round, with the states it returned:
each test says which line of feeds/follow.py it is there for."""

import os
import time
from pathlib import Path

from socwall.feeds import follow
from socwall.feeds.file_identity import FINGERPRINT_BYTES

HEADER = "#fields\tts\tmsg\n"  # the same first bytes in every generation of the file


def lines_header(path: str, head: bytes):
    """A one-line header, as Zeek's: the reader keeps it in front of every read."""
    return lambda handle: handle.readline()


def no_header(path: str, head: bytes):
    return lambda handle: b""


def round_of(pattern: Path, states: dict, header_for=no_header, now=None) -> list:
    """One round of following: the Reads (Skipped and errors too), states updated in place."""
    out = list(follow.follow(str(pattern), states, header_for, now or time.time()))
    for read in out:
        if isinstance(read, follow.Read):
            states[read.state.id] = read.state
    return out


def data_of(reads: list) -> dict[str, bytes | None]:
    return {Path(r.path).name: r.data for r in reads if isinstance(r, follow.Read)}


def numbered(first: int, count: int, width: int = 60) -> str:
    return "".join(f"{n:08d} " + "x" * (width - 10) + "\n" for n in range(first, first + count))


def test_copytruncate_with_the_same_start_reads_the_new_content_from_the_start(tmp_path):
    """follow._match: `best.offset > stat.st_size` -> read from the start, and say so. The file
    keeps its first bytes (a header longer than the identity), so only the size tells."""
    log = tmp_path / "conn.log"
    first_lines = HEADER + "#" * FINGERPRINT_BYTES + "\n"  # every generation starts so
    log.write_text(first_lines + numbered(0, 40))
    states: dict = {}
    round_of(log, states, lines_header)
    os.truncate(log, 0)  # copytruncate: the copy went elsewhere, the file is emptied in place
    log.write_text(first_lines + numbered(100, 3))  # shorter than what was read
    (read,) = round_of(log, states, lines_header)
    assert read.note == "conn.log was truncated: read from the start"
    assert read.data == (first_lines + numbered(100, 3)).encode()
    assert read.before is None and read.state.offset == log.stat().st_size


def test_truncated_and_refilled_to_the_old_size_is_told_by_its_longer_prefix(tmp_path):
    """The same start and the same size as before: the size cannot tell, the longer prefix
    checked by feeds/file_identity.py does: a new file, read whole, and said so."""
    log = tmp_path / "conn.log"
    first_lines = HEADER + "#" * FINGERPRINT_BYTES + "\n"
    log.write_text(first_lines + numbered(0, 5))
    states: dict = {}
    round_of(log, states, lines_header)
    size = log.stat().st_size
    os.truncate(log, 0)
    log.write_text(first_lines + numbered(200, 5))
    assert log.stat().st_size == size
    (read,) = round_of(log, states, lines_header, now=time.time() + 1)
    assert read.note == "conn.log was rewritten: read again as a new file"
    assert read.data == (first_lines + numbered(200, 5)).encode()


def test_a_short_file_is_known_by_its_inode_not_by_its_first_bytes(tmp_path):
    """follow._match: a state shorter than the identity matches only the same device and inode.
    Another file starting with the same short line is a new file, read whole."""
    (tmp_path / "a.log").write_text("same first line\n")
    states: dict = {}
    round_of(tmp_path / "*.log", states)
    (tmp_path / "b.log").write_text("same first line\nand more\n")  # a new inode
    reads = round_of(tmp_path / "*.log", states)
    assert data_of(reads)["b.log"] == b"same first line\nand more\n"
    assert data_of(reads)["a.log"] is None


def test_a_short_file_that_grows_continues_where_it_was(tmp_path):
    """The other side of the same rule: the same inode continues from its offset."""
    log = tmp_path / "a.log"
    log.write_text("same first line\n")
    states: dict = {}
    round_of(log, states)
    with open(log, "a") as handle:
        handle.write("and more\n")
    (read,) = round_of(log, states)
    assert read.data == b"and more\n" and read.before is not None


def test_a_short_file_copied_elsewhere_is_read_again_under_its_new_inode(tmp_path):
    """A short file and its copy (new inode, same bytes): too short to tell by content, so the
    copy is a new file; a long file's copy is not (test_follow.py). Both sides pinned here."""
    (tmp_path / "a.log").write_text("tiny\n")
    states: dict = {}
    round_of(tmp_path / "*.log", states)
    (tmp_path / "b.log").write_text("tiny\n")
    assert data_of(round_of(tmp_path / "*.log", states))["b.log"] == b"tiny\n"
    long = numbered(0, 40)
    (tmp_path / "c.log").write_text(long)
    round_of(tmp_path / "*.log", states)
    (tmp_path / "d.log").write_text(long)
    reads = round_of(tmp_path / "*.log", states)
    assert "d.log" not in data_of(reads)
    assert [r.note for r in reads if isinstance(r, follow.Skipped)] == [
        "d.log has the same content as c.log: skipped"]


def test_rotation_between_two_reads_gives_the_tail_once_and_the_last_line_whole(tmp_path):
    """Renamed while its last line had no newline yet: the renamed file is finished (rotated
    away), so its unfinished line is read whole once, and the new file from its start."""
    log = tmp_path / "auth.log"
    log.write_text(numbered(0, 30) + "partial")
    states: dict = {}
    (first,) = round_of(tmp_path / "auth.log*", states)
    assert first.data == numbered(0, 30).encode()  # the partial line waits
    os.rename(log, tmp_path / "auth.log.1")
    log.write_text(numbered(500, 2))
    reads = data_of(round_of(tmp_path / "auth.log*", states))
    assert reads == {"auth.log.1": b"partial", "auth.log": numbered(500, 2).encode()}
    assert set(data_of(round_of(tmp_path / "auth.log*", states)).values()) == {None}
