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

import bz2
import glob
import gzip
import json
import lzma
import mmap
import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import BinaryIO

import numpy as np

from socwall.feeds.file_identity import (
    FINGERPRINT_BYTES,
    LEAD_BYTES,
    differs,
    fingerprint,
    identity,
    verified_length,
)

MAX_DECOMPRESSED = 2 << 30  # a compressed log inflating past 2 GiB is refused, not read
OPENERS: dict[str, Callable] = {"gzip": gzip.open, "bzip2": bz2.open, "xz": lzma.open}
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
    head: bytes = b""  # the first bytes of the content: formats are told apart by it
    tailed: bool = True  # read line by line (False: a whole-file format such as Parquet)
    quiet: bool = False  # unchanged for eof_after, rotated away or compressed: nothing to wait for


@dataclass(frozen=True)
class Skipped:
    """A file not read because its content is another file's, read under that name."""

    path: str
    note: str


class FileError(ValueError):
    """One file could not be read; the message names it and says why."""


def matched_files(pattern: str) -> list[str]:
    """Files matching the glob, oldest name first (names usually carry the date)."""
    return sorted(p for p in glob.glob(pattern, recursive=True) if Path(p).is_file())


def compression(path: str) -> str | None:
    """'gzip', 'bzip2' or 'xz' by the file's first bytes (never by its name), else None."""
    with open(path, "rb") as handle:
        start = handle.read(6)
    return next((kind for magic, kind in MAGIC.items() if start.startswith(magic)), None)


def read_lead(path: str, kind: str | None) -> bytes:
    """The first LEAD_BYTES of the file's content (what a truncated archive yields): enough to
    know the file (feeds/file_identity.py)."""
    if kind is None:
        with open(path, "rb") as handle:
            return handle.read(LEAD_BYTES)
    return _decompress(path, kind, LEAD_BYTES)[0]


def _decompress(path: str, kind: str, limit: int) -> tuple[bytes, str | None]:
    """Up to `limit` content bytes, and a note when the archive ends early (still copied?).
    Decompressed piece by piece, so a cut archive still gives everything before the cut."""
    chunks, total = [], 0
    decompressor, fed = _decompressor(kind), False  # fed: the current member got input
    try:
        with open(path, "rb") as handle:
            while total < limit and (piece := handle.read(1 << 20)):
                while piece and total < limit:
                    out = decompressor.decompress(piece)
                    fed = True
                    chunks.append(out)
                    total += len(out)
                    piece = b""
                    if decompressor.eof:  # a member ended; another may follow (gzip allows it)
                        piece = decompressor.unused_data
                        decompressor, fed = _decompressor(kind), False
    except (zlib.error, OSError, lzma.LZMAError, ValueError) as error:
        if not total:
            raise FileError(f"{path}: cannot decompress {kind}: {error}") from None
        content = b"".join(chunks)[:limit]
        return content, f"{Path(path).name}: {kind} is damaged after {total:,} bytes"
    content = b"".join(chunks)[:limit]
    if fed and total < limit:
        return content, f"{Path(path).name}: {kind} ends early (still being copied?)"
    return content, None


def _decompressor(kind: str):
    if kind == "gzip":
        return zlib.decompressobj(wbits=31)
    return bz2.BZ2Decompressor() if kind == "bzip2" else lzma.LZMADecompressor()


def follow(
    pattern: str,
    states: dict[str, FileState],
    header_for: Callable[[str, bytes], HeaderReader | None],
    now: float,
    eof_after: float = 60.0,
    max_line_bytes: int = 1 << 20,
) -> Iterator["Read | Skipped | FileError"]:
    """New content of every file the glob matches, each file's content once across names.

    `header_for(path, first content bytes)` says how to tail a file; None means read it whole,
    once (Parquet). `now` is wall time (epoch s), compared with file times. Errors belong to
    their file: they are yielded, and the other files are still read. A file whose content was
    read under another name in this round is yielded as Skipped, with a note that says so.
    """
    states = dict(states)  # grows as new files are read: a copy later in this round matches
    by_signature = {s.signature: s for s in states.values() if s.done and not s.legacy}
    claimed: set[str] = set()
    for path in _largest_first(matched_files(pattern)):
        try:
            read = _follow_one(path, states, by_signature, claimed, header_for, now, eof_after)
        except (FileError, OSError, ValueError) as error:  # e.g. a format it cannot be
            named = FileError(f"{Path(path).name}: {error}")
            yield error if isinstance(error, FileError) else named
            continue
        if read is None or isinstance(read, Skipped):
            if read is not None:
                yield read
            continue
        claimed.add(read.state.id)
        states[read.state.id] = read.state
        if read.data is not None and read.tailed:
            data, long_lines = drop_long_lines(read.data, max_line_bytes)
            read = replace(read, data=data, long_lines=long_lines)
        yield read


def _largest_first(paths: list[str]) -> list[str]:
    """Of two names with the same content (a copy), the one with more of it is read."""

    def size(path: str) -> int:
        try:
            return os.stat(path).st_size
        except OSError:
            return 0

    return sorted(paths, key=lambda p: (-size(p), p))


