"""Feeds as hostile input: entity bombs, external entities, bodies that name files, trickling
servers, dates, JSON Feed, whole-text CVEs and text decoded exactly once."""

import http.server
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from socwall.feeds import feed_parse, fetch, news

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
NOW = datetime(2026, 3, 16, 12, 0, tzinfo=UTC)


def quadratic_feed(repeat: int = 10_000) -> bytes:
    entity = "x" * 10_000
    body = "&a;" * repeat
    return (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "{entity}">]>'
            f"<rss version=\"2.0\"><channel><title>t</title><item><title>{body}</title>"
            "</item></channel></rss>").encode()  # fmt: skip


def test_a_quadratic_blowup_is_refused_at_once():
    data = quadratic_feed()
    started = time.perf_counter()
    with pytest.raises(feed_parse.FeedError, match="declares XML entities"):
        news.parse_feed(data, "evil", None, NOW)
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-16-le", "utf-16-be",
                                      "utf-32-le", "utf-32-be"])  # fmt: skip
def test_entity_declarations_are_refused_in_every_xml_encoding(encoding):
    """BOM-less UTF-16 passed an ASCII-only check and feedparser expanded the entity."""
    data = quadratic_feed(10).decode().encode(encoding)
    with pytest.raises(feed_parse.FeedError, match="declares XML entities"):
        news.parse_feed(data, "evil", None, NOW)


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not beside the repo")
def test_defusedxml_hostile_documents_stay_bounded_and_read_no_file():
    for path in sorted((SHARED / "feeds" / "hostile").glob("*.xml")):
        started = time.perf_counter()
        try:
            entries, _ = news.parse_feed(path.read_bytes(), "hostile", None, NOW)
        except ValueError:
            entries = []
        assert time.perf_counter() - started < 1.0, path.name
        assert all(len(e["title"]) <= feed_parse.TITLE_CHARS for e in entries)
        assert not any("simple" in e["title"] for e in entries), path.name  # no file was read


def test_a_body_that_names_a_local_file_is_not_read(tmp_path):
    feed = tmp_path / "local.xml"
    feed.write_text('<rss version="2.0"><channel><title>t</title><item><title>SECRET ITEM'
                    "</title></item></channel></rss>")  # fmt: skip
    for body in (str(feed).encode(), b"/dev/zero", f"file://{feed}".encode()):
        with pytest.raises(ValueError):
            news.parse_feed(body, "named", None, NOW)


def test_dev_zero_as_a_body_keeps_memory_small(tmp_path):
    """In a child process: the parse of a body naming /dev/zero ends fast and small."""
    # VmHWM is this process's own peak; ru_maxrss would carry the forking parent's peak along
    code = ("from datetime import datetime, UTC\n"
            "from socwall.feeds import news\n"
            "try:\n    news.parse_feed(b'/dev/zero', 'z', None, datetime.now(UTC))\n"
            "except ValueError:\n    pass\n"
            "status = open('/proc/self/status').read().split('VmHWM:')[1]\n"
            "print(status.split()[0])")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) < 400_000  # kB: the interpreter and its imports, no 1 GB


class _Trickle(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.end_headers()
        try:
            for _ in range(40):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.25)
        except OSError:
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def trickling_url():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/feed"
    server.shutdown()


def test_a_trickling_server_is_given_up_at_the_deadline(trickling_url):
    started = time.perf_counter()
    with pytest.raises(fetch.FetchError, match="deadline"):
        fetch.fetch(trickling_url, timeout=1.5, allow_hosts=["127.0.0.1"])
    assert time.perf_counter() - started < 3.0  # the deadline plus at most one read


def test_a_slow_feed_does_not_hold_back_the_others(trickling_url, tmp_path, store, redis_url, prefix):
    from tests.feeds.test_news import RSS2, news_source

    (tmp_path / "good.xml").write_bytes(RSS2)
    source = news_source(tmp_path, redis_url, prefix,
                         {"slow": trickling_url, "good": str(tmp_path / "good.xml")},
                         timeout="2s")  # fmt: skip
    started = time.perf_counter()
    stats = source.ingest(store, NOW)
    assert stats["feeds"]["good"] == 2 and stats["feeds"]["slow"] == "failed"
    assert any(w.startswith("slow: no complete answer within") for w in stats["warnings"])
    assert time.perf_counter() - started < 2 + 2


