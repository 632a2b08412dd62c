"""Asking a queue over HTTP(S) for JSON: a deadline for the whole answer, a size cap, basic or
bearer authentication or any header (secrets from ${VARS}), and the backoff after failures.
A local file stands in for a server (the demo and fixtures); no parsing beyond JSON here."""

import http.client
import json
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from socwall.errors import in_words
from socwall.feeds.fetch import USER_AGENT, FetchError
from socwall.feeds.fetch import _read_until as read_until  # the feeds' own bounded read
from socwall.feeds.http_guard import Blocked, guarded
from socwall.feeds.http_login import login_headers
from socwall.feeds.queue_items import backoff_wait, failed_state

MAX_BYTES = 32 << 20


class QueueError(Exception):
    """The queue could not be read; the message says why, in words for the wall."""


def auth_headers(config) -> dict[str, str]:
    """Authorization from `bearer_token` or `username`/`password`, then any `headers`."""
    headers = login_headers(config)
    for name, value in (getattr(config, "headers", None) or {}).items():
        headers[name] = value.get_secret_value()
    return headers


def request_json(url: str, headers: dict[str, str], timeout: float, body=None,
                 method: str = "GET", verify_tls: bool = True, allow_hosts=None):  # fmt: skip
    """The JSON answer of one request (or of a local file); QueueError in words otherwise.
    With `allow_hosts` (a list) the request goes only where feeds/http_guard.py lets it; None
    (a server of our own by design, e.g. Alertmanager) is not guarded."""
    if not url.startswith(("http://", "https://")):
        return _file_json(Path(url.removeprefix("file://")))
    data = None if body is None else json.dumps(body).encode()
    sent = {"User-Agent": USER_AGENT, "Accept": "application/json", **headers}
    if data is not None:
        sent["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=sent)
    context = None
    if url.startswith("https://") and not verify_tls:
        context = ssl._create_unverified_context()  # noqa: S323 - the operator asked for it
    deadline = time.monotonic() + timeout
    try:
        with _opener(timeout, allow_hosts, context) as opener:
            with opener.open(request, timeout=timeout) as response:
                raw = read_until(response, deadline, timeout, MAX_BYTES)
    except (FetchError, Blocked) as error:  # too large, trickled past the deadline, refused
        raise QueueError(f"{_host(url)}: {error}") from None
    except urllib.error.HTTPError as error:
        hint = " (check the credentials)" if error.code in (401, 403) else ""
        raise QueueError(f"{_host(url)} answered HTTP {error.code} {error.reason}{hint}") from None
    except urllib.error.URLError as error:
        raise QueueError(f"cannot reach {_host(url)}: {_reason(error.reason)}") from None
    except (TimeoutError, OSError) as error:
        raise QueueError(f"no answer from {_host(url)} within {timeout:g} s ({error})") from None
    except http.client.HTTPException as error:  # closed or garbled
        raise QueueError(f"{_host(url)} sent a broken answer ({in_words(error)})") from None
    return _decode(raw, _host(url))


@contextmanager
def _opener(timeout: float, allow_hosts, context):
    if allow_hosts is None:
        yield urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))
        return
    with guarded(timeout, allow_hosts, context) as opener:
        yield opener


def _file_json(path: Path):
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise QueueError(f"cannot read {path}: {error.strerror}") from None
    return _decode(raw, str(path))


def _decode(raw: bytes, where: str):
    try:
        return json.loads(raw)
    except ValueError as error:
        raise QueueError(f"{where} did not answer JSON ({error})") from None


def _host(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0].rpartition("@")[2]


def _reason(reason) -> str:
    text = getattr(reason, "strerror", None) or str(reason)
    return text.lower() if text else "no route"


def with_backoff(store, source_id: str, settings, now: datetime, read: Callable[[], dict]) -> dict:
    """Run `read`; after a failure, fail in words until the backoff has passed (never an empty
    queue in the meantime: the panel shows the failure, not "0 waiting")."""
    state = store.fetch_state(source_id, "queue")
    waiting = backoff_wait(state, now)
    if waiting is not None:
        raise QueueError(waiting)
    try:
        stats = read()
    except (QueueError, ValueError, KeyError, TypeError) as error:
        store.write_fetch_state(source_id, "queue", failed_state(state, error, settings.refresh,
                                                                 now))  # fmt: skip
        if isinstance(error, QueueError):
            raise
        raise QueueError(f"the answer is not in the expected shape: {error}") from None
    if state.get("failures"):
        store.write_fetch_state(source_id, "queue", {"failures": 0, "next_attempt": "",
                                                     "error": ""})  # fmt: skip
    return stats
