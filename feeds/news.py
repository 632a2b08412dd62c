"""The `news` source: RSS, Atom and JSON feeds fetched on a schedule, kept as plain text."""

import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime
from html.parser import HTMLParser
from typing import Literal

from pydantic import Field
from socwall.dashboard.types import ConfigPath, Duration, Identifier, Strict
from socwall.feeds import dates, feed_formats, fetch


class FeedConfig(Strict):
    name: Identifier
    location: ConfigPath = Field(description="an http(s) URL or a local file")


class NewsConfig(Strict):
    type: Literal["news"]
    feeds: list[FeedConfig] = Field(min_length=1)
    refresh: Duration = "15m"
    retention: Duration = Field("35d", description="entries kept; trends need a background window")
    timeout: Duration = Field("15s", description="total deadline per fetch: connect + body")
    max_bytes: int = Field(5 << 20, gt=0, description="a larger feed is refused")
    concurrency: int = Field(4, ge=1, le=32, description="feeds fetched at the same time")


Config = NewsConfig


MAX_TITLE = 300  # characters kept per field; CVE ids are found in the whole text first
MAX_SUMMARY = 2000
MAX_TEXT = 1 << 20  # text per entry searched for CVE ids; more is cut
CVE = re.compile(r"\bCVE-(\d{4})-(\d{4,7})\b", re.IGNORECASE)


BLOCKS = frozenset("p div br li ul ol h1 h2 h3 h4 h5 h6 tr td th table pre blockquote section "
                   "article hr dd dt dl header footer".split())  # fmt: skip


class _TextOnly(HTMLParser):
    """Collects the text of an HTML fragment; script and style contents are dropped."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in ("script", "style")
        if tag in BLOCKS:
            self.parts.append(" ")  # '<li>CVE-1</li><li>CVE-2</li>' is two words

    def handle_endtag(self, tag):
        self.hidden -= tag in ("script", "style") and self.hidden > 0
        if tag in BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def plain_text(fragment: str | None, is_html: bool = True) -> str:
    """A field as one line of plain text: HTML has its tags stripped and entities decoded once;
    plain text is kept as it is (only its white space folded)."""
    if not fragment:
        return ""
    if is_html and ("<" in fragment or "&" in fragment):
        parser = _TextOnly()
        parser.feed(fragment)
        parser.close()
        fragment = "".join(parser.parts)
    return " ".join(fragment.split())


def find_cves(text: str) -> list[str]:
    """Distinct CVE ids in a text, normalized and in order of first mention."""
    found = (f"CVE-{year}-{number}" for year, number in CVE.findall(text))
    return list(dict.fromkeys(found))


def parse_feed(
    data: bytes, feed: str, content_type: str | None = None
) -> tuple[list[dict], str | None]:
    """Entries of a feed document as plain-text records, and a problem worth showing.

    An ill-formed feed that can still be read yields its entries and a warning; one that
    cannot be read, or declares XML entities, raises ValueError with the reason.
    """
    document = feed_formats.read_document(data, content_type)
    entries = [_entry(raw, feed) for raw in document.entries]
    return [e for e in entries if e["title"] or e["summary"]], document.problem


def _entry(raw: feed_formats.RawEntry, feed: str) -> dict:
    title = plain_text(raw.title[:MAX_TEXT], raw.title_html)
    summary = plain_text(raw.summary[:MAX_TEXT], raw.summary_html)
    content = plain_text(raw.content[:MAX_TEXT], raw.content_html)
    published = dates.parse_date(raw.date, raw.parsed_date)
    return {
        "feed": feed,
        "id": raw.id[:500],
        "link": raw.link[:1000],
        "title": title[:MAX_TITLE],
        "summary": (summary or content)[:MAX_SUMMARY],
        "cves": find_cves(f"{title} {summary} {content}"),
        "published": published.isoformat() if published else None,
    }


def entry_key(entry: dict) -> str:
    """The identity of an entry across fetches and feeds: its id, else link, else title + date."""
    identity = entry["id"] or entry["link"] or f"{entry['title'].lower()}|{entry['published']}"
    return hashlib.sha1(re.sub(r"\s+", " ", identity.strip()).encode()).hexdigest()[:20]


class Source:
    """Fetches every feed when due, several at once, each within its deadline; new entries are
    stored once; one slow or broken feed stops nothing."""

    def __init__(self, config: NewsConfig, source_id: str):
        self.config, self.source_id = config, source_id

    def ingest(self, store, now: datetime) -> dict:
        stats = {"rows": 0, "bad_rows": 0, "newest": None, "warnings": [], "feeds": {},
                 "undated": 0}  # fmt: skip
        first_reads = {f.name: not store.fetch_state(self.source_id, f.name).get("ok_at")
                       for f in self.config.feeds}  # fmt: skip
        for feed, fetched in self._fetch_all(store, now):
            try:
                added, undated, problem = self._store(store, feed, fetched, now,
                                                      first_reads[feed.name])  # fmt: skip
            except (fetch.FetchError, ValueError) as error:
                added, undated, problem = None, 0, str(error)
            stats["feeds"][feed.name] = "failed" if added is None else added
            stats["rows"] += added or 0
            stats["undated"] += undated
            if problem:
                stats["warnings"].append(f"{feed.name}: {problem}")
        store.drop_old_entries(self.source_id, now - self.config.retention)
        if all(result == "failed" for result in stats["feeds"].values()):
            raise ValueError("every feed failed: " + "; ".join(stats["warnings"]))
        return stats

    def _fetch_all(self, store, now: datetime):
        """(feed, fetch result or the FetchError) per feed, fetched concurrently."""
        limits = {"timeout": self.config.timeout.total_seconds(),
                  "max_bytes": self.config.max_bytes}  # fmt: skip
        grace = limits["timeout"] * 2 + 5  # the deadline is checked between reads
        pool = ThreadPoolExecutor(max_workers=self.config.concurrency)
        try:
            futures = {
                feed.name: pool.submit(fetch.fetch_tracked, store, self.source_id, feed.name,
                                       feed.location, self.config.refresh, now, **limits)
                for feed in self.config.feeds
            }  # fmt: skip
            for feed in self.config.feeds:
                try:
                    yield feed, futures[feed.name].result(timeout=grace)
                except fetch.FetchError as error:
                    yield feed, error
                except FutureTimeout:
                    yield feed, fetch.FetchError(f"no complete answer within {grace:g} s")
        finally:
            pool.shutdown(wait=False, cancel_futures=True)  # a stuck read never holds the job

    def _store(self, store, feed: FeedConfig, fetched, now: datetime,
               first_read: bool) -> tuple[int, int, str | None]:  # fmt: skip
        """New entries stored from one feed, its undated count, and a problem worth showing."""
        if isinstance(fetched, Exception):
            raise fetched
        if fetched is None:
            return 0, 0, "backing off after failures"
        if fetched.body is None:
            return 0, 0, None  # not modified: nothing is written
        entries, problem = parse_feed(fetched.body, feed.name, fetched.content_type)
        undated = 0
        for entry in entries:
            if entry["published"] is None:
                # first seen now; on a feed's first read it is backlog, not news of the hour
                entry.update(published=now.isoformat(), undated=True, backfill=first_read)
                undated += 1
            elif entry["published"] > now.isoformat():
                entry["published"] = now.isoformat()  # a future date is clamped to the fetch
        added = store.add_entries(self.source_id, {entry_key(e): e for e in entries})
        if undated:
            note = f"{undated} entries without a usable date (first-seen time used)"
            problem = f"{problem}; {note}" if problem else note
        return added, undated, problem
