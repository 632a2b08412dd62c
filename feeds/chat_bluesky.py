"""Bluesky: Jetstream, the public JSON websocket of the firehose (no account), filtered here.

Jetstream (github.com/bluesky-social/jetstream, the v1 `/subscribe` endpoint) sends every new
post; only posts that name a CVE or GHSA id, a configured keyword or hashtag are stored. The
cursor is the `time_us` of the last event handled, saved after what came before it was
stored; a reconnect asks from 2 s before it (the cursor is inclusive and instances differ a
little), and a post seen again is stored once (its id is its at:// URI). Jetstream keeps 36
hours: a cursor older than that is clamped silently by the server, so that gap is computed
and said here. A stream that stalls (pings answered, nothing sent) is dropped after
`idle_timeout` and resumed from the cursor.
"""

import asyncio
import json
import random
import re
import threading
import time
import urllib.parse
from datetime import timedelta

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from socwall.feeds.chat_config import BlueskyConfig
from socwall.feeds.chat_message import Message, clean_text, message_id, utc_from_micros
from socwall.feeds.fetch import USER_AGENT

POST = "app.bsky.feed.post"
REWIND_US = 2_000_000
LOOKBACK = timedelta(hours=36)  # what Jetstream keeps to replay
MAX_FRAME = 1 << 20  # a larger frame closes the stream (1009); the server is asked for 64 KB
SAVE_EVERY = 5.0  # seconds between cursor saves while nothing is stored
MAX_BACKOFF = 300.0
IDS = r"\bCVE-\d{4}-\d{4,7}\b|\bGHSA(?:-[23456789cfghjmpqrvwx]{4}){3}\b"


class PostFilter:
    """Which posts are kept: one regular expression over the text, and the hashtags."""

    def __init__(self, config: BlueskyConfig):
        words = [re.escape(k) for k in config.keywords]
        parts = ([IDS] if config.cves else []) + ([rf"\b(?:{'|'.join(words)})\b"] if words else [])
        self.pattern = re.compile("|".join(parts), re.IGNORECASE) if parts else None
        self.tags = {t.lstrip("#").lower() for t in config.tags}

    def keeps(self, text: str, tags: set[str]) -> bool:
        if self.tags & tags:
            return True
        return bool(self.pattern and self.pattern.search(text))


def post_tags(record: dict, text: str) -> set[str]:
    """Hashtags of a post: its facets' #tag features, and '#word' in the text."""
    found = {w.lower() for w in re.findall(r"#(\w+)", text)}
    for facet in record.get("facets") or []:
        for feature in (facet or {}).get("features") or []:
            if isinstance(feature, dict) and feature.get("$type", "").endswith("#tag"):
                found.add(str(feature.get("tag", "")).lower())
    return found


def post_message(event: dict, config: BlueskyConfig, keep: PostFilter,
                 limit: int) -> Message | None:  # fmt: skip
    """A Jetstream event as a message: only new posts the filter keeps; None for the rest."""
    commit = event.get("commit")
    if event.get("kind") != "commit" or not isinstance(commit, dict):
        return None
    if commit.get("operation") != "create" or commit.get("collection") != POST:
        return None
    record, did = commit.get("record") or {}, str(event.get("did", ""))
    raw = record.get("text") if isinstance(record, dict) else None
    if not isinstance(raw, str) or did in config.ignore:
        return None
    if not keep.keeps(raw, post_tags(record, raw)):
        return None
    text, cut = clean_text(raw, limit)
    rkey = str(commit.get("rkey", ""))
    uri = f"at://{did}/{POST}/{rkey}"
    return Message(message_id("bluesky", uri), "bluesky", config.name, config.name, did,
                   utc_from_micros(int(event["time_us"])), text,
                   f"https://bsky.app/profile/{did}/post/{rkey}", cut)  # fmt: skip


def subscribe_url(config: BlueskyConfig, cursor: int | None, rewind: int = REWIND_US) -> str:
    """The endpoint with our filter: posts only, events over 64 KB dropped by the server."""
    query = [("wantedCollections", POST), ("maxMessageSizeBytes", "65536")]
    if cursor:
        query.append(("cursor", str(max(0, cursor - rewind))))
    split = urllib.parse.urlsplit(config.url)
    return urllib.parse.urlunsplit(split._replace(query=urllib.parse.urlencode(query)))


class Stalled(Exception):
    """The stream sent nothing for idle_timeout (a server that still answers pings)."""


