"""Feeds, the KEV catalog and chat keep text through socwall/text.py: no bidi reordering."""

import json

from socwall.feeds import kev, news
from socwall.feeds.chat_message import clean_text


def test_a_reversed_headline_in_a_feed_reads_forward_raw_or_as_an_entity():
    rss = ("<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
           "<item><title>Vendor \u202egnp.exe\u202c patch</title><guid>1</guid></item>"
           "<item><title>Vendor &#x202E;fdp.exe patch</title><guid>2</guid></item>"
           "<item><title>plain</title><description>&lt;p&gt;x\u2066y\u2069&lt;/p&gt;"
           "</description><guid>3</guid></item></channel></rss>").encode()  # fmt: skip
    entries, _ = news.parse_feed(rss, "wire")
    assert [e["title"] for e in entries] == ["Vendor gnp.exe patch", "Vendor fdp.exe patch",
                                             "plain"]  # fmt: skip
    assert entries[2]["summary"] == "xy"


def test_kev_records_and_chat_lines_are_cleaned_the_same_way():
    item = {"cveID": "CVE-2025-0001", "vendorProject": "Acme\u202e", "product": "Wid\u200bget",
            "vulnerabilityName": "RCE \u2067in\u2069 parser", "dateAdded": "2025-01-02"}
    records, bad, _ = kev.parse_catalog(json.dumps({"vulnerabilities": [item]}).encode())
    assert bad == 0 and records[0]["vendorProject"] == "Acme"
    assert records[0]["product"] == "Widget" and records[0]["vulnerabilityName"] == "RCE in parser"
    assert clean_text("\u202eevil", 10) == ("evil", False)
