"""The loop every file source shares: follow the glob, parse each file's new bytes, commit each
file's writes with its new state, and report per file what went wrong in words."""

import glob
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from socwall.errors import in_words
from socwall.feeds.bounded import size_words
from socwall.feeds.follow import FileError, HeaderReader, Read, Skipped, follow, matched_files
from socwall.file_commit import Batch

TOUCH_EVERY = 3600.0  # seconds: how often an unchanged file's state is marked as still there


def new_stats() -> dict:
    return {"files": 0, "rows": 0, "bad_rows": 0, "newest": None, "warnings": []}


def read_files(
    store,
    source_id: str,
    config,
    header_for: Callable[[str, bytes], HeaderReader | None],
    stage: Callable[[Read, Batch, dict], int],
    stats: dict,
    clock: Callable[[], float] = time.time,
) -> dict:
    """Read what is new in every file of `config.path`; `stage(read, batch, stats)` parses one
    file's bytes into `batch` and returns its unreadable rows. A bad file is named in the
    warnings and stops no other; only when no file could be read does the source fail. A file
    that failed is not read again until it changes (or the config does); its failure stays.
    `clock` gives real time (epoch s), compared with file times: never a replayed `now`."""
    states = store.file_states(source_id)
    wall = clock()
    if not matched_files(config.path):  # blind, not "ok, no data"
        stats["blind"] = f"no file matches {config.path}"
    remembered = _failures(store.file_failures(source_id), config)
    committed: dict = {}  # state id -> the state last committed, for a file's next window
    options = {"eof_after": config.eof_after.total_seconds(), "limits": config.limits(),
               "max_line_bytes": config.max_line_bytes, "failures": remembered,
               "committed": committed}  # fmt: skip
    run = _Round(store, source_id, stage, stats, wall, committed)
    for read in follow(config.path, states, header_for, wall, **options):
        run.handle(read)
    for moved in _renamed_away(store.file_states(source_id), run.seen, wall):  # left the glob
        for read in follow(glob.escape(moved), store.file_states(source_id), header_for, wall,
                           **options):  # fmt: skip
            run.handle(read)
    failed = run.failed
    stats["warnings"] = failed + stats["warnings"]
    failures = {"config": _config_hash(config), "files": run.failures}
    if failures["files"] != remembered:
        store.set_file_failures(source_id, failures)
    if failed and not run.readable:
        raise FileError("; ".join(failed))
    touched = run.touched
    store.touch_file_states(source_id, touched)
    _forget_gone(store, source_id, states, run.seen, wall, config.retention.total_seconds())
    stats["bad_rows_total"] = sum(s.bad_rows for s in store.file_states(source_id).values())
    if "blind" not in stats and (blind := _nothing_recognised(stats)):
        stats["blind"], stats["blind_sticky"] = blind, True  # until a read recognises something
    return stats


def _nothing_recognised(stats: dict) -> str | None:
    """The sentence for a read that found lines but not one it could use, else None."""
    if stats["rows"] or not (stats["bad_rows"] or stats.get("unrecognised")):
        return None
    if stats.get("unrecognised"):
        return stats["unrecognised"]
    detail = f" ({stats['warnings'][0]})" if stats["warnings"] else ""
    return f"none of the {stats['bad_rows']:,} rows read could be read{detail}"


def _failures(stored: dict, config) -> dict:
    """The remembered failures, if they were made under the same config."""
    return stored.get("files", {}) if stored.get("config") == _config_hash(config) else {}


def _config_hash(config) -> str:
    return hashlib.sha256(config.model_dump_json().encode()).hexdigest()[:16]


