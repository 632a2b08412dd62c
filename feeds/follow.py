"""Following files exactly once: a file is known by its content, not by its path.

As Filebeat's `fingerprint` identity and Vector's checksum do it, a file is recognised by a hash
of its first bytes (up to FINGERPRINT_BYTES of its *content*, decompressed for gzip, bzip2 and
xz, after a header that formats such as .evtx rewrite in place), checked against longer prefixes
so that files sharing their first bytes are told apart (feeds/file_identity.py), with device,
inode, size and mtime as a fast hint. So a renamed, copied, compressed or
re-delivered file continues where it was read to, or is skipped when it was read to the end:

- logrotate `create` (rename + new file): the renamed file keeps its state, its unread tail is
  read once from the new name; the new file is a new state.
- `copytruncate`: the copy matches the old state (nothing new); the emptied file starts again
  with new content, a new state.
- `compress`: the `.gz` decompresses to content that matches the old state: skipped, or only
  its unread tail is read. A truncated `.gz` (still being copied) gives its complete lines and is
  continued when it is whole.
- an in-place rewrite whose first bytes changed is a new file, and says so.
- a second name for content already read in the same round is skipped, and says so.
- a last line without a newline is read once the file has not changed for `eof_after`, or when
  the file was rotated away (it is no longer the name it was first read under).

Parsing is not done here: `follow` yields bytes, the caller parses them and commits the new
state together with what it produced (see Store.commit_file), so a crash between two files
neither loses nor repeats anything.
"""

import errno
import glob
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import BinaryIO

import numpy as np

from socwall.feeds.bounded import Content, Limits, size_words
from socwall.feeds.file_identity import (
    FINGERPRINT_BYTES,
    LEAD_BYTES,
    differs,
    differs_at_end,
    end_check,
    fingerprint,
    identity,
    verified_length,
)

MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz"}
HeaderReader = Callable[[BinaryIO], bytes]


@dataclass(frozen=True)
class FileState:
    """What socwall knows about one file's content, stored under a stable `id`."""

    id: str
    path: str  # the name it was last read under
    head_len: int  # identity: the hash of head_len bytes of content after head_skip
    head_hash: str
    offset: int  # content bytes consumed (decompressed bytes for a compressed file)
    signature: tuple = ()  # (dev, inode, size, mtime) when last seen: unchanged = skip fast
    first_path: str = ""  # the name it was first read under: another name = rotated away
    bad_rows: int = 0  # unreadable rows so far, for the running total
    seen_at: float = 0.0  # wall time it was last matched, for expiry
    done: bool = False  # read to its very end: the same signature again means nothing new
    legacy: bool = False  # a path-keyed position from before fingerprints
    head_skip: int = 0  # header bytes left out of the identity (rewritten in place: .evtx)
    checks: tuple = ()  # ((length, hash), ...): longer prefixes, to tell similar files apart
    carry: dict | None = None  # what the source keeps between reads (a PAM line's pair to come)
    end: tuple = ()  # (length, hash) of the bytes just before offset, of a plain file tailed

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @staticmethod
    def from_json(key: str, text: str) -> "FileState":
        data = json.loads(text)
        if "head_hash" not in data:  # {offset, size, inode, tail} keyed by path: adopt it once
            signature = (0, data["inode"])
            return FileState(key, key, 0, "", data["offset"], signature, key, legacy=True)
        data["signature"] = tuple(data.get("signature") or ())
        data["checks"] = tuple(tuple(check) for check in data.get("checks") or ())
        data["end"] = tuple(data.get("end") or ())
        return FileState(**data)


@dataclass(frozen=True)
class Read:
    """New content of one file: `data` to parse (None: nothing new), `state` to commit."""

    path: str
    before: FileState | None
    state: FileState
    data: bytes | None
    note: str | None = None  # in words, for the source status
    long_lines: int = 0  # lines over max_line_bytes, skipped
    longest: int = 0  # the longest of them, in bytes
    head: bytes = b""  # the first bytes of the content: formats are told apart by it
    tailed: bool = True  # read line by line (False: a whole-file format such as Parquet)
    quiet: bool = False  # unchanged for eof_after, rotated away or compressed: nothing to wait for


