"""Fetching the outside world: http(s) with one deadline, a size cap, a User-Agent and
conditional GET, only where feeds/http_guard.py lets it go; local files with the same interface.
No parsing here. Whatever goes wrong is a FetchError in words, recorded with its backoff."""

import http.client
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formatdate
from pathlib import Path

from socwall import counters
from socwall.errors import in_words
from socwall.feeds.http_guard import Blocked, guarded

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
          timeout: float = 15, max_bytes: int = 10 << 20, allow_hosts=()) -> Fetched:  # fmt: skip
    """GET an http(s) URL (conditionally) or read a local file; raise FetchError otherwise."""
    if location.startswith(("http://", "https://")):
        return _fetch_url(location, etag, last_modified, timeout, max_bytes, allow_hosts)
    return _read_file(Path(location.removeprefix("file://")), last_modified, max_bytes)


def _fetch_url(url, etag, last_modified, timeout, max_bytes, allow_hosts) -> Fetched:
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    request = urllib.request.Request(url, headers=headers)
    deadline = time.monotonic() + timeout  # connect, redirects and the whole body
    try:
        with guarded(timeout, allow_hosts) as opener:
            with opener.open(request, timeout=timeout) as response:
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
        reason = error.reason
        words = str(reason) if isinstance(reason, Blocked) else f"unreachable: {reason}"
        raise FetchError(words) from None
    except Blocked as error:
        raise FetchError(str(error)) from None
    except TimeoutError:
        raise FetchError(f"no answer within {timeout:g} s") from None
    except (http.client.HTTPException, OSError, ValueError) as error:  # closed, garbled
        if time.monotonic() > deadline:  # the guard shut the socket at the deadline
            raise FetchError(f"no complete answer within {timeout:g} s (deadline)") from None
        raise FetchError(_broken(error)) from None


def _broken(error: Exception) -> str:
    """A server that closed or garbled its answer, in words."""
    if isinstance(error, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(error, http.client.BadStatusLine):
        return f"the server did not answer HTTP (status line {str(error)[:60]!r})"
    if isinstance(error, http.client.IncompleteRead):
        return "the server closed the connection in the middle of its answer"
    return f"broken answer: {in_words(error)}"


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
    if time.monotonic() > deadline:  # the guard shut the socket at the deadline: cut short
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
    if state.get("next_attempt") and now < datetime.fromisoformat(state["next_attempt"]):
        _count(store, source_id, target, "backoff")
        return None
    try:
        fetched = fetch(location, state.get("etag") or None, state.get("last_modified") or None,
                        **limits)  # fmt: skip
    except Exception as error:  # noqa: BLE001 - whatever it was, it is this target's failure
        record_failure(store, source_id, target, refresh, now, error)
        raise (error if isinstance(error, FetchError) else FetchError(in_words(error))) from None
    _count(store, source_id, target, "not_modified" if fetched.body is None else "ok",
           len(fetched.body or b""))  # fmt: skip
    store.write_fetch_state(source_id, target, {
        "etag": fetched.etag, "last_modified": fetched.last_modified,
        "failures": 0, "error": "", "next_attempt": "", "last_success": now.isoformat(),
    })  # fmt: skip
    return fetched


def record_failure(store, source_id: str, target: str, refresh: timedelta, now: datetime,
                   error: Exception) -> None:  # fmt: skip
    """A failed fetch (or an unreadable answer): the reason kept, the next attempt backed off
    (refresh x 2^failures, at most 6 h), and no validators, so the next attempt reads it all."""
    failures = int(store.fetch_state(source_id, target).get("failures") or 0)
    retry_at = (now + min(refresh * 2**failures, MAX_BACKOFF)).isoformat()
    store.write_fetch_state(source_id, target, {
        "failures": failures + 1, "error": in_words(error), "next_attempt": retry_at,
        "etag": "", "last_modified": ""})  # fmt: skip
    _count(store, source_id, target, "failed")


def backoff_words(store, source_id: str, target: str) -> str:
    """'backing off after 3 failures until 14:05 UTC: <the reason>'."""
    state = store.fetch_state(source_id, target)
    until = state.get("next_attempt") or ""
    when = f" until {until[11:16]} UTC" if len(until) >= 16 else ""
    failures = int(state.get("failures") or 0)
    return (f"backing off after {failures} failure{'s' * (failures != 1)}{when}: "
            f"{state.get('error') or 'no reason kept'}")


def _count(store, source_id: str, target: str, outcome: str, size: int = 0) -> None:
    """socwall_feed_fetches_total by outcome, and the bytes among the source's bytes read."""
    fetched = {"source": source_id, "feed": target, "outcome": outcome}
    counters.count_all(store.redis, store.keys, [
        ("socwall_feed_fetches_total", fetched, 1),
        ("socwall_source_bytes_read_total", {"source": source_id}, size),
    ])  # fmt: skip