def test_dates_in_other_forms_undated_entries_and_future_dates():
    items = "".join(
        f"<item><title>{t}</title><guid>{i}</guid>{d}</item>"
        for i, (t, d) in enumerate([
            ("vendor blog", "<pubDate>Jul 23, 2025 00:00:00-0500</pubDate>"),
            ("no zone", "<pubDate>27 May 2025 16:35:17</pubDate>"),
            ("from the future", "<pubDate>Wed, 01 Jan 2031 00:00:00 GMT</pubDate>"),
            ("no date", ""),
        ])
    )  # fmt: skip
    data = f'<rss version="2.0"><channel><title>x</title>{items}</channel></rss>'.encode()
    entries, _ = news.parse_feed(data, "dates", None, NOW)
    when = {e["title"]: (e["published"], e["undated"]) for e in entries}
    assert when["vendor blog"] == ("2025-07-23T05:00:00+00:00", False)
    assert when["no zone"] == ("2025-05-27T16:35:17+00:00", False)
    assert when["from the future"] == (NOW.isoformat(), False)  # clamped to the read time
    assert when["no date"] == (NOW.isoformat(), True)


def test_cves_come_from_the_whole_text_not_the_first_2000_characters():
    filler = "Routinely exploited vulnerabilities. " * 200  # 7,400 characters
    content = f"<p>{filler}</p><ul><li>CVE-2023-3519</li><li>cve-2023-4966</li></ul>"
    data = (f'<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
            f"<channel><title>cisa</title><item><title>Advisory</title><description>short"
            f"</description><content:encoded><![CDATA[{content}]]></content:encoded></item>"
            "</channel></rss>").encode()  # fmt: skip
    (entry,), _ = news.parse_feed(data, "cisa", None, NOW)
    assert entry["cves"] == ["CVE-2023-3519", "CVE-2023-4966"]
    assert len(entry["summary"]) <= feed_parse.SUMMARY_CHARS


def test_text_is_decoded_exactly_once():
    atom = (b'<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title><entry><id>1</id>'
            b'<title type="text">Generic&lt;T&gt; in List&lt;String&gt;</title>'
            b'<summary type="html">&amp;lt;img src=x onerror=alert(1)&amp;gt; shown</summary>'
            b"<updated>2026-03-15T00:00:00Z</updated></entry></feed>")  # fmt: skip
    (entry,), _ = news.parse_feed(atom, "atom", None, NOW)
    assert entry["title"] == "Generic<T> in List<String>"
    assert entry["summary"] == "<img src=x onerror=alert(1)> shown"


def test_json_feed_items():
    data = (b'{"version": "https://jsonfeed.org/version/1.1", "title": "pip", "items": ['
            b'{"id": "GHSA-1", "url": "https://x/1", "title": "[pkg] RCE via CVE-2026-1234",'
            b' "content_html": "<p>Impact</p><p>details</p>", "date_published": "2026-03-14T10:00:00Z"}]}')  # fmt: skip
    (entry,), problem = news.parse_feed(data, "json", None, NOW)
    assert problem is None and entry["cves"] == ["CVE-2026-1234"]
    assert entry["published"] == "2026-03-14T10:00:00+00:00" and entry["summary"] == "Impact details"
    with pytest.raises(ValueError, match="not a feed; JSON Feed 1.1 expected"):
        news.parse_feed(b'{"hello": "world"}', "json", None, NOW)


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not beside the repo")
def test_real_json_feed_and_its_rss_twin_give_the_same_advisories():
    real = SHARED / "feeds" / "real"
    from_json, _ = news.parse_feed((real / "ghsa_pip_advisories_2026-03-15.jsonfeed.json").read_bytes(), "j", None, NOW)
    from_atom, _ = news.parse_feed((real / "ghsa_pip_advisories_2026-03-15.rss.xml").read_bytes(), "a", None, NOW)
    assert len(from_json) == len(from_atom) == 20
    assert sorted(e["title"] for e in from_json) == sorted(e["title"] for e in from_atom)


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not beside the repo")
def test_the_fast_rss_path_gives_exactly_feedparsers_entries_on_a_big_real_feed(monkeypatch):
    data = (SHARED / "feeds" / "real" / "ransomwatch_rss_feed_2025-04-17.xml").read_bytes()
    fast = feed_parse.parse_plain_rss2(data, "r", NOW)
    monkeypatch.setattr(feed_parse, "FAST_PATH_BYTES", 1 << 62)
    slow, _ = feed_parse.parse_feed(data, "r", None, NOW)
    assert len(fast) == len(slow) == 15773  # the README says 15,773 items
    assert fast == slow
