"""Chat's text pipeline on real text written by others (../shared/data, when it is there):
mentions and CVE sightings against a plain count, real hostile advisory text kept as text."""

import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from socwall.feeds import kev
from socwall.feeds.chat_message import clean_text
from socwall.feeds.chat_subjects import cve_sightings, mentions
from socwall.feeds.feed_parse import parse_feed
from socwall.feeds.subjects import build_finder

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not beside the repo")
NOW = datetime(2026, 3, 16, tzinfo=UTC)


def as_messages(path: Path) -> list[dict]:
    """Each feed entry as if someone had said its title and summary in a channel."""
    entries, _ = parse_feed(path.read_bytes(), path.stem, None, NOW)
    return [{"id": str(n), "author": e["feed"], "time": e["published"],
             "text": clean_text(f"{e['title']} {e['summary']}", 1000)[0]}
            for n, e in enumerate(entries)]  # fmt: skip


@pytest.fixture(scope="module")
def finder():
    records, _, _ = kev.parse_catalog((SHARED / "intel" / "kev_2025-01-29.json").read_bytes())
    return build_finder(records, [], [])


def test_ransomware_groups_of_15773_leak_posts_counted_as_a_plain_word_count(finder):
    messages = as_messages(SHARED / "feeds" / "real" / "ransomwatch_rss_feed_2025-04-17.xml")
    assert len(messages) == 15773
    by_label = {m.subject.label: len(m.messages) for m in mentions(messages, finder).values()}
    groups = {"Akira": "akira", "RansomHub": "ransomhub", "Bianlian": "bianlian", "Clop": "clop",
              "8Base": "8base", "Cactus": "cactus", "Conti": "conti", "Pysa": "pysa",
              "Play": "play", "BlackBasta": "blackbasta", "BlackCat": "alphv|blackcat"}  # fmt: skip
    plain = {label: sum(bool(re.search(rf"\b(?:{words})\b", m["text"], re.IGNORECASE))
                        for m in messages) for label, words in groups.items()}  # fmt: skip
    assert {label: by_label.get(label) for label in groups} == plain
    assert plain["Akira"] == 351 and plain["Play"] == 797  # the corpus, counted by hand once


def test_cve_sightings_of_real_advisories_match_a_plain_count():
    messages = [m for name in ("npm", "pip", "go", "maven") for m in
                as_messages(SHARED / "feeds" / "real" / f"ghsa_{name}_advisories_2026-03-15.rss.xml")]  # fmt: skip
    plain = Counter(cve for m in messages
                    for cve in {c.upper() for c in re.findall(r"cve-\d{4}-\d{4,7}", m["text"], re.I)})  # fmt: skip
    assert cve_sightings(messages) == dict(plain) and sum(plain.values()) > 20


def test_advisories_quoting_xss_payloads_stay_text_and_count(finder):
    messages = [m for path in sorted((SHARED / "feeds" / "xss_text").glob("*.xml"))
                for m in as_messages(path)]  # fmt: skip
    assert any("<img src=x onerror=alert(1)>" in m["text"] for m in messages)
    assert all(not re.search(r"[\x00-\x08\x0b-\x1f\u202a-\u202e]", m["text"]) for m in messages)
    found = mentions(messages, finder)
    assert sum(len(m.messages) for m in found.values()) >= len(found) > 0
