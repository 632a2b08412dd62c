"""Telling files apart by their content, binary formats with a fixed header included.

A file is known by a hash of its first FINGERPRINT_BYTES of content (the identity) and, to tell
apart files that share that much, by hashes of longer prefixes up to VERIFY_BYTES (the checks),
as Vector's `checksum` with `ignored_header_bytes` and Filebeat's fingerprint `offset`/`length`
do. A known state matches a file only when every prefix both have agrees: two files that share
their first 1 KiB (every .evtx file starts with the same empty 4 KiB header) are told apart by
what follows. A plain file also keeps a hash of the bytes just before where it was read to
(its `end`): past VERIFY_BYTES, that is what tells apart a file that grew differently.

Formats whose header is rewritten while the file grows are fingerprinted after that header
(`ignored_header`): an .evtx file's header (4 KiB) and its first chunk's header (512 bytes)
change with every record added, its records do not.
"""

import hashlib
import os
from dataclasses import dataclass

FINGERPRINT_BYTES = 1024
VERIFY_BYTES = 64 << 10
CHECKPOINTS = (4 << 10, 16 << 10, VERIFY_BYTES)  # prefixes a state keeps a hash of
EVTX_MAGIC = b"ElfFile\x00"
EVTX_SKIP = 4096 + 512  # file header + first chunk header: both updated as records are added
LEAD_BYTES = EVTX_SKIP + VERIFY_BYTES  # what is read of a file to know it
END_BYTES = 1024  # of a plain file, kept from just before where it was read to


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def ignored_header(lead: bytes) -> int:
    """Bytes at the start that say nothing about which file this is (rewritten in place)."""
    return EVTX_SKIP if lead.startswith(EVTX_MAGIC) else 0


@dataclass(frozen=True)
class Identity:
    """What a file's first bytes say about which file it is."""

    skip: int  # ignored header bytes
    head: bytes  # the first FINGERPRINT_BYTES after them: the identity
    checks: tuple  # ((length, hash), ...) of longer prefixes after them, up to VERIFY_BYTES


def identity(lead: bytes) -> Identity:
    """The identity of a file whose content starts with `lead` (up to LEAD_BYTES)."""
    skip = ignored_header(lead)
    region = lead[skip:]
    return Identity(skip, bytes(region[:FINGERPRINT_BYTES]), checks_of(region))


def checks_of(region: bytes) -> tuple:
    """Hashes of the prefixes past the identity: each checkpoint it reaches, and its whole
    length when that is shorter than VERIFY_BYTES (a short file is compared as far as it goes)."""
    size = min(len(region), VERIFY_BYTES)
    lengths = [n for n in CHECKPOINTS if n < size] + ([size] if size > FINGERPRINT_BYTES else [])
    return tuple((n, fingerprint(bytes(region[:n]))) for n in lengths)


def differs(checks: tuple, region: bytes) -> bool:
    """True when a prefix both the state and this content have is not the same."""
    return any(n <= len(region) and fingerprint(bytes(region[:n])) != h for n, h in checks)


def verified_length(checks: tuple, region: bytes) -> int:
    """How far the content was compared with the state (for preferring the closest state)."""
    return max((n for n, _ in checks if n <= len(region)), default=0)


def end_check(fd: int | None, offset: int) -> tuple:
    """(length, hash) of a plain file's bytes just before `offset`, where it was read to: a
    file that shares more than VERIFY_BYTES with it and differs before that is told apart.
    Nothing for a compressed file (no `fd`)."""
    length = min(offset, END_BYTES)
    if fd is None or not length:
        return ()
    return (length, fingerprint(os.pread(fd, length, offset - length)))


def differs_at_end(end: tuple, offset: int, fd: int | None) -> bool:
    """True when a plain file (`fd`) that reaches `offset` has other bytes before it than the
    state's `end` check; a compressed file (no `fd`) or a shorter one is not compared."""
    if not end or fd is None:
        return False
    length, digest = end
    data = os.pread(fd, length, offset - length)
    return len(data) == length and fingerprint(data) != digest
