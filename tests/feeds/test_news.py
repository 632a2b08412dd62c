"""The news source: real feed formats, plain text, de-duplication, retention, broken feeds."""

from datetime import UTC, datetime, timedelta

import pytest

from socwall.dashboard.config import parse_config
from socwall.feeds import news
from tests.feeds.test_kev import CatalogServer

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)

RSS2 = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Security Weekly</title><link>https://news.example/</link>
<item><title>SAP patches NetWeaver flaw &amp; urges upgrade</title>
<link>https://news.example/sap-netweaver</link><guid>https://news.example/?p=1</guid>
<pubDate>Thu, 01 May 2025 08:30:00 GMT</pubDate>
<description>&lt;p&gt;Attackers exploit &lt;b&gt;CVE-2025-31324&lt;/b&gt; in the wild.&lt;/p&gt;</description></item>
<item><title>Weekly roundup without a date</title><link>https://news.example/roundup</link></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Vendor advisories</title>
<id>urn:uuid:advisories</id><updated>2025-05-01T09:00:00Z</updated>
<entry><title type="html">Fortinet &lt;em&gt;FortiOS&lt;/em&gt; advisory</title>
<id>urn:uuid:adv-1</id><updated>2025-05-01T09:00:00Z</updated><link href="https://vendor.example/adv-1"/>
<content type="html">&lt;script&gt;alert(1)&lt;/script&gt;&lt;p&gt;Heap overflow in sslvpnd, CVE-2025-24472.&lt;/p&gt;</content>
</entry></feed>"""

RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://cert.example/"><title>CERT notes</title><link>https://cert.example/</link>
<description>notes</description></channel>
<item rdf:about="https://cert.example/n1"><title>Ivanti Connect Secure exploited</title>
<link>https://cert.example/n1</link><dc:date>2025-05-01T07:00:00Z</dc:date></item>
</rdf:RDF>"""

LATIN1_BOM_LESS = """<?xml version="1.0" encoding="iso-8859-1"?>
<rss version="2.0"><channel><title>Sécurité</title><item><title>Vulnérabilité critique corrigée</title>
<link>https://fr.example/1</link><pubDate>Thu, 01 May 2025 06:00:00 +0200</pubDate></item></channel></rss>""".encode(
    "iso-8859-1"
)

