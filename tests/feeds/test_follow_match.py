"""follow._match where the mutation run found survivors: a different file shorter than a known
one is a new file (not a truncation of it), and a path-keyed position from before fingerprints
is adopted only by the same path with the same inode; inodes, hashes and ranks compared for
equality (each way round) and ties between known states."""

import os
from dataclasses import replace

from socwall.feeds import follow
from socwall.feeds.file_identity import FINGERPRINT_BYTES
from tests.feeds.test_follow_edges import numbered, round_of


def test_a_different_file_shorter_than_a_known_one_is_new_not_truncated(tmp_path):
    """Its first 1024 bytes differ: no match, whatever the longer prefixes cannot check."""
    (tmp_path / "a.log").write_text(numbered(0, 40))  # 2400 bytes
    states: dict = {}
    round_of(tmp_path / "a.log", states)
    (tmp_path / "b.log").write_text(numbered(500, 25))  # 1500 bytes, another start
    (read,) = round_of(tmp_path / "b.log", states)
    assert (read.before, read.note, read.data) == (None, None, numbered(500, 25).encode())


def legacy(path, offset: int, inode: int) -> follow.FileState:
    text = f'{{"offset": {offset}, "size": {offset}, "inode": {inode}, "tail": ""}}'
    return follow.FileState.from_json(str(path), text)


def test_a_legacy_position_is_adopted_by_its_path_and_inode_only(tmp_path):
    log = tmp_path / "auth.log"
    log.write_text(numbered(0, 3))
    first = len(numbered(0, 1))
    inode = log.stat().st_ino
    same = {str(log): legacy(log, first, inode)}
    (read,) = round_of(tmp_path / "auth.log*", same)  # a name found by the glob: an equal string
    assert read.data == numbered(1, 2).encode() and read.before is not None
    other_inode = {str(log): legacy(log, first, inode + 1)}  # the file was replaced since
    (read,) = round_of(log, other_inode)
    assert read.data == numbered(0, 3).encode() and read.before is None


def test_a_legacy_position_is_not_adopted_under_another_name(tmp_path):
    """Keyed by its path: a name sorting before or after it is another file to it."""
    for name in ("auth.log.1", "auth.lo"):
        log = tmp_path / name
        log.write_text(numbered(0, 3))
        states = {str(tmp_path / "auth.log"): legacy(tmp_path / "auth.log", 10, log.stat().st_ino)}
        (read,) = round_of(log, states)
        assert read.data == numbered(0, 3).encode() and read.before is None, name
        log.unlink()


def test_a_short_file_touched_without_new_content_is_not_read_again(tmp_path):
    """Its whole content is its identity: the same length again matches (inode and all)."""
    log = tmp_path / "a.log"
    log.write_text("tiny\n")
    states: dict = {}
    round_of(log, states)
    stat = log.stat()
    os.utime(log, (stat.st_atime + 5, stat.st_mtime + 5))  # touched: the fast skip misses it
    (read,) = round_of(log, states)
    assert read.data is None and read.before is not None


