"""CVE lists in a tie: feed_keywords ranks by sources, then the latest mention, then the id
(ascending); exploited_recent lists the newest additions first, a day's additions by id
(descending, as the catalog grows). Lists of several CVEs, ties on every key, checked against
the order worked out by hand and against a plain sort written from the docstrings."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from socwall.widgets import exploited_recent as er
from socwall.widgets.context import PanelContext
from tests.feeds.test_kev import record
from tests.widgets.test_feed_keywords import compute, entry

KEV_CONTEXT = PanelContext(now=datetime(2025, 1, 30, 12, tzinfo=UTC), tz=ZoneInfo("UTC"),
                           source_id="kev")  # fmt: skip


def test_cves_tied_on_sources_and_time_come_by_id():
    entries = [entry("CVE-2025-0003, CVE-2025-0001 and CVE-2025-0002 fixed", "a", 2),
               entry("CVE-2024-9999 too", "b", 2),  # the same time, another feed
               entry("CVE-2025-0002 exploited", "c", 3)]  # fmt: skip
    data, _ = compute(entries)
    assert [c["cve"] for c in data["cves"]] == [
        "CVE-2025-0002",  # two sources
        "CVE-2024-9999", "CVE-2025-0001", "CVE-2025-0003",  # one source each, the same time: id
    ]  # fmt: skip


def test_cves_tied_on_sources_come_latest_first():
    entries = [entry("CVE-2025-0001 seen", "a", 5), entry("CVE-2025-0002 seen", "b", 1),
               entry("CVE-2025-0003 seen", "c", 3)]  # fmt: skip
    data, _ = compute(entries)
    assert [c["cve"] for c in data["cves"]] == ["CVE-2025-0002", "CVE-2025-0003", "CVE-2025-0001"]


mentions = st.lists(st.tuples(st.integers(1, 6), st.sampled_from("abc"), st.integers(0, 3)),
                    min_size=1, max_size=12)  # fmt: skip


@settings(max_examples=25)  # each compute reads every headline's subjects: ~0.2 s
@given(mentions)
@example([(1, "a", 1), (2, "b", 1)])  # tied on sources and time: by id, ascending
@example([(2, "a", 1), (1, "b", 1)])
@example([(1, "a", 2), (2, "a", 1), (3, "b", 1), (3, "c", 1)])
def test_cve_order_matches_a_plain_sort(rows):
    entries = [entry(f"CVE-2025-{n:04d} mentioned", feed, hours) for n, feed, hours in rows]
    data, _ = compute(entries)
    feeds, latest = {}, {}
    for e in entries:
        cve = e["title"].split()[0]
        feeds.setdefault(cve, set()).add(e["feed"])
        latest[cve] = max(latest.get(cve, ""), e["published"])
    by_hand = sorted(feeds, key=lambda c: c)  # id ascending, then stable sorts on the others
    by_hand.sort(key=lambda c: latest[c], reverse=True)
    by_hand.sort(key=lambda c: len(feeds[c]), reverse=True)
    assert [c["cve"] for c in data["cves"]] == by_hand[: len(data["cves"])]
    assert data["cves"]


def test_additions_of_one_day_by_id_newest_day_first():
    records = [record(cve="CVE-2025-0002", added="2025-01-28"),
               record(cve="CVE-2024-0100", added="2025-01-29"),
               record(cve="CVE-2025-0001", added="2025-01-28"),
               record(cve="CVE-2025-0003", added="2025-01-28")]  # fmt: skip
    data = er.compute(er.KevInputs(records), er.ExploitedRecentOptions(), KEV_CONTEXT)
    assert [r["cve"] for r in data["rows"]] == [
        "CVE-2024-0100", "CVE-2025-0003", "CVE-2025-0002", "CVE-2025-0001"]
