"""The `news` source: RSS/Atom feeds fetched on a schedule, parsed by feedparser, kept as text."""

import calendar
import hashlib
import html
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Literal

import feedparser
from pydantic import Field
from socwall.dashboard.types import ConfigPath, Duration, Identifier, Strict
from socwall.feeds import fetch


class FeedConfig(Strict):
    name: Identifier
    location: ConfigPath = Field(description="an http(s) URL or a local file")


class NewsConfig(Strict):
    type: Literal["news"]
    feeds: list[FeedConfig] = Field(min_length=1)
    refresh: Duration = "15m"
    retention: Duration = Field("35d", description="entries kept; trends need a background window")
    timeout: Duration = "15s"
    max_bytes: int = Field(5 << 20, gt=0, description="a larger feed is refused")


Config = NewsConfig


class _TextOnly(HTMLParser):
    """Collects the text of an HTML fragment; script and style contents are dropped."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.hidden -= tag in ("script", "style") and self.hidden > 0

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def plain_text(fragment: str | None) -> str:
    """HTML (or text) as one line of plain text: tags stripped, entities decoded, one space."""
    if not fragment:
        return ""
    parser = _TextOnly()
    parser.feed(fragment)
    parser.close()
    return " ".join(html.unescape("".join(parser.parts)).split())


def parse_feed(
    data: bytes, feed: str, content_type: str | None = None
) -> tuple[list[dict], str | None]:
    """Entries of an RSS/Atom document as plain-text records, and a problem worth showing.

    An ill-formed feed that feedparser can still read yields its entries and a warning; one it
    cannot read raises ValueError with the reason.
    """
    headers = {"content-type": content_type} if content_type else None
    parsed = feedparser.parse(data, response_headers=headers)
    if parsed.bozo and not parsed.entries:
        raise ValueError(f"not a readable feed: {_reason(parsed)}")
    if not parsed.entries and not parsed.get("version"):
        raise ValueError("not a feed: no RSS or Atom document found")
    entries = [_entry(e, feed) for e in parsed.entries]
    problem = (
        f"ill-formed, {len(entries)} entries recovered: {_reason(parsed)}" if parsed.bozo else None
    )
    return [e for e in entries if e["title"] or e["summary"]], problem


def _reason(parsed) -> str:
    return " ".join(str(parsed.get("bozo_exception", "unknown error")).split())[:160]


def _entry(item, feed: str) -> dict:
    content = item.get("content") or [{}]
    summary = item.get("summary") or content[0].get("value")
    stamp = item.get("published_parsed") or item.get("updated_parsed")
    published = datetime.fromtimestamp(calendar.timegm(stamp), UTC).isoformat() if stamp else None
    return {
        "feed": feed,
        "id": item.get("id") or "",
        "link": item.get("link") or "",
        "title": plain_text(item.get("title")),
        "summary": plain_text(summary)[:2000],
        "published": published,
    }


def entry_key(entry: dict) -> str:
    """The identity of an entry across fetches and feeds: its id, else link, else title + date."""
    identity = entry["id"] or entry["link"] or f"{entry['title'].lower()}|{entry['published']}"
    return hashlib.sha1(re.sub(r"\s+", " ", identity.strip()).encode()).hexdigest()[:20]


class Source:
    """Fetches every feed when due; new entries are stored once; one broken feed stops nothing."""

    def __init__(self, config: NewsConfig, source_id: str):
        self.config, self.source_id = config, source_id

    def ingest(self, store, now: datetime) -> dict:
        stats = {"rows": 0, "bad_rows": 0, "newest": None, "warnings": [], "feeds": {}}
        for feed in self.config.feeds:
            try:
                added, problem = self._one(store, feed, now)
            except (fetch.FetchError, ValueError) as error:
                added, problem = None, str(error)
            stats["feeds"][feed.name] = "failed" if added is None else added
            stats["rows"] += added or 0
            if problem:
                stats["warnings"].append(f"{feed.name}: {problem}")
        store.drop_old_entries(self.source_id, now - self.config.retention)
        if all(result == "failed" for result in stats["feeds"].values()):
            raise ValueError("every feed failed: " + "; ".join(stats["warnings"]))
        return stats

    def _one(self, store, feed: FeedConfig, now: datetime) -> tuple[int, str | None]:
        """New entries stored from one feed, and a problem worth showing (ill-formed, backoff)."""
        limits = {
            "timeout": self.config.timeout.total_seconds(),
            "max_bytes": self.config.max_bytes,
        }
        fetched = fetch.fetch_tracked(store, self.source_id, feed.name, feed.location,
                                      self.config.refresh, now, **limits)  # fmt: skip
        if fetched is None:
            return 0, "backing off after failures"
        if fetched.body is None:
            return 0, None  # not modified: nothing is written
        entries, problem = parse_feed(fetched.body, feed.name, fetched.content_type)
        for entry in entries:
            entry["published"] = entry["published"] or now.isoformat()
        return store.add_entries(self.source_id, {entry_key(e): e for e in entries}), problem
