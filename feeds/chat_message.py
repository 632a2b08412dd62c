"""The one record every chat transport produces, and the text hygiene all of them share.

A message is `{source, channel, author, time, text, url}` plus its `id` (stable across
re-reads: the store keeps each id once), `via` (the configured connection's name), `ts` (the
store's time key, equal to `time`) and `cut` (its text was longer than the source keeps).
Text is plain text: control characters, bidirectional overrides and zero-width characters
are removed, whitespace is collapsed, and it is never rendered as HTML.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from socwall.text import one_line


def clean_text(text: str, limit: int) -> tuple[str, bool]:
    """One line of visible plain text (socwall/text.py), at most `limit` characters; True
    when it was cut."""
    text = one_line(text)
    return text[:limit], len(text) > limit


def message_id(*parts: str) -> str:
    """A short stable id from what identifies a message (a URI, or network/channel/time/text)."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "replace")).hexdigest()[:24]


def mask(handle: str, salt: str) -> str:
    """A pseudonym for an author handle: the same handle gives the same pseudonym, so distinct
    authors can still be counted, but the wall and the store never hold the handle itself."""
    return "anon-" + hashlib.sha256(f"{salt}\x1f{handle.lower()}".encode()).hexdigest()[:6]


@dataclass(frozen=True)
class Message:
    """A chat or social message as every transport hands it over."""

    id: str
    source: str  # irc, mastodon, bluesky
    via: str  # the configured connection's name
    channel: str  # '#soc', '#cve', 'jetstream'
    author: str
    time: datetime  # UTC
    text: str
    url: str | None = None
    cut: bool = False

    def record(self) -> dict:
        """The stored JSON record (`ts` is the store's time key)."""
        stamp = self.time.astimezone(UTC).isoformat()
        return {"id": self.id, "source": self.source, "via": self.via, "channel": self.channel,
                "author": self.author, "time": stamp, "ts": stamp, "text": self.text,
                "url": self.url, "cut": self.cut}  # fmt: skip


SOURCE_NAMES = {"irc": "IRC", "mastodon": "Mastodon", "bluesky": "Bluesky"}


def where(record: dict) -> str:
    """Where a message was said, as the wall names it: 'IRC #soc', 'Mastodon #cve', 'Bluesky'."""
    name = SOURCE_NAMES.get(record["source"], record["source"])
    channel = record.get("channel") or ""
    return f"{name} {channel}" if channel.startswith(("#", "&", "@")) else name


def utc_from_micros(micros: int) -> datetime:
    return datetime.fromtimestamp(micros / 1_000_000, UTC)