class Stream:
    """One Jetstream subscription, reconnecting from its cursor until stopped."""

    def __init__(self, config: BlueskyConfig, link, limit: int, stop: threading.Event):
        self.config, self.link, self.limit, self.stop = config, link, limit, stop
        self.keep = PostFilter(config)
        self.cursor: int | None = link.cursor()
        self.rewind = REWIND_US  # none right after skipping past what cannot be delivered
        self.saved_at = 0.0

    def running(self) -> bool:
        return not self.stop.is_set() and self.link.running()

    async def run(self) -> None:
        delay = first = max(0.1, self.config.reconnect.total_seconds())
        while self.running():
            self._check_lookback()
            self.link.connecting(self.config.url)
            try:
                url = subscribe_url(self.config, self.cursor, self.rewind)
                self.rewind = REWIND_US
                async with connect(url, max_size=MAX_FRAME, ping_interval=20, ping_timeout=20,
                                   open_timeout=10, close_timeout=2,
                                   user_agent_header=USER_AGENT) as ws:  # fmt: skip
                    self.link.up(f"subscribed to {self.config.url}")
                    delay = first
                    await self._read(ws)
            except ConnectionClosed as closed:
                self._closed(closed)
            except (Stalled, TimeoutError, OSError, InvalidHandshake, InvalidURI) as error:
                self.link.down(_words(error, self.config))
            self._save(force=True)
            await self._pause(delay * (0.5 + random.random()))
            delay = min(delay * 2, MAX_BACKOFF)
        self._save(force=True)
        self.link.stopped()

    async def _read(self, ws) -> None:
        idle = self.config.idle_timeout.total_seconds()
        heard = time.monotonic()
        resumed_from = self.cursor or 0
        while self.running():
            try:
                raw = await asyncio.wait_for(ws.recv(decode=False), timeout=0.5)
            except TimeoutError:
                if time.monotonic() - heard > idle:
                    raise Stalled(f"nothing received for {idle:g} s") from None
                self._save()
                self.link.publish()
                continue
            heard = time.monotonic()
            self._handle(raw, resumed_from)

    def _handle(self, raw: bytes, resumed_from: int) -> None:
        try:
            event = json.loads(raw)
            time_us = int(event["time_us"])
        except (ValueError, TypeError, KeyError):
            self.link.skip("unreadable (not JSON, or no time)")
            return
        if time_us < resumed_from:  # replayed by the rewind: handled before
            return
        try:
            message = post_message(event, self.config, self.keep, self.limit)
        except (ValueError, TypeError, AttributeError, KeyError):
            message = None
            self.link.skip("unreadable post")
        stored = message is not None and self.link.add(message)
        self.cursor = max(self.cursor or 0, time_us)
        self._save(force=stored)

    def _closed(self, closed: ConnectionClosed) -> None:
        code = closed.rcvd.code if closed.rcvd else (closed.sent.code if closed.sent else None)
        if code in (1009, 1007) and self.cursor:  # it would come again from the same cursor
            self.link.skip("frame over 1 MiB" if code == 1009 else "frame not UTF-8")
            start = utc_from_micros(self.cursor).isoformat()
            self.cursor += 1_000_000
            self.rewind = 0
            self.link.gap(start, utc_from_micros(self.cursor).isoformat(),
                          "1 s skipped past a message the stream cannot deliver")  # fmt: skip
        self.link.down(f"the stream closed ({code or 'no close frame'})")

    def _check_lookback(self) -> None:
        """A cursor older than Jetstream keeps: the server replays from its oldest, silently."""
        if not self.cursor:
            return
        oldest = self.link.now() - LOOKBACK
        if utc_from_micros(self.cursor) < oldest:
            self.link.gap(utc_from_micros(self.cursor).isoformat(), oldest.isoformat(),
                          "longer away than Jetstream keeps (36 h)")  # fmt: skip
            self.cursor = int(oldest.timestamp() * 1_000_000)

    def _save(self, force: bool = False) -> None:
        if self.cursor and (force or time.monotonic() - self.saved_at > SAVE_EVERY):
            self.link.save_cursor(self.cursor)
            self.saved_at = time.monotonic()

    async def _pause(self, seconds: float) -> None:
        until = time.monotonic() + seconds
        while self.running() and time.monotonic() < until:
            await asyncio.sleep(min(0.2, until - time.monotonic()))


def _words(error: Exception, config: BlueskyConfig) -> str:
    if isinstance(error, Stalled):
        return f"the stream stalled: {error}"
    if isinstance(error, TimeoutError):
        return f"no answer from {config.url} within 10 s"
    return f"cannot connect to {config.url}: {error}"


def listen(config: BlueskyConfig, link, limit: int, stop: threading.Event) -> None:
    """Run one Jetstream subscription until `stop` is set (or the link loses its lead)."""
    asyncio.run(Stream(config, link, limit, stop).run())
