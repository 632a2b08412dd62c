"""The `news` source: RSS/Atom feeds fetched on a schedule, parsed by feedparser, kept as text."""

import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from socwall.errors import in_words
from socwall.feeds import feed_parse, fetch
from socwall.feeds.news_config import (
    Config,  # noqa: F401  (the registry reads news.Config)
    FeedConfig,
    NewsConfig,
)

FETCH_CONCURRENCY = 4  # feeds fetched at once: a slow feed holds one slot, never the others


def parse_feed(data: bytes, feed: str, content_type: str | None = None,
               fetched_at: datetime | None = None) -> tuple[list[dict], str | None]:  # fmt: skip
    """Entries of a feed document as plain-text records, and a problem worth showing
    (see feeds/feed_parse.py); ValueError with the reason when it cannot be read."""
    return feed_parse.parse_feed(data, feed, content_type, fetched_at or datetime.now(UTC))


plain_text = feed_parse.plain_text


def entry_key(entry: dict) -> str:
    """The identity of an entry across fetches and feeds: its id, else link, else title + date."""
    identity = entry["id"] or entry["link"] or f"{entry['title'].lower()}|{entry['published']}"
    return hashlib.sha1(re.sub(r"\s+", " ", identity.strip()).encode()).hexdigest()[:20]


class Source:
    """Fetches every feed when due, a few at once, each within its deadline; new entries are
    stored once; one broken or slow feed stops and delays no other."""

    def __init__(self, config: NewsConfig, source_id: str):
        self.config, self.source_id = config, source_id

    def ingest(self, store, now: datetime) -> dict:
        stats = {"rows": 0, "bad_rows": 0, "newest": None, "warnings": [], "feeds": {},
                 "undated": 0}  # fmt: skip
        with ThreadPoolExecutor(max_workers=FETCH_CONCURRENCY) as pool:
            results = list(pool.map(lambda feed: self._safely(store, feed, now), self.config.feeds))
        for feed, (added, problem, undated) in zip(self.config.feeds, results, strict=True):
            stats["feeds"][feed.name] = "failed" if added is None else added
            stats["rows"] += added or 0
            stats["undated"] += undated
            if problem:
                stats["warnings"].append(f"{feed.name}: {problem}")
        store.drop_old_entries(self.source_id, now - self.config.retention)
        if all(result == "failed" for result in stats["feeds"].values()):
            raise ValueError("every feed failed: " + "; ".join(stats["warnings"]))
        return stats

    def _safely(self, store, feed: FeedConfig, now: datetime) -> tuple:
        try:
            return self._one(store, feed, now)
        except Exception as error:  # noqa: BLE001 - one feed's failure, never the source's
            return None, in_words(error), 0

    def _one(self, store, feed: FeedConfig, now: datetime) -> tuple[int, str | None, int]:
        """New entries stored from one feed, a problem worth showing, and undated entries."""
        limits = {
            "timeout": self.config.timeout.total_seconds(),
            "max_bytes": self.config.max_bytes,
            "allow_hosts": self.config.allow_hosts,
        }
        first_read = not store.fetch_state(self.source_id, feed.name).get("last_success")
        fetched = fetch.fetch_tracked(store, self.source_id, feed.name, feed.location,
                                      self.config.refresh, now, **limits)  # fmt: skip
        if fetched is None:
            return None, fetch.backoff_words(store, self.source_id, feed.name), 0
        if fetched.body is None:
            return 0, None, 0  # not modified: nothing is written
        try:
            entries, problem = parse_feed(fetched.body, feed.name, fetched.content_type, now)
        except Exception as error:  # noqa: BLE001 - unreadable: backed off like a failed fetch
            fetch.record_failure(store, self.source_id, feed.name, self.config.refresh, now, error)
            raise
        for entry in entries:  # undated on a first read: history, not news of the last hours
            entry["backfill"] = bool(entry["undated"] and first_read)
        undated = sum(e["undated"] for e in entries)
        added = store.add_entries(self.source_id, {entry_key(e): e for e in entries})
        return added, problem, undated
