"""CVE ids taken from feed text (feeds/feed_parse.find_cves and entry_record) at their edges:
the number's length (4 to 7 digits), the word boundaries on both sides, any case, each id once
in the order first met, the title as well as the whole text, and the cap of 200 per entry; the
rest of entry_record: the caps of id and link (500), title and summary, and the date."""

from datetime import UTC, datetime

import pytest

from socwall.feeds.feed_parse import entry_record, find_cves

NOW = datetime(2026, 1, 2, tzinfo=UTC)


@pytest.mark.parametrize("text, found", [
    ("CVE-2024-123", []),  # three digits: not an id
    ("CVE-2024-1234", ["CVE-2024-1234"]),
    ("CVE-2024-1234567", ["CVE-2024-1234567"]),
    ("CVE-2024-12345678", []),  # eight: not the rule's (and no shorter id inside it)
    ("CVE-202-1234", []),
    ("CVE-20245-1234", []),
    ("xCVE-2024-1234", []),  # inside a word on either side
    ("CVE-2024-1234x", []),
    ("(CVE-2024-1234),", ["CVE-2024-1234"]),
    ("cve-2024-3400 and Cve-2023-4966", ["CVE-2024-3400", "CVE-2023-4966"]),
    ("CVE-2024-0002 CVE-2024-0001 cve-2024-0002 CVE-2024-0001", ["CVE-2024-0002", "CVE-2024-0001"]),
])  # fmt: skip
def test_which_text_is_a_cve_id(text, found):
    assert find_cves(text) == found


def test_the_title_counts_and_an_entry_keeps_200_ids():
    full = " ".join(f"CVE-2024-{n:05d}" for n in range(1, 206))
    entry = entry_record("f", "1", "https://x/1", "CVE-2023-9999 fixed", "s", full, None, NOW)
    assert entry["cves"][:2] == ["CVE-2023-9999", "CVE-2024-00001"]
    assert len(entry["cves"]) == 200 and entry["cves"][-1] == "CVE-2024-00199"


@pytest.mark.parametrize("length", [500, 501])
def test_an_entry_keeps_500_characters_of_its_id_and_link(length):
    ident, link = "i" * length, "https://x/" + "l" * (length - 10)
    entry = entry_record("f", ident, link, "t" * 301, "s" * 2001, "", None, NOW)
    assert (entry["id"], entry["link"]) == ("i" * 500, "https://x/" + "l" * 490)
    assert (len(entry["title"]), len(entry["summary"])) == (300, 2000)


@pytest.mark.parametrize("published, when, undated", [
    (None, NOW, True),  # no date: the fetch's time, said to be undated
    (datetime(2025, 12, 31, tzinfo=UTC), datetime(2025, 12, 31, tzinfo=UTC), False),
    (datetime(2026, 1, 3, tzinfo=UTC), NOW, False),  # dated after the fetch: never in the future
])  # fmt: skip
def test_an_entrys_date_is_its_own_the_fetchs_when_none_and_never_later(published, when, undated):
    entry = entry_record("f", "1", "https://x/1", "t", "s", "", published, NOW)
    assert (entry["published"], entry["undated"]) == (when.isoformat(), undated)
