"""The kev source: the catalog's real schema, conditional GET against a local server, backoff."""

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from socwall.dashboard.config import parse_config
from socwall.feeds import fetch, kev

NOW = datetime(2025, 1, 30, 12, 0, tzinfo=UTC)


def record(cve="CVE-2025-0001", vendor="SAP", product="NetWeaver", added="2025-01-28", **extra):
    return {"cveID": cve, "vendorProject": vendor, "product": product,
            "vulnerabilityName": f"{vendor} {product} Missing Authorization Vulnerability",
            "dateAdded": added, "shortDescription": "An attacker can upload files.",
            "requiredAction": "Apply mitigations per vendor instructions.", "dueDate": "2025-02-18",
            "knownRansomwareCampaignUse": "Unknown", "notes": "https://example.invalid/advisory",
            "cwes": ["CWE-862"], **extra}  # fmt: skip


def catalog(*records) -> bytes:
    head = {"title": "CISA Catalog of Known Exploited Vulnerabilities",
            "catalogVersion": "2025.01.29", "dateReleased": "2025-01-29T17:02:51Z"}  # fmt: skip
    return json.dumps({**head, "count": len(records), "vulnerabilities": list(records)}).encode()


def test_parse_the_published_schema_and_count_unusable_records():
    data = catalog(
        record(),
        record(cve="cve-2024-12345", vendor="  Array Networks ", product="ArrayOS  AG"),
        record(cve="CVE-24-1"),  # not a CVE id
        record(added="yesterday"),  # not a date
        "not an object",
    )
    records, bad, version = kev.parse_catalog(data)
    assert (len(records), bad, version) == (2, 3, "2025.01.29")
    assert records[1]["cveID"] == "CVE-2024-12345"
    assert (records[1]["vendorProject"], records[1]["product"]) == ("Array Networks", "ArrayOS AG")


def test_not_a_catalog_is_a_clear_error():
    with pytest.raises(ValueError, match="not JSON"):
        kev.parse_catalog(b"<html>maintenance</html>")
    with pytest.raises(ValueError, match="no 'vulnerabilities' list"):
        kev.parse_catalog(b'{"title": "x"}')


class CatalogServer:
    """A local HTTP server: serves the catalog with an ETag and answers 304 when it matches."""

    def __init__(self, body: bytes):
        self.body, self.status, self.requests = body, 200, []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server API
                server.requests.append(dict(self.headers))
                if server.status != 200:
                    self.send_error(server.status)
                elif self.headers.get("If-None-Match") == '"v1"':
                    self.send_response(304)
                    self.end_headers()
                else:
                    self.send_response(200)
                    self.send_header("ETag", '"v1"')
                    self.send_header("Content-Length", str(len(server.body)))
                    self.end_headers()
                    self.wfile.write(server.body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/kev.json"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    serving = CatalogServer(
        catalog(record(), record(cve="CVE-2025-0002", product="Visual Composer"))
    )
    yield serving
    serving.close()


def kev_source(location, redis_url, prefix, allow_hosts=("127.0.0.1",)) -> kev.Source:
    panel = {"id": "k", "widget": "exploited_recent", "title": "K", "source": "kev", "at": [1, 1]}
    raw = {"store": {"url": redis_url, "prefix": prefix},
           "sources": {"kev": {"type": "kev", "location": location, "refresh": "1h",
                               "allow_hosts": list(allow_hosts)}},
           "pages": [{"id": "p", "title": "P", "panels": [panel]}]}  # fmt: skip
    return kev.Source(parse_config(raw).sources["kev"], "kev")


def test_conditional_get_and_an_unchanged_catalog_writes_nothing(server, store, redis_url, prefix):
    source = kev_source(server.url, redis_url, prefix)
    assert source.ingest(store, NOW)["rows"] == 2
    assert server.requests[0]["User-Agent"].startswith("socwall/")
    store.write_document("kev", "catalog", ["sentinel"])
    assert source.ingest(store, NOW)["rows"] == 0
    assert server.requests[1]["If-None-Match"] == '"v1"'
    assert store.document("kev", "catalog") == ["sentinel"]  # the 304 wrote nothing


def test_failures_back_off_and_recover(server, store, redis_url, prefix):
    source = kev_source(server.url, redis_url, prefix)
    server.status = 503
    with pytest.raises(fetch.FetchError, match="HTTP 503"):
        source.ingest(store, NOW)
    assert source.ingest(store, NOW + timedelta(minutes=30))["rows"] == 0  # backing off: no request
    assert len(server.requests) == 1
    with pytest.raises(fetch.FetchError):
        source.ingest(store, NOW + timedelta(hours=1))  # due again (1h x 2^0), fails again
    state = store.fetch_state("kev", "catalog")
    assert (
        state["failures"] == "2" and state["next_attempt"] == (NOW + timedelta(hours=3)).isoformat()
    )
    server.status = 200
    assert source.ingest(store, NOW + timedelta(hours=3))["rows"] == 2
    assert store.fetch_state("kev", "catalog")["failures"] == "0"


def test_unreachable_huge_and_local_files(tmp_path, store, redis_url, prefix):
    from tests.conftest import free_port

    with pytest.raises(fetch.FetchError, match="unreachable"):
        fetch.fetch(f"http://127.0.0.1:{free_port()}/kev.json", timeout=2,
                    allow_hosts=["127.0.0.1"])
    path = tmp_path / "kev.json"
    path.write_bytes(catalog(record()))
    with pytest.raises(fetch.FetchError, match="larger than the 10-byte limit"):
        fetch.fetch(str(path), max_bytes=10)
    source = kev_source(str(path), redis_url, prefix)
    assert source.ingest(store, NOW)["rows"] == 1
    assert source.ingest(store, NOW)["rows"] == 0  # unchanged file: nothing read again
