"""The news source on hostile input: entity bombs, bodies naming local files, endless files,
trickling servers. Time and memory stay small; nothing outside the feed is read."""

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from socwall.feeds import fetch, news, xmlgate

from tests.feeds.test_news import RSS2

SHARED = Path(__file__).parents[2] / "../shared/data/feeds"
NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


def quadratic_feed(size: int = 100_000, refs: int = 2_000) -> bytes:
    """A quadratic-blowup RSS feed: one big entity referenced many times in a title."""
    return (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "{"B" * size}">]>'
            f'<rss version="2.0"><channel><title>t</title><item><title>{"&a;" * refs}</title>'
            f"</item></channel></rss>").encode()  # fmt: skip


@pytest.mark.parametrize("name", ["cyclic.xml", "external.xml", "external_file.xml",
                                  "quadratic.xml", "xmlbomb.xml", "xmlbomb2.xml"])  # fmt: skip
def test_hostile_documents_are_refused_before_parsing(name):
    path = SHARED / "hostile" / name
    if not path.exists():
        pytest.skip("shared data not present")
    with pytest.raises(ValueError, match="declares XML entities"):
        news.parse_feed(path.read_bytes(), "hostile")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-be", "utf-32"])
def test_entity_declarations_are_found_in_every_xml_encoding(encoding):
    text = quadratic_feed(10, 3).decode().replace('version="1.0"?>', 'version="1.0"?>', 1)
    with pytest.raises(xmlgate.UnsafeXML):
        xmlgate.check(text.encode(encoding))


def test_a_doctype_without_entities_and_the_word_in_content_pass():
    # an article about XXE quotes a declaration in its (plain-text) title, after the root
    body = RSS2.replace(b"<rss", b"<!DOCTYPE rss><rss").replace(
        b"<title>Weekly roundup without a date</title>",
        b'<title><![CDATA[XXE: <!ENTITY xxe SYSTEM "file:///etc/passwd"> explained]]></title>',
    )
    entries, _ = news.parse_feed(body, "weekly")
    assert entries[1]["title"] == 'XXE: <!ENTITY xxe SYSTEM "file:///etc/passwd"> explained'


def test_quadratic_feed_costs_little_time_and_memory_in_a_fresh_process():
    """Measured in a child process so the RSS is this parse's own (the trial took 1 GB, 16 s)."""
    code = (
        "import resource, time, sys\n"
        "from socwall.feeds import news\n"
        "from tests.feeds.test_news_safety import quadratic_feed\n"
        "body = quadratic_feed()\n"
        "start = time.perf_counter()\n"
        "try:\n    news.parse_feed(body, 'q')\nexcept ValueError as e:\n    print(e)\n"
        "print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parents[2], timeout=60).stdout.splitlines()  # fmt: skip
    assert "declares XML entities" in out[0]
    seconds, max_rss_kb = out[1].split()
    assert float(seconds) < 2 and int(max_rss_kb) < 200_000  # the unguarded parse: 16 s, 1 GB


def test_a_body_naming_a_local_file_is_text_not_a_path(tmp_path):
    secret = tmp_path / "local.xml"
    secret.write_bytes(RSS2)  # a readable feed: it must not reach the wall through a body
    for body in (str(secret).encode(), b"/dev/zero", b"file://" + str(secret).encode()):
        with pytest.raises(ValueError, match="not a"):
            news.parse_feed(body, "remote")


def test_a_location_that_never_ends_is_refused_at_once():
    start = time.monotonic()
    with pytest.raises(fetch.FetchError, match="not a regular file"):
        fetch.fetch("/dev/zero", max_bytes=1000)
    assert time.monotonic() - start < 1


class Trickle:
    """A local HTTP server: /slow sends one byte every `pause` seconds, forever; /ok a feed."""

    def __init__(self, pause: float):
        self.stop = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server API
                if self.path == "/ok":
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(RSS2)))
                    self.end_headers()
                    self.wfile.write(RSS2)
                    return
                if self.path == "/500":
                    self.send_error(500)
                    return
                self.send_response(200)
                self.end_headers()
                while not owner.stop.wait(pause):
                    try:
                        self.wfile.write(b" ")
                        self.wfile.flush()
                    except OSError:
                        return

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def trickle():
    server = Trickle(pause=0.2)
    yield server
    server.close()


def test_a_trickling_server_hits_the_total_deadline(trickle):
    start = time.monotonic()
    with pytest.raises(fetch.FetchError, match="deadline"):
        fetch.fetch(f"{trickle.base}/slow", timeout=1)
    assert time.monotonic() - start < 2  # per-read timeouts alone would never end


def test_one_slow_feed_never_holds_back_the_others(trickle, store):
    config = news.NewsConfig.model_validate({"type": "news", "timeout": "2s", "feeds": [
        {"name": "slow1", "location": f"{trickle.base}/slow"},
        {"name": "slow2", "location": f"{trickle.base}/slow"},
        {"name": "broken", "location": f"{trickle.base}/500"},
        {"name": "fine", "location": f"{trickle.base}/ok"},
    ]})  # fmt: skip
    start = time.monotonic()
    stats = news.Source(config, "news").ingest(store, NOW)
    elapsed = time.monotonic() - start
    assert stats["feeds"] == {"slow1": "failed", "slow2": "failed", "broken": "failed", "fine": 2}
    warnings = " ".join(stats["warnings"])
    assert "slow1: not complete within the 2 s deadline" in warnings
    assert "broken: HTTP 500" in warnings
    assert elapsed < 3.5  # concurrent: two 2 s deadlines in parallel, not one after the other