def _follow_one(path, states, by_signature, claimed, header_for, now, eof_after):
    """The Read of one file, Skipped for a second name of content read in this round, or None
    for an empty file."""
    stat = os.stat(path)
    signature = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime)
    quiet = now - stat.st_mtime >= eof_after
    known = by_signature.get(signature)
    if known is not None and known.id not in claimed:  # unchanged and read to its end
        return Read(path, known, replace(known, seen_at=now), None, head=b"", quiet=quiet)
    if stat.st_size == 0:
        return None
    kind = compression(path)
    lead = read_lead(path, kind)
    head, known_by = lead[:FINGERPRINT_BYTES], identity(lead)
    header = header_for(path, head)
    state, note = _match(path, lead, stat, kind, states, claimed)
    if state is not None and state.id in claimed:  # a second name for content read just now
        other = Path(states[state.id].path).name
        return Skipped(path, f"{Path(path).name} has the same content as {other}: skipped")
    rotated = state is not None and state.first_path != path
    finished = kind is not None or rotated or quiet
    data, offset, whole, early = _new_content(path, kind, state, header, finished)
    new = FileState(
        id=state.id if state else fingerprint(f"{path}\0{stat.st_ino}\0".encode() + head),
        path=path,
        head_len=len(known_by.head),
        head_hash=fingerprint(known_by.head),
        offset=offset,
        signature=signature,
        first_path=state.first_path if state else path,
        bad_rows=state.bad_rows if state else 0,
        seen_at=now,
        done=whole and early is None,
        head_skip=known_by.skip,
        checks=known_by.checks,
        carry=state.carry if state else None,
    )
    return Read(path, state, new, data, note or early, head=head, tailed=header is not None,
                quiet=finished)  # fmt: skip


def _match(path, lead, stat, kind, states, claimed) -> tuple["FileState | None", str | None]:
    """The known state whose content this file starts with: the same identity (the first
    FINGERPRINT_BYTES after an ignored header) and no longer prefix that differs; for a file
    still shorter than the identity, also the same device and inode."""
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
                       and not differs(state.checks, region))  # fmt: skip
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


def _new_content(path, kind, state, header, finished) -> tuple:
    """(bytes to parse or None, new offset, read to the end?, note on a short archive).

    A header (CSV, Zeek) comes first in the bytes when reading starts past it."""
    offset = state.offset if state else 0
    early = None
    if kind is not None:
        content, early = _decompress(path, kind, MAX_DECOMPRESSED)
    else:
        content = _mapped(path)
    if header is None:  # Parquet: read whole, once
        return (bytes(content) if offset < len(content) else None), len(content), True, None
    head = header(_BytesHandle(content))
    start = max(offset, len(head))
    end = len(content) if finished and early is None else _last_newline(content, start)
    new_offset = max(end, start if offset else 0)
    if end <= start:
        return None, max(offset, new_offset), end == len(content), early
    body = content[0 if start == len(head) else start : end]
    data = body if start == len(head) else head + bytes(body)
    return data, end, end == len(content), early


def _mapped(path: str):
    """The file's bytes without copying them (memory-mapped when large)."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size < 1 << 20:
            return handle.read()
        return memoryview(mmap.mmap(handle.fileno(), size, access=mmap.ACCESS_READ))


def _last_newline(content, start: int) -> int:
    """The offset just after the last newline at or after `start`, or `start`."""
    if isinstance(content, bytes):
        return content.rfind(b"\n", start) + 1 or start
    found = content.obj.rfind(b"\n", start) if hasattr(content.obj, "rfind") else -1
    return found + 1 if found >= 0 else start


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


def _all_lines_short(data, max_line_bytes: int) -> bool:
    """True when no line can be longer than `max_line_bytes`: every whole block of half that
    size holds a newline, so two newlines are never more than `max_line_bytes` - 1 bytes apart.
    Reads the first KiB of a block, rarely more: not every byte of a big read."""
    step = max_line_bytes // 2
    if step < 1:
        return False
    with memoryview(data) as view:
        for start in range(0, len(view) - step + 1, step):
            head = bytes(view[start : start + min(step, 1024)])
            if b"\n" not in head and b"\n" not in bytes(view[start : start + step]):
                return False
    return True


def drop_long_lines(data, max_line_bytes: int) -> tuple[bytes, int]:
    """The data without lines longer than `max_line_bytes` (a NUL run, a binary blob)."""
    if len(data) <= max_line_bytes or _all_lines_short(data, max_line_bytes):
        return data, 0
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10) + 1
    if not len(ends) or ends[-1] != len(data):
        ends = np.append(ends, len(data))
    starts = np.concatenate(([0], ends[:-1]))
    too_long = (ends - starts) > max_line_bytes
    if not too_long.any():
        return data, 0
    keep = ~too_long
    kept = b"".join(bytes(data[s:e]) for s, e in zip(starts[keep], ends[keep], strict=True))
    return kept, int(too_long.sum())