@dataclass(frozen=True)
class Skipped:
    """A file not read because its content is another file's, read under that name."""

    path: str
    note: str


class FileError(ValueError):
    """One file could not be read; the message names it and says why. `signature` is the
    file's (device, inode, size, mtime) when it failed: unchanged, it is not read again."""

    def __init__(self, message: str, path: str = "", signature: tuple | None = None):
        super().__init__(message)
        self.path, self.signature = path, signature


def matched_files(pattern: str, loops: list | None = None) -> list[str]:
    """Files matching the glob, oldest name first (names usually carry the date); symlinks
    that loop are added to `loops` as FileErrors (named, not silently left out)."""
    found = []
    for path in glob.glob(pattern, recursive=True):
        if Path(path).is_file():
            found.append(path)
        elif loops is not None and os.path.islink(path) and _loops(path):
            loops.append(FileError(f"{Path(path).name}: a symlink loop, skipped", path))
    return sorted(found)


def _loops(path: str) -> bool:
    try:
        os.stat(path)
    except OSError as error:
        return error.errno == errno.ELOOP
    return False


def compression(path: str) -> str | None:
    """'gzip', 'bzip2' or 'xz' by the file's first bytes (never by its name), else None."""
    with open(path, "rb") as handle:
        start = handle.read(6)
    return next((kind for magic, kind in MAGIC.items() if start.startswith(magic)), None)


def read_lead(path: str, kind: str | None, limits: Limits | None = None) -> bytes:
    """The first LEAD_BYTES of the file's content (what a truncated archive yields): enough to
    know the file (feeds/file_identity.py)."""
    with Content(path, kind, limits or Limits()) as content:
        return content.first_bytes(LEAD_BYTES)