class _Round:
    """One round over a source's files: what was read, what failed, what to touch."""

    def __init__(self, store, source_id, stage, stats, wall, committed):
        self.store, self.source_id, self.stage, self.stats = store, source_id, stage, stats
        self.wall, self.committed = wall, committed
        self.seen: set[str] = set()
        self.touched: list = []
        self.failed: list[str] = []
        self.failures: dict[str, list] = {}  # path -> [signature, reason]
        self.readable = 0

    def handle(self, read) -> None:
        """One file's outcome: an error, nothing new, or new bytes to parse and commit."""
        stats = self.stats
        if isinstance(read, FileError):
            self._fail(str(read), read.path, read.signature)
            return
        if isinstance(read, Skipped):  # a second name for content read under another one:
            stats["warnings"].append(read.note)  # readable or failed there, not here
            return
        if read.state.id not in self.seen:  # a file read in several windows is one file
            stats["files"] += 1
            self.seen.add(read.state.id)
        if read.note:
            stats["warnings"].append(read.note)
        if read.data is None and read.quiet and (read.state.carry or {}).get("pending"):
            read = replace(read, data=b"")  # quiet now: what waited for more of the file settles
        if read.data is None and read.before is not None and _only_seen(read):
            if self.wall - read.before.seen_at > TOUCH_EVERY:
                self.touched.append(read.state)
            self.readable += 1
            return
        problem = _commit_one(self.store, self.source_id, read, self.stage, stats, self.committed)
        if problem:  # its next windows are not read: they would start from an uncommitted state
            self.committed[read.state.id] = None
            self._fail(problem, read.path, read.state.signature)
        else:
            self.readable += 1

    def _fail(self, reason: str, path: str, signature) -> None:
        self.failed.append(reason)
        if path and signature:
            self.failures[path] = [list(signature), reason]


def _renamed_away(states: dict, seen: set[str], wall: float) -> list[str]:
    """Files that left the glob under another name in the same folder (a plain `path:
    auth.log` and logrotate's rename), found again by device and inode, so their unread tail
    is read. Only states seen within a day are looked for: deleted files are not searched."""
    wanted = {}
    for state in states.values():
        if state.id not in seen and not state.legacy and wall - state.seen_at < 86400:
            wanted.setdefault(str(Path(state.path).parent), set()).add(tuple(state.signature[:2]))
    moved = []
    for folder, inodes in wanted.items():
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if (info.st_dev, info.st_ino) in inodes and entry.is_file(follow_symlinks=False):
                moved.append(entry.path)
    return moved


def _commit_one(store, source_id: str, read: Read, stage, stats: dict, committed) -> str | None:
    """Parse, stage and commit one file; the problem in words when its bytes cannot be read."""
    batch = Batch()
    bad, rows_before = 0, stats["rows"]
    if read.data is not None:
        try:
            bad = stage(read, batch, stats)
        except Exception as error:  # noqa: BLE001 - the file is named, the others go on
            return f"{Path(read.path).name}: {in_words(error)}"
    bad += read.long_lines
    if read.long_lines:
        stats["warnings"].append(
            f"{Path(read.path).name}: {read.long_lines} line(s) longer than the maximum skipped"
            f" (the longest {size_words(read.longest)})"
        )
    stats["bad_rows"] += bad
    per_file = stats.setdefault("file_rows", {})  # what each file gave: sensor health per file
    per_file[read.path] = per_file.get(read.path, 0) + stats["rows"] - rows_before + bad
    carry = batch.carry if read.data is not None else read.state.carry
    state = replace(read.state, bad_rows=read.state.bad_rows + bad, carry=carry)
    store.commit_file(source_id, read.before, state, batch)
    committed[state.id] = state
    consumed = read.state.offset - (read.before.offset if read.before else 0)
    stats["bytes"] = stats.get("bytes", 0) + max(0, consumed)  # socwall_source_bytes_read_total
    return None


def _only_seen(read: Read) -> bool:
    """Nothing but the time it was seen changed: no write is needed."""
    return replace(read.state, seen_at=read.before.seen_at, path=read.before.path) == read.before


def _forget_gone(store, source_id, states, seen, wall, retention_s) -> None:
    gone = [s.id for s in states.values() if s.id not in seen and wall - s.seen_at > retention_s]
    store.forget_file_states(source_id, gone)
