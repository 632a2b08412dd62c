"""follow._match where the mutation run found survivors: a different file shorter than a known
one is a new file (not a truncation of it), and a path-keyed position from before fingerprints
is adopted only by the same path with the same inode."""

import os

from socwall.feeds import follow
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
