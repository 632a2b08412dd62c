# ruff: noqa: E501
"""Feed formats: dates feedparser cannot read, JSON Feed, text decoded once, the fast reader
agreeing with feedparser, and the real feeds counted independently."""

import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from hypothesis import given
from hypothesis import strategies as st
from socwall.feeds import dates, news

from tests.feeds.test_news import ATOM, RSS2

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "feeds"
NOW = datetime(2025, 8, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("text,expected", [
    ("Jul 23, 2025 00:00:00-0500", datetime(2025, 7, 23, 5, tzinfo=UTC)),
    ("27 May 2025 16:35:17", datetime(2025, 5, 27, 16, 35, 17, tzinfo=UTC)),
    ("Wed, 16 Apr 2025 22:37:18 +0000", datetime(2025, 4, 16, 22, 37, 18, tzinfo=UTC)),
    ("Wed, 16 Apr 2025 22:37:18 -0130", datetime(2025, 4, 17, 0, 7, 18, tzinfo=UTC)),
    ("2025-05-01T09:00:00+02:00", datetime(2025, 5, 1, 7, tzinfo=UTC)),
    ("Thu, 31 Feb 2025 08:30:00 GMT", None), ("soon", None), ("", None), (None, None),
])  # fmt: skip
def test_dates_in_the_forms_feeds_write(text, expected):
    assert dates.parse_date(text) == expected


@given(st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2100, 1, 1)))
def test_rfc822_fast_path_agrees_with_the_email_module(moment):
    from email.utils import format_datetime

    stamp = moment.replace(microsecond=0, tzinfo=UTC)
    assert dates.parse_date(format_datetime(stamp)) == stamp


def rss(items: str) -> bytes:
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()  # noqa: E501


def test_undated_and_future_entries(store):
    body = rss("<item><title>old post, odd date</title><link>https://v.example/1</link>"
               "<pubDate>Jul 23, 2025 00:00:00-0500</pubDate></item>"
               "<item><title>no date at all</title><link>https://v.example/2</link></item>"
               "<item><title>from the future</title><link>https://v.example/3</link>"
               "<pubDate>Fri, 01 Aug 2031 00:00:00 GMT</pubDate></item>")  # fmt: skip
    entries, _ = news.parse_feed(body, "vendor")
    assert [e["published"] for e in entries] == ["2025-07-23T05:00:00+00:00", None,
                                                 "2031-08-01T00:00:00+00:00"]  # fmt: skip


def test_plain_text_titles_keep_angle_brackets_and_html_decodes_once():
    atom = ATOM.replace(b'<title type="html">Fortinet &lt;em&gt;FortiOS&lt;/em&gt; advisory</title>',
                        b'<title type="text">Generic&lt;T&gt; in List&lt;String&gt;</title>')  # fmt: skip
    atom = atom.replace(b"&lt;p&gt;Heap", b"&lt;p&gt;&amp;amp;lt;img&amp;amp;gt; Heap")
    entry = news.parse_feed(atom, "vendor")[0][0]
    assert entry["title"] == "Generic<T> in List<String>"
    assert entry["summary"].startswith("&lt;img&gt; Heap overflow")  # HTML '&amp;lt;' once


def test_json_feed_and_unknown_formats_say_what_they_are():
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "x", "items": [
        {"id": "1", "title": "A <b> in a text title", "content_html": "<p>CVE-2025-1111 &amp; more</p>",
         "date_published": "2025-07-01T10:00:00Z", "url": "https://x.example/1"}]}  # fmt: skip
    entries, problem = news.parse_feed(json.dumps(doc).encode(), "jf")
    assert problem is None and entries[0]["title"] == "A <b> in a text title"
    assert entries[0]["summary"] == "CVE-2025-1111 & more" and entries[0]["cves"] == ["CVE-2025-1111"]
    with pytest.raises(ValueError, match="not a JSON Feed"):
        news.parse_feed(b'{"vulnerabilities": []}', "x")
    with pytest.raises(ValueError, match="saw an HTML page"):
        news.parse_feed(b"<!DOCTYPE html><html><body>login</body></html>", "x")


