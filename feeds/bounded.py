"""A file's content read forward in bounded pieces, whatever the file does to the reader.

A gzip bomb, a sparse file of 2 GB of holes, a run of NULs, a line of 50 MB: each costs at most
one window of memory. Decompression stops at a size and a ratio limit (the file is named and
skipped); sparse holes (SEEK_DATA/SEEK_HOLE) and NUL runs are skipped as one bad region each,
named with their offset and length, and the text around them is still read.
"""

import bz2
import errno
import lzma
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

BLOCK = 1 << 20  # content bytes produced per step
INPUT_BLOCK = 64 << 10  # compressed bytes fed per step: the ratio is checked early
NUL_RUN = b"\0" * 4096  # NULs this long are a bad region (a preallocated or zeroed block), not text
RATIO_FLOOR = 16 << 20  # the ratio limit applies once this much content came out


@dataclass(frozen=True)
class Limits:
    """How much one read of one file may take."""

    window: int = 64 << 20  # content bytes handed to a parser at once
    whole: int = 512 << 20  # a whole-file format (Parquet) larger than this is skipped
    inflated: int = 1 << 30  # a compressed file inflating past this is skipped
    ratio: int = 250  # ...or inflating more than this many times its compressed bytes


def size_words(count: int) -> str:
    """1073741824 -> '1 GiB'; 1536 -> '1.5 KiB'."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if count >= 1 << shift:
            return f"{count / (1 << shift):.3g} {unit}"
    return f"{count} bytes"


class Content:
    """The content of a file (decompressed when `kind` names a compression), from the start,
    forward only; `read(n)` gives up to n contiguous bytes and stops before a bad region, which
    it skips and records in `regions` as (offset, length, what)."""

    def __init__(self, path: str, kind: str | None, limits: Limits):
        self.path, self.kind, self.limits = path, kind, limits
        self.handle = open(path, "rb")  # noqa: SIM115 - closed by close() / the with block
        self.size = os.fstat(self.handle.fileno()).st_size  # plain files only
        self.position = 0  # content offset of the next byte read
        self.regions: list[tuple[int, int, str]] = []
        self.early: str | None = None  # the archive ends early or is damaged after some bytes
        self._pending = bytearray()  # decompressed, not yet read
        self._leftover = b""  # compressed input after a member's end: the next member's
        self._fed = self._inflated = 0
        self._member_fed, self._ended = False, kind is None
        self._decompressor = _decompressor(kind) if kind else None
        self.reached_end = False  # the last read() got to the end of the content

    def __enter__(self) -> "Content":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.handle.close()

    @property
    def name(self) -> str:
        return Path(self.path).name

    def first_bytes(self, count: int) -> bytes:
        """The first `count` content bytes as they are (identity, headers); nothing is moved."""
        if self.kind is None:
            return os.pread(self.handle.fileno(), count, 0)
        if self.position:
            raise ValueError("first_bytes after reading")
        while len(self._pending) < count and self._inflate_some():
            pass
        return bytes(self._pending[:count])

    def at_end(self) -> bool:
        """Nothing more to read."""
        if self.kind is None:
            return self.position >= self.size
        while not self._pending:
            if not self._inflate_some():
                return True
        return False

    def skip_to(self, offset: int) -> None:
        """Move forward to content offset `offset` (decompressing what lies before it)."""
        if self.kind is None:
            self.position = offset
            return
        while self.position < offset and (self._pending or self._inflate_some()):
            taken = min(len(self._pending), offset - self.position)
            del self._pending[:taken]
            self.position += taken

    def read(self, count: int, prefix: bytes = b"", lines: bool = False,
             keep_end: bool = False) -> bytes:  # fmt: skip
        """`prefix` and up to `count` contiguous content bytes after it; fewer before a bad
        region (then skipped: `position` is past it) or at the end. With `lines`, what follows
        the last newline is given back (unless the end was reached and `keep_end`), cut before
        the bytes are joined: a window is copied once."""
        start, parts, have = self.position, [prefix], 0
        while have < count:
            piece = self._raw(min(BLOCK, count - have))
            if not piece:  # the end, or a sparse hole that was skipped
                break
            cut = piece.find(NUL_RUN)
            if cut >= 0:
                parts.append(piece[:cut])
                self.position = start + have + cut
                self._skip_nuls(self.position, piece[cut:])
                break
            parts.append(piece)
            have += len(piece)
            self.position = start + have
        jumped = self.position != start + sum(map(len, parts)) - len(prefix)
        self.reached_end = self.at_end()  # before a partial last line is given back
        if lines and not jumped and not (keep_end and self.early is None and self.reached_end):
            self._cut_after_newline(parts)
        data = b"".join(parts)  # one copy, with the prefix
        if jumped and data.endswith(b"\0"):
            kept = data.rstrip(b"\0")  # NULs up to a hole: one bad region with it
            self.regions.append((start + len(kept) - len(prefix), len(data) - len(kept), "NULs"))
            data = kept
        return data

    def _cut_after_newline(self, parts: list[bytes]) -> None:
        """Give back what follows the last newline in `parts` (parts[0], the prefix, stays)."""
        for index in range(len(parts) - 1, 0, -1):
            found = parts[index].rfind(b"\n")
            if found >= 0:
                tail = [parts[index][found + 1 :], *parts[index + 1 :]]
                parts[index] = parts[index][: found + 1]
                del parts[index + 1 :]
                break
        else:
            tail = parts[1:]
            del parts[1:]
        self.give_back(b"".join(tail))

    def give_back(self, data: bytes) -> None:
        """Return the last `data` read: the next read starts with it again."""
        self.position -= len(data)
        self._unread(data)

    def skip_line(self) -> None:
        """Skip to just after the next newline (an over-long line), or to a bad region."""
        while piece := self._raw(BLOCK):
            found = piece.find(b"\n")
            if found >= 0:
                self._unread(piece[found + 1 :])
                self.position += found + 1
                return
            self.position += len(piece)

    def region_notes(self) -> list[str]:
        """Each bad region in words, naming the file (a hole and the NULs after it: one)."""
        merged: list[list] = []
        for offset, length, what in sorted(self.regions):
            if merged and merged[-1][0] + merged[-1][1] == offset:
                merged[-1][1] += length
                merged[-1][2] = "NULs (a sparse hole)"
            else:
                merged.append([offset, length, what])
        return [f"{self.name}: {size_words(length)} of {what} at offset {offset:,} skipped"
                for offset, length, what in merged]  # fmt: skip

    # the bytes underneath -------------------------------------------------------------
    def _raw(self, count: int) -> bytes | None:
        """Up to `count` bytes at `position`, taken from what is pending (compressed content:
        `_unread` gives back what is not used; `position` is moved by the caller); None after
        a sparse hole was skipped (plain files: `position` is then past it)."""
        if self.kind is not None:
            while len(self._pending) < count and self._inflate_some():
                pass
            piece = bytes(self._pending[:count])
            del self._pending[:count]
            return piece
        fd = self.handle.fileno()
        data_at, hole_at = _data_and_hole(fd, self.position, self.size)
        if data_at > self.position:
            self.regions.append((self.position, data_at - self.position, "NULs (a sparse hole)"))
            self.position = data_at
            return None
        return os.pread(fd, min(count, hole_at - self.position), self.position)

    def _unread(self, piece: bytes) -> None:
        if self.kind is not None and piece:
            self._pending[0:0] = piece

    def _skip_nuls(self, offset: int, rest: bytes | None) -> None:
        """Skip the NUL run that starts at `offset` (`rest`: its first bytes, already taken)."""
        length = 0
        while rest:
            stripped = rest.lstrip(b"\0")
            length += len(rest) - len(stripped)
            if stripped:
                self._unread(stripped)
                break
            self.position = offset + length
            rest = self._raw(BLOCK)
        if rest is not None:  # None: a sparse hole followed, and position is past it
            self.position = offset + length
        self.regions.append((offset, length, "NULs"))

    def _inflate_some(self) -> bool:
        """Up to BLOCK more content bytes into `_pending`; False when the archive has no more."""
        if self._ended:
            return False
        try:
            out = self._decompress_step()
        except (zlib.error, OSError, lzma.LZMAError, ValueError, EOFError) as error:
            produced = self._inflated
            self._ended = True
            if not produced:
                raise ValueError(f"cannot decompress {self.kind}: {error}") from None
            self.early = f"{self.name}: {self.kind} is damaged after {produced:,} bytes"
            return False
        if out is None:
            return False
        self._inflated += len(out)
        self._check_limits()
        self._pending += out
        return True

    def _decompress_step(self) -> bytes | None:
        d = self._decompressor
        if self.kind == "gzip":
            data = d.unconsumed_tail or self._input()
        else:
            data = self._input() if d.needs_input else b""
        if self.kind == "gzip" or d.needs_input:
            if not data:
                self._ended = True
                if self._member_fed:
                    self.early = f"{self.name}: {self.kind} ends early (still being copied?)"
                return None
        out = d.decompress(data, BLOCK)
        self._member_fed = True
        if d.eof:  # a member ended; another may follow (gzip allows it)
            self._leftover = d.unused_data + self._leftover
            self._decompressor, self._member_fed = _decompressor(self.kind), False
        return out

    def _input(self) -> bytes:
        if self._leftover:
            data, self._leftover = self._leftover, b""
            return data
        data = self.handle.read(INPUT_BLOCK)
        self._fed += len(data)
        return data

    def _check_limits(self) -> None:
        limits = self.limits
        if self._inflated > limits.inflated:
            raise _Refused(f"inflates past {size_words(limits.inflated)}, skipped from there")
        if self._inflated > RATIO_FLOOR and self._inflated > limits.ratio * max(self._fed, 1):
            raise _Refused(
                f"inflates more than {limits.ratio}-fold ({size_words(self._inflated)} from "
                f"{size_words(self._fed)}): a decompression bomb? skipped"
            )


class _Refused(ValueError):
    """A limit was reached: not a damaged archive, a refused one (the caller names the file)."""


def _data_and_hole(fd: int, position: int, size: int) -> tuple[int, int]:
    """Where data starts at or after `position`, and where the next hole starts after it."""
    try:
        data_at = os.lseek(fd, position, os.SEEK_DATA)
    except OSError as error:
        if error.errno == errno.ENXIO:  # only a hole up to the end
            return size, size
        return position, size  # no support: all data (the NUL check still applies)
    try:
        hole_at = os.lseek(fd, data_at, os.SEEK_HOLE)
    except OSError:
        hole_at = size
    return data_at, min(max(hole_at, data_at + 1), size)


def _decompressor(kind: str):
    if kind == "gzip":
        return zlib.decompressobj(wbits=31)
    return bz2.BZ2Decompressor() if kind == "bzip2" else lzma.LZMADecompressor()