def test_of_two_known_states_the_one_verified_furthest_is_continued(tmp_path):
    """A file whose start two states share (a short one and a longer one): the longer verified
    prefix wins, whichever state is met first, so reading continues after the longer one."""
    content = numbered(0, 50)
    short, long = {}, {}
    for folder, states, lines in (("s", short, 18), ("l", long, 40)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.log").write_text(numbered(0, lines))
        round_of(tmp_path / folder / "x.log", states)
    (tmp_path / "z.log").write_text(content)
    for states in ({**short, **long}, {**long, **short}):
        (read,) = round_of(tmp_path / "z.log", dict(states))
        assert read.data == numbered(40, 10).encode() and read.before == next(iter(long.values()))


def rewrite_in_place(path, text: str) -> None:
    with open(path, "r+") as handle:  # the same inode, other first bytes
        handle.write(text)


def test_only_the_same_name_and_inode_with_another_start_is_said_rewritten(tmp_path):
    log = tmp_path / "b.log"
    log.write_text(numbered(0, 30))
    states: dict = {}
    round_of(log, states)
    rewrite_in_place(log, numbered(100, 30))
    (read,) = round_of(log, dict(states))
    assert read.note == "b.log was rewritten: read again as a new file"
    for name in ("a.log", "c.log"):  # renamed, then rewritten: a new file, nothing to say
        os.rename(log, tmp_path / name)
        rewrite_in_place(tmp_path / name, numbered(200, 30))
        (read,) = round_of(tmp_path / name, dict(states))
        assert read.note is None and read.before is None, name
        os.rename(tmp_path / name, log)
    replaced = tmp_path / "new.tmp"
    replaced.write_text(numbered(300, 30))
    os.replace(replaced, log)  # the same name, another inode: a new file
    (read,) = round_of(log, dict(states))
    assert read.note is None and read.before is None


def test_another_start_is_a_new_file_whichever_way_its_hash_compares(tmp_path):
    """The identity is compared for equality: a file whose first 1024 bytes hash above the known
    file's and one whose hash is below are both new files (neither has a check that could tell:
    both are shorter than the known file's only check, its whole length)."""
    known = numbered(0, 40)  # 2400 bytes: one check, at 2400
    states: dict = {}
    (tmp_path / "a.log").write_text(known)
    round_of(tmp_path / "a.log", states)
    (state,) = states.values()
    candidates = {}
    for first in range(500, 600):  # 1500 bytes each: the first of each side of the known hash
        text = numbered(first, 25)
        above = follow.fingerprint(text[:FINGERPRINT_BYTES].encode()) > state.head_hash
        candidates.setdefault(above, text)
    assert set(candidates) == {True, False}
    for above, text in candidates.items():
        (tmp_path / "b.log").write_text(text)
        (read,) = round_of(tmp_path / "b.log", dict(states))
        assert (read.before, read.note, read.data) == (None, None, text.encode()), above


def test_a_short_copy_is_new_whichever_inode_is_higher(tmp_path):
    """Two short files with the same bytes: each is known by its own inode, whether the known
    one's inode is above or below the other's (both orders are tried, so one of them has it
    above whatever order the file system hands inodes out in)."""
    first, second = tmp_path / "a.log", tmp_path / "b.log"
    for path in (first, second):
        path.write_text("tiny\n")
    assert first.stat().st_ino != second.stat().st_ino
    for known, other in ((first, second), (second, first)):
        states: dict = {}
        round_of(known, states)
        (read,) = round_of(other, states)
        assert (read.before, read.data) == (None, b"tiny\n"), known.name


def test_a_legacy_position_with_a_lower_inode_is_not_adopted(tmp_path):
    """The inode is compared for equality: one below the file's is another file too (the test
    above has one above)."""
    log = tmp_path / "auth.log"
    log.write_text(numbered(0, 3))
    states = {str(log): legacy(log, len(numbered(0, 1)), log.stat().st_ino - 1)}
    (read,) = round_of(log, states)
    assert read.data == numbered(0, 3).encode() and read.before is None


def test_the_rewritten_note_needs_the_very_same_inode(tmp_path):
    """The same name with another start: said rewritten only when the known state has the same
    inode, not one above or below it (the states are given that inode directly)."""
    log = tmp_path / "b.log"
    log.write_text(numbered(0, 30))
    states: dict = {}
    round_of(log, states)
    rewrite_in_place(log, numbered(100, 30))
    (state,) = states.values()
    dev, ino, *rest = state.signature
    for other in (ino - 1, ino + 1):
        moved = {state.id: replace(state, signature=(dev, other, *rest))}
        (read,) = round_of(log, moved)
        assert (read.note, read.before) == (None, None), other
    (read,) = round_of(log, {state.id: state})  # the very same inode: said
    assert read.note == "b.log was rewritten: read again as a new file"


def test_a_file_both_known_files_could_be_continues_the_one_known_first(tmp_path):
    """A tie, reachable: a.log and b.log share their first 4200 bytes, end in an unfinished line
    (so their offsets, 4200 and 4260, stop short of their lengths, 5000 and 5100) and differ
    before 5000, so b.log is a file of its own; z.log (4500 bytes) agrees with both as far as
    either can check (the 4 KiB checkpoint: their whole lengths are beyond it). Equal ranks: the
    state met first in the states' order (learned first) is continued, not the last."""
    shared = numbered(0, 70)
    texts = {"a.log": shared + "P" * 800, "b.log": shared + numbered(900, 1) + "Q" * 840}
    states: dict = {}
    for name, text in texts.items():
        (tmp_path / name).write_text(text)
        (read,) = round_of(tmp_path / name, states)
        assert read.before is None, name  # b.log is not a.log
    (tmp_path / "z.log").write_text(shared + numbered(900, 5))
    (read,) = round_of(tmp_path / "z.log", dict(states))
    assert read.before.first_path == str(tmp_path / "a.log")
    assert read.data == numbered(900, 5).encode()  # after a.log's 4200 bytes
    reordered = dict(reversed(states.items()))  # b.log's state met first: it is continued
    (read,) = round_of(tmp_path / "z.log", reordered)
    assert read.before.first_path == str(tmp_path / "b.log")
    assert read.data == numbered(901, 4).encode()  # after b.log's 4260