def signature_of(path: str) -> tuple | None:
    """(device, inode, size, mtime), or None when the file cannot be looked at."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime)


def follow(
    pattern: str,
    states: dict[str, FileState],
    header_for: Callable[[str, bytes], HeaderReader | None],
    now: float,
    eof_after: float = 60.0,
    max_line_bytes: int = 1 << 20,
    limits: Limits | None = None,
    failures: dict[str, tuple] | None = None,
    committed: dict[str, FileState] | None = None,
) -> Iterator["Read | Skipped | FileError"]:
    """New content of every file the glob matches, each file's content once across names.

    `header_for(path, first content bytes)` says how to tail a file; None means read it whole,
    once (Parquet). `now` is wall time (epoch s), compared with file times. Errors belong to
    their file: they are yielded, and the other files are still read. A file whose content was
    read under another name in this round is yielded as Skipped, with a note that says so.

    A file is read in windows of `limits.window` bytes, one Read each: the caller commits
    each Read's state before asking for the next, and puts it in `committed` (by id) so the
    next window starts from it (None there: the window failed, the file's next ones are not
    read). `failures` ({path: (signature, reason)}) are files that failed
    before: while their signature is unchanged they are not read again, their error repeats.
    """
    limits, failures = limits or Limits(), failures or {}
    committed = {} if committed is None else committed
    states = dict(states)  # grows as new files are read: a copy later in this round matches
    by_signature = {s.signature: s for s in states.values() if s.done and not s.legacy}
    claimed: set[str] = set()
    loops: list[FileError] = []
    paths = matched_files(pattern, loops)
    yield from loops
    for path in _largest_first(paths):
        failed = failures.get(path)  # a stat more only for a file that failed before
        if failed and tuple(failed[0]) == signature_of(path):
            yield FileError(failed[1], path, tuple(failed[0]))  # unchanged since it failed
            continue
        windows = _follow_one(path, states, by_signature, claimed, header_for, now, eof_after,
                              limits, committed)  # fmt: skip
        try:
            for read in windows:
                if isinstance(read, Skipped):
                    yield read
                    continue
                claimed.add(read.state.id)
                states[read.state.id] = read.state
                if read.data is not None and read.tailed:
                    data, long_lines, longest = drop_long_lines(read.data, max_line_bytes)
                    read = replace(read, data=data, long_lines=read.long_lines + long_lines,
                                   longest=max(read.longest, longest))  # fmt: skip
                yield read
        except FileNotFoundError:  # renamed or deleted since the glob: not an error (the
            continue  # search for renamed files finds it)
        except (FileError, OSError, ValueError) as error:  # e.g. a format it cannot be
            text = str(error) if isinstance(error, FileError) else f"{Path(path).name}: {error}"
            yield FileError(text, path, signature_of(path))


def _largest_first(paths: list[str]) -> list[str]:
    """Of two names with the same content (a copy), the one with more of it is read."""

    def size(path: str) -> int:
        try:
            return os.stat(path).st_size
        except OSError:
            return 0

    return sorted(paths, key=lambda p: (-size(p), p))


def _follow_one(path, states, by_signature, claimed, header_for, now, eof_after, limits,
                committed) -> Iterator["Read | Skipped"]:  # fmt: skip
    """The Reads of one file, a window each; Skipped for a second name of content read in
    this round; nothing for an empty file."""
    stat = os.stat(path)
    quiet = now - stat.st_mtime >= eof_after
    known = by_signature.get((stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime))
    if known is not None and known.id not in claimed:  # unchanged and read to its end
        yield Read(path, known, replace(known, seen_at=now), None, head=b"", quiet=quiet)
        return
    kind = compression(path)
    with Content(path, kind, limits) as content:
        stat = os.fstat(content.handle.fileno())  # the file opened: another if renamed since
        signature = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime)
        quiet = now - stat.st_mtime >= eof_after
        if stat.st_size == 0:
            return
        lead = content.first_bytes(LEAD_BYTES)
        head, known_by = lead[:FINGERPRINT_BYTES], identity(lead)
        header = header_for(path, head)
        fd = content.handle.fileno() if kind is None and header else None  # plain, tailed
        state, note = _match(path, lead, stat, kind, fd, states, claimed)
        if state is not None and state.id in claimed:  # a second name for content read just now
            other = Path(states[state.id].path).name
            yield Skipped(path, f"{Path(path).name} has the same content as {other}: skipped")
            return
        rotated = state is not None and state.first_path != path
        finished = kind is not None or rotated or quiet
        new = FileState(
            id=state.id if state else fingerprint(f"{path}\0{stat.st_ino}\0".encode() + head),
            path=path,
            head_len=len(known_by.head),
            head_hash=fingerprint(known_by.head),
            offset=state.offset if state else 0,
            signature=signature,
            first_path=state.first_path if state else path,
            bad_rows=state.bad_rows if state else 0,
            seen_at=now,
            head_skip=known_by.skip,
            checks=known_by.checks,
            carry=state.carry if state else None,
        )
        before = state
        if header is not None:
            top = header(_BytesHandle(content.first_bytes(min(limits.window, 1 << 20))))
        while True:
            window = (_whole(content, new.offset, limits) if header is None
                      else _new_content(content, new.offset, top, finished, limits))  # fmt: skip
            notes = [note, *content.region_notes(), window.early]
            content.regions.clear()
            new = replace(new, offset=window.offset, done=window.whole and window.early is None,
                          end=end_check(fd, window.offset))  # fmt: skip
            yield Read(path, before, new, window.data, "; ".join(filter(None, notes)) or None,
                       window.long_lines, window.longest, head, header is not None, finished)
            if not window.more or committed.get(new.id, new) is None:  # None: it failed
                return
            before = committed.get(new.id, new)  # as the caller committed it (bad rows, carry)
            new, note = replace(before, seen_at=now, signature=signature), None


def _match(path, lead, stat, kind, fd, states, claimed) -> tuple["FileState | None", str | None]:
    """The known state whose content this file starts with: the same identity (the first
    FINGERPRINT_BYTES after an ignored header), no longer prefix that differs, the same bytes
    before its offset (`fd`: a plain file); for a file shorter than the identity, the same inode."""
    inode = (stat.st_dev, stat.st_ino)
    best, best_rank = None, None
    for state in states.values():
        if state.legacy:
            matches, region = state.path == path and state.signature[1] == stat.st_ino, b""
        else:
            region = lead[state.head_skip :]
            same_start = state.head_len <= len(region) and (
                fingerprint(region[: state.head_len]) == state.head_hash
            )
            long_enough = state.head_len >= FINGERPRINT_BYTES
            matches = (same_start and (long_enough or tuple(state.signature[:2]) == inode)
                       and not differs(state.checks, region)
                       and not differs_at_end(state.end, state.offset, fd))  # fmt: skip
        rank = (state.id not in claimed, verified_length(state.checks, region), state.head_len)
        if matches and (best is None or rank > best_rank):
            best, best_rank = state, rank
    if best is None:
        rewritten = any(s.path == path and tuple(s.signature[:2]) == inode for s in states.values())
        note = f"{Path(path).name} was rewritten: read again as a new file" if rewritten else None
        return None, note
    if kind is None and best.offset > stat.st_size:
        return None, f"{Path(path).name} was truncated: read from the start"
    return (replace(best, first_path=path) if best.legacy else best), None


@dataclass(frozen=True)
class _Window:
    data: bytes | None  # to parse (a header first), None: nothing new
    offset: int  # where the next read starts
    whole: bool  # read to the end
    more: bool  # another window follows
    early: str | None = None  # the archive ends early or is damaged
    long_lines: int = 0  # longer than a window: skipped
    longest: int = 0


def _new_content(content: Content, offset: int, head: bytes, finished, limits: Limits):
    """The next window of new content, from `offset`, ending at a line end (or before a bad
    region, or at the end of a finished file). The header `head` comes first in the bytes."""
    start = max(offset, len(head))
    content.skip_to(start)
    data = content.read(limits.window, prefix=head, lines=True, keep_end=finished)
    end = start + len(data) - len(head)
    jumped = content.position > end  # a bad region followed: skipped
    long_lines = longest = 0
    more = not content.reached_end
    if end == start and not jumped and more:  # no line end in a whole window
        content.skip_line()
        long_lines, longest, more = 1, content.position - start, not content.at_end()
    data = data if end > start else None
    return _Window(data, max(offset, content.position), not more and content.at_end(), more,
                   content.early, long_lines, longest)  # fmt: skip


def _whole(content: Content, offset: int, limits: Limits) -> "_Window":
    """A whole-file format (Parquet): at most one window of it, as it is, read once."""
    data = content.first_bytes(limits.whole + 1)
    if len(data) > limits.whole:
        raise ValueError(f"larger than max_memory_bytes ({size_words(limits.whole)}), a"
                         " whole-file format read at once: skipped")  # fmt: skip
    return _Window(data if offset < len(data) else None, len(data), True, False)


class _BytesHandle:
    """The readline() a header reader needs, over bytes in memory."""

    def __init__(self, data):
        self.data, self.position = data, 0

    def readline(self) -> bytes:
        window = bytes(self.data[self.position : self.position + 65536])
        end = window.find(b"\n")
        line = window if end < 0 else window[: end + 1]
        self.position += len(line)
        return line


def drop_long_lines(data, max_line_bytes: int) -> tuple[bytes, int, int]:
    """The data without lines longer than `max_line_bytes` (a NUL run, a binary blob), how
    many there were and the longest one's length."""
    if len(data) <= max_line_bytes or not _may_have_long_lines(data, max_line_bytes):
        return data, 0, 0
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10) + 1
    if not len(ends) or ends[-1] != len(data):
        ends = np.append(ends, len(data))
    starts = np.concatenate(([0], ends[:-1]))
    lengths = ends - starts
    too_long = lengths > max_line_bytes
    if not too_long.any():
        return data, 0, 0
    keep = ~too_long
    kept = b"".join(bytes(data[s:e]) for s, e in zip(starts[keep], ends[keep], strict=True))
    return kept, int(too_long.sum()), int(lengths.max())


def _may_have_long_lines(data, max_line_bytes: int) -> bool:
    """A line longer than max_line_bytes holds a whole aligned stride of half that without a
    newline: looking for such a stride costs no copy of the data."""
    stride = max_line_bytes // 2
    return any(data.find(b"\n", i, i + stride) < 0 for i in range(0, len(data) - stride, stride))