ILL_FORMED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Broken</title>
<item><title>Unescaped & ampersand breaks XML</title><link>https://broken.example/1</link></item>
<item><title>Second entry</title><link>https://broken.example/2</link>
</channel></rss>"""


def test_plain_text_strips_tags_decodes_entities_and_drops_scripts():
    assert news.plain_text("<p>Patch <b>now</b> &amp; reboot</p>") == "Patch now & reboot"
    assert news.plain_text("<script>alert(1)</script>Safe") == "Safe"
    assert news.plain_text("&amp;lt;script&amp;gt; shown as text") == "&lt;script&gt; shown as text"  # decoded once
    assert news.plain_text(None) == ""


def test_rss2_with_and_without_dates_and_html_in_description():
    entries, problem = news.parse_feed(RSS2, "weekly")
    assert problem is None and len(entries) == 2
    first, second = entries
    assert first["title"] == "SAP patches NetWeaver flaw & urges upgrade"
    assert first["summary"] == "Attackers exploit CVE-2025-31324 in the wild."
    assert first["published"] == "2025-05-01T08:30:00+00:00" and first["undated"] is False
    assert second["undated"] is True  # no date: the time it was read, and marked
    assert first["cves"] == ["CVE-2025-31324"]


def test_atom_with_html_content_keeps_text_only():
    (entry,), problem = news.parse_feed(ATOM, "vendor")
    assert entry["title"] == "Fortinet FortiOS advisory"
    assert entry["summary"] == "Heap overflow in sslvpnd, CVE-2025-24472."
    assert entry["id"] == "urn:uuid:adv-1"


def test_rss1_rdf_and_a_bom_and_latin1():
    (entry,), _ = news.parse_feed(RDF, "cert")
    assert (entry["title"], entry["published"]) == (
        "Ivanti Connect Secure exploited",
        "2025-05-01T07:00:00+00:00",
    )
    (bom,), _ = news.parse_feed(
        b"\xef\xbb\xbf"
        + RSS2.split(b"<item>", 1)[0]
        + b"<item><title>BOM ok</title></item></channel></rss>",
        "b",
    )
    assert bom["title"] == "BOM ok"
    (latin,), _ = news.parse_feed(LATIN1_BOM_LESS, "fr")
    assert latin["title"] == "Vulnérabilité critique corrigée"
    assert latin["published"] == "2025-05-01T04:00:00+00:00"


def test_ill_formed_feed_yields_what_can_be_read_and_says_so():
    entries, problem = news.parse_feed(ILL_FORMED, "broken")
    assert [e["title"] for e in entries] == ["Unescaped & ampersand breaks XML", "Second entry"]
    assert problem.startswith("ill-formed, 2 entries recovered")


@pytest.mark.parametrize(
    "data", [b"", b"<html><body>Service Unavailable</body></html>", b"\x00\xff garbage"]
)
def test_unreadable_documents_are_refused_with_a_reason(data):
    with pytest.raises(ValueError, match="not a (readable )?feed"):
        news.parse_feed(data, "x")


def news_source(tmp_path, redis_url, prefix, feeds: dict[str, str], retention="35d",
                timeout="15s", allow_hosts=("127.0.0.1",)) -> news.Source:  # fmt: skip
    panel = {"id": "k", "widget": "feed_keywords", "title": "K", "source": "news", "at": [1, 1]}
    raw = {"store": {"url": redis_url, "prefix": prefix},
           "sources": {"news": {"type": "news", "allow_hosts": list(allow_hosts),
                                "retention": retention, "timeout": timeout,
                                "feeds": [{"name": n, "location": loc} for n, loc in feeds.items()]}},
           "pages": [{"id": "p", "title": "P", "panels": [panel]}]}  # fmt: skip
    return news.Source(parse_config(raw).sources["news"], "news")


def test_entries_are_stored_once_across_fetches_and_feeds(tmp_path, store, redis_url, prefix):
    (tmp_path / "a.xml").write_bytes(RSS2)
    (tmp_path / "b.xml").write_bytes(RSS2.replace(b"Security Weekly", b"Mirror"))  # same items
    source = news_source(tmp_path, redis_url, prefix,
                         {"a": str(tmp_path / "a.xml"), "b": str(tmp_path / "b.xml")})  # fmt: skip
    stats = source.ingest(store, NOW)
    assert stats["rows"] == 2 and sorted(stats["feeds"].values()) == [0, 2]  # fetched at once
    (tmp_path / "a.xml").write_bytes(RSS2 + b"\n")  # changed file, same entries
    assert source.ingest(store, NOW)["rows"] == 0
    titles = sorted(e["title"] for e in store.entries_since("news", NOW - timedelta(days=1)))
    assert titles == ["SAP patches NetWeaver flaw & urges upgrade", "Weekly roundup without a date"]


def test_an_unchanged_feed_writes_nothing(store, redis_url, prefix, tmp_path):
    server = CatalogServer(RSS2)
    try:
        source = news_source(tmp_path, redis_url, prefix, {"web": server.url})
        assert source.ingest(store, NOW)["rows"] == 2
        store.redis.delete(store.keys.entries("news"))  # if anything were written, it would show
        assert source.ingest(store, NOW + timedelta(minutes=20))["rows"] == 0
        assert server.requests[1]["If-None-Match"] == '"v1"'
        assert store.redis.hlen(store.keys.entries("news")) == 0
    finally:
        server.close()


def test_a_broken_feed_is_reported_and_the_others_go_on(tmp_path, store, redis_url, prefix):
    from tests.conftest import free_port

    (tmp_path / "good.xml").write_bytes(RDF)
    (tmp_path / "html.xml").write_bytes(b"<html>502 Bad Gateway</html>")
    feeds = {"good": str(tmp_path / "good.xml"), "html": str(tmp_path / "html.xml"),
             "down": f"http://127.0.0.1:{free_port()}/feed", "missing": str(tmp_path / "none.xml")}  # fmt: skip
    stats = news_source(tmp_path, redis_url, prefix, feeds).ingest(store, NOW)
    assert stats["rows"] == 1 and stats["feeds"]["good"] == 1
    reasons = dict(w.split(": ", 1) for w in stats["warnings"])
    assert reasons["html"].startswith("not a")
    assert reasons["down"].startswith("unreachable")
    assert reasons["missing"].startswith("cannot read")


def test_every_feed_failing_fails_the_job(tmp_path, store, redis_url, prefix):
    with pytest.raises(ValueError, match="every feed failed"):
        news_source(tmp_path, redis_url, prefix, {"x": str(tmp_path / "none.xml")}).ingest(
            store, NOW
        )


def test_retention_forgets_old_entries(tmp_path, store, redis_url, prefix):
    (tmp_path / "a.xml").write_bytes(RSS2)
    source = news_source(
        tmp_path, redis_url, prefix, {"a": str(tmp_path / "a.xml")}, retention="2d"
    )
    source.ingest(store, NOW)
    later = NOW + timedelta(days=3)
    (tmp_path / "a.xml").write_bytes(RDF.replace(b"2025-05-01T07", b"2025-05-04T07"))
    source.ingest(store, later)
    titles = [e["title"] for e in store.entries_since("news", NOW - timedelta(days=30))]
    assert titles == ["Ivanti Connect Secure exploited"]  # the 2-day-old ones are gone


def test_broken_feeds_show_in_healthz(tmp_path, store, redis_url, prefix):
    from socwall.dashboard.app import create_app
    from socwall.dashboard.clock import Clock
    from socwall.dashboard.jobs import run_source

    (tmp_path / "good.xml").write_bytes(RDF)
    (tmp_path / "bad.xml").write_bytes(b"<html>502 Bad Gateway</html>")
    panel = {"id": "k", "widget": "feed_keywords", "title": "K", "source": "news", "at": [1, 1]}
    feeds = [{"name": "good", "location": str(tmp_path / "good.xml")},
             {"name": "bad", "location": str(tmp_path / "bad.xml")}]  # fmt: skip
    config = parse_config({"store": {"url": redis_url, "prefix": prefix},
                           "sources": {"news": {"type": "news", "feeds": feeds,
                                                "allow_hosts": ["127.0.0.1"]}},
                           "pages": [{"id": "p", "title": "P", "panels": [panel]}]})  # fmt: skip
    run_source(config, "news", store, Clock(replay_start=NOW, frozen=True))
    report = create_app(config, store, Clock()).server.test_client().get("/healthz").get_json()
    news_health = report["sources"]["news"]
    assert news_health["status"] == "ok" and news_health["rows"] == 1
    assert news_health["warnings"][0].startswith("bad: not a")


def test_json_that_is_no_feed_says_what_it_looks_like():
    import json

    listing = json.dumps([{"title": "t", "link": "l", "published": "p"}] * 120).encode()
    with pytest.raises(ValueError) as refused:
        news.parse_feed(b"\n" + listing, "aggregated")
    assert str(refused.value) == ("a JSON list of 120 objects with keys title, link, published: "
                                  "not a feed; JSON Feed 1.1 expected")  # fmt: skip
    with pytest.raises(ValueError, match=r"^a JSON object with keys 2026: not a feed"):
        news.parse_feed(b'{"2026": {"january": {}}}', "aggregated")