def test_cves_come_from_the_whole_content_not_the_first_characters():
    filler = "padding text. " * 800  # 11,200 characters before the ids
    content = f"<p>{filler}</p><ul>" + "".join(f"<li>CVE-2024-{n}</li>" for n in range(1000, 1071))
    body = rss("<item><title>Routinely exploited vulnerabilities</title><link>https://c.example/a</link>"
               f"<description><![CDATA[{content}</ul>]]></description></item>")  # fmt: skip
    entry = news.parse_feed(body, "cisa")[0][0]
    assert len(entry["cves"]) == 71 and len(entry["summary"]) == news.MAX_SUMMARY


def test_fields_are_capped():
    body = rss(f"<item><title>{'x' * 50_000}</title><description>{'y ' * 100_000}</description>"
               "<link>https://c.example/a</link></item>")  # fmt: skip
    entry = news.parse_feed(body, "big")[0][0]
    assert len(entry["title"]) == news.MAX_TITLE and len(entry["summary"]) == news.MAX_SUMMARY


def test_fast_reader_gives_feedparsers_entries():
    for body in (RSS2, ATOM):
        ours, _ = news.parse_feed(body, "f")
        theirs = feedparser.parse(io.BytesIO(body)).entries
        assert [e["id"] for e in ours] == [t.get("id", "") for t in theirs]
        assert [e["link"] for e in ours] == [t.get("link", "") for t in theirs]


REAL = sorted((SHARED / "real").glob("*")) + sorted((SHARED / "xss_text").glob("*"))


@pytest.mark.skipif(not REAL, reason="../shared/data is not beside the repo")
@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name)
def test_real_feeds_every_item_and_every_cve(path):
    raw = path.read_bytes()
    entries, problem = news.parse_feed(raw, "real")
    if path.suffix == ".json":
        items = len(json.loads(raw)["items"])
    else:  # an independent count: item/entry start tags in the bytes
        items = len(re.findall(rb"<(?:item|entry)[ >]", raw))
    cves = {m.upper() for m in re.findall(r"CVE-\d{4}-\d{4,7}(?!\d)", raw.decode(), re.I)}
    assert problem is None and len(entries) == items
    assert {c for e in entries for c in e["cves"]} == cves
    assert all(e["published"] for e in entries)
    if path.name.startswith("ghsa_pip"):  # the same feed as RSS and as JSON Feed
        other = path.with_name("ghsa_pip_advisories_2026-03-15.rss.xml")
        assert [e["cves"] for e in entries] == [e["cves"] for e in news.parse_feed(
            other.read_bytes(), "real")[0]]  # fmt: skip


def test_future_dates_clamped_and_undated_backfill_marked(store, tmp_path):
    path = tmp_path / "f.xml"
    path.write_bytes(rss("<item><title>undated</title><link>https://u.example/1</link></item>"
                         "<item><title>future</title><link>https://u.example/2</link>"
                         "<pubDate>Fri, 01 Aug 2031 00:00:00 GMT</pubDate></item>"))  # fmt: skip
    config = news.NewsConfig.model_validate({"type": "news", "feeds": [
        {"name": "u", "location": str(path)}]}, context={"base_dir": tmp_path})  # fmt: skip
    stats = news.Source(config, "news").ingest(store, NOW)
    assert stats["undated"] == 1 and "1 entries without a usable date" in stats["warnings"][0]
    stored = {e["title"]: e for e in store.entries_since("news", NOW - timedelta(days=1))}
    assert stored["future"]["published"] == NOW.isoformat()
    assert stored["undated"]["backfill"] is True and stored["undated"]["undated"] is True
    # a later read: a new undated entry is news of now, not backlog
    path.write_bytes(path.read_bytes().replace(b"</channel>", b"<item><title>later</title>"
                                               b"<link>https://u.example/3</link></item></channel>"))  # fmt: skip
    news.Source(config, "news").ingest(store, NOW + timedelta(hours=1))
    later = [e for e in store.entries_since("news", NOW) if e["title"] == "later"][0]
    assert later["backfill"] is False
