"""Fetching the outside world: http(s) with a timeout, a size cap, a User-Agent and conditional
GET; local files with the same interface. No parsing here."""

import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formatdate
from pathlib import Path

from socwall import counters

USER_AGENT = "socwall/0.1 (+https://github.com/socwall/socwall; SOC wall dashboard)"


class FetchError(Exception):
    """The location could not be fetched; the message says why, in words for the wall."""


@dataclass(frozen=True)
class Fetched:
    """A fetch result: `body` is None when the server said (or the file shows) nothing changed."""

    body: bytes | None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None


def fetch(location: str, etag: str | None = None, last_modified: str | None = None,
          timeout: float = 15, max_bytes: int = 10 << 20) -> Fetched:  # fmt: skip
    """GET an http(s) URL (conditionally) or read a local file; raise FetchError otherwise."""
    if location.startswith(("http://", "https://")):
        return _fetch_url(location, etag, last_modified, timeout, max_bytes)
    return _read_file(Path(location.removeprefix("file://")), last_modified, max_bytes)


def _fetch_url(url, etag, last_modified, timeout, max_bytes) -> Fetched:
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    request = urllib.request.Request(url, headers=headers)
    deadline = time.monotonic() + timeout  # connect and the whole body, not each read
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = _read_until(response, deadline, timeout, max_bytes)
            head = response.headers
            return Fetched(
                body, head.get("ETag"), head.get("Last-Modified"), head.get("Content-Type")
            )
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return Fetched(None, etag, last_modified)
        raise FetchError(f"HTTP {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        raise FetchError(f"unreachable: {error.reason}") from None
    except TimeoutError:
        raise FetchError(f"no answer within {timeout:g} s") from None


def _read_until(response, deadline: float, timeout: float, max_bytes: int) -> bytes:
    """The body, read in pieces; a server that trickles it past the deadline is given up on."""
    chunks, size = [], 0
    while piece := response.read1(65536) if hasattr(response, "read1") else response.read(65536):
        chunks.append(piece)
        size += len(piece)
        if size > max_bytes:
            raise FetchError(f"larger than the {max_bytes:,}-byte limit")
        if time.monotonic() > deadline:
            raise FetchError(f"no complete answer within {timeout:g} s (deadline)")
    return b"".join(chunks)


def _read_file(path: Path, last_modified: str | None, max_bytes: int) -> Fetched:
    try:
        stat = path.stat()
    except OSError as error:
        raise FetchError(f"cannot read {path}: {error.strerror}") from None
    stamp = formatdate(stat.st_mtime, usegmt=True) + f" ({stat.st_size})"
    if stamp == last_modified:
        return Fetched(None, None, stamp)
    if stat.st_size > max_bytes:
        raise FetchError(f"larger than the {max_bytes:,}-byte limit")
    return Fetched(path.read_bytes(), None, stamp)


MAX_BACKOFF = timedelta(hours=6)


def fetch_tracked(store, source_id: str, target: str, location: str, refresh: timedelta,
                  now: datetime, **limits) -> Fetched | None:  # fmt: skip
    """fetch() with its conditional-GET state and failure backoff kept in the store.

    Returns None while backing off after failures (refresh x 2^failures, at most 6 h); raises
    FetchError when this attempt fails, after recording it.
    """
    state = store.fetch_state(source_id, target)
    failures = int(state.get("failures") or 0)
    if state.get("next_attempt") and now < datetime.fromisoformat(state["next_attempt"]):
        _count(store, source_id, target, "backoff")
        return None
    try:
        fetched = fetch(location, state.get("etag") or None, state.get("last_modified") or None,
                        **limits)  # fmt: skip
    except FetchError as error:
        wait = min(refresh * 2**failures, MAX_BACKOFF)
        retry_at = (now + wait).isoformat()
        failed = {"failures": failures + 1, "error": str(error), "next_attempt": retry_at}
        store.write_fetch_state(source_id, target, failed)
        _count(store, source_id, target, "failed")
        raise
    _count(store, source_id, target, "not_modified" if fetched.body is None else "ok",
           len(fetched.body or b""))  # fmt: skip
    store.write_fetch_state(source_id, target, {
        "etag": fetched.etag, "last_modified": fetched.last_modified,
        "failures": 0, "error": "", "next_attempt": "", "last_success": now.isoformat(),
    })  # fmt: skip
    return fetched


def _count(store, source_id: str, target: str, outcome: str, size: int = 0) -> None:
    """socwall_feed_fetches_total by outcome, and the bytes among the source's bytes read."""
    fetched = {"source": source_id, "feed": target, "outcome": outcome}
    counters.count_all(store.redis, store.keys, [
        ("socwall_feed_fetches_total", fetched, 1),
        ("socwall_source_bytes_read_total", {"source": source_id}, size),
    ])  # fmt: skip
