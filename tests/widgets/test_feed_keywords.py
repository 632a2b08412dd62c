"""feed_keywords: CVE extraction, terms, and trending scores on a corpus whose trends are known."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from socwall.widgets import feed_keywords as fk
from socwall.widgets.context import PanelContext, View

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
CONTEXT = PanelContext(now=NOW, tz=ZoneInfo("UTC"), source_id="news")


@pytest.mark.parametrize("text,expected", [
    ("Patch CVE-2024-3400, now.", ["CVE-2024-3400"]),
    ("lower case cve-2025-31324 counts", ["CVE-2025-31324"]),
    ("long ids: CVE-2021-1234567 (seven digits)", ["CVE-2021-1234567"]),
    ("(CVE-2023-4966)/CVE-2023-4967", ["CVE-2023-4966", "CVE-2023-4967"]),
    ("https://nvd.example/vuln/detail/CVE-2024-21887#x", ["CVE-2024-21887"]),
    ("too short CVE-2024-123, no year CVE-24-1234, inside XCVE-2024-1234 or CVE-2024-1234a", []),
    ("eight digits CVE-2024-12345678 is not an id", []),
])  # fmt: skip
def test_cve_extraction(text, expected):
    assert fk.find_cves(text) == expected


def test_terms_drop_stop_words_and_boilerplate_and_keep_phrases():
    # 'is' is a stop word: no phrase 'flaw exploited' is made across it
    assert fk.terms(
        "The SAP NetWeaver flaw is exploited - Read more at Example News", {"example"}
    ) == [
        "sap",
        "netweaver",
        "flaw",
        "exploited",
        "sap netweaver",
        "netweaver flaw",
    ]  # fmt: skip


def entry(title: str, hours_ago: float, summary: str = "", feed: str = "wire") -> dict:
    published = (NOW - timedelta(hours=hours_ago)).isoformat()
    return {
        "title": title,
        "summary": summary,
        "feed": feed,
        "published": published,
        "id": title,
        "link": "",
    }


def corpus() -> list[dict]:
    """30 days in which 'microsoft patch' is always news; today 'netweaver' is new and frequent."""
    background = [entry(f"Microsoft patch day {i}: Windows update fixes bugs", 24 * (2 + i % 28))
                  for i in range(60)]  # fmt: skip
    background += [entry(f"Ransomware gang hits hospital {i}", 24 * (3 + i)) for i in range(5)]
    today = [entry(f"SAP NetWeaver zero-day exploited ({i}) CVE-2025-31324", i) for i in range(6)]
    today += [
        entry(f"Microsoft patch day {i}: Windows update fixes bugs", i + 0.5) for i in range(6)
    ]
    today += [entry("Ransomware gang leaks data", 3)]
    return background + today


def test_newly_frequent_ranks_above_always_frequent():
    options = fk.FeedKeywordsOptions(kev=None)
    inputs = fk.FeedInputs(corpus(), exploited={"CVE-2025-31324"}, vocabulary=["SAP", "Microsoft"])
    data = fk.compute(inputs, options, CONTEXT)
    ranked = [k["term"] for k in data["keywords"]]
    # the NetWeaver story is new and frequent: one tile for it (its words and overlapping
    # phrases are the same subject); 'microsoft patch' is in most of this feed's entries, so it
    # is the feed's furniture, learned from the data, not news
    assert ranked[0] in ("sap netweaver", "netweaver zero-day", "zero-day exploited")
    assert sum("netweaver" in term for term in ranked) == 1
    assert not any("microsoft" in term or "patch" in term for term in ranked)
    assert not any(t in ranked for t in ("sap", "exploited", "zero-day"))  # the same story
    assert all(k["score"] > 0 for k in data["keywords"])
    assert {k["term"] for k in data["keywords"]}.isdisjoint({"the", "day", "update"})  # stop words
    assert data["cves"] == [{"cve": "CVE-2025-31324", "mentions": 1, "entries": 6, "exploited": True}]
    assert data["vendors"] == [{"name": "Microsoft", "mentions": 6}, {"name": "SAP", "mentions": 6}]
    assert [h["title"] for h in data["headlines"]][:2] == [
        "SAP NetWeaver zero-day exploited (0) CVE-2025-31324",
        "Microsoft patch day 0: Windows update fixes bugs",
    ]  # fmt: skip
    assert data["entries"] == 13


def test_log_odds_by_hand_for_two_terms():
    # now: new 5, old 5 (50 % each); before: old 80 %, new never. With a prior of 10:
    # alpha_new = 10 * 5/110, alpha_old = 10 * 85/110; delta_new = log(5.45/14.55) -
    # log(0.45/109.55) = 4.50; delta_old = log(12.73/7.27) - log(87.73/22.27) = -0.81
    scores = fk.log_odds(Counter({"new": 5, "old": 5}), Counter({"old": 80, "other": 20}), 10)
    assert scores["new"] == pytest.approx(4.50 / (1 / 5.4545 + 1 / 0.4545) ** 0.5, rel=1e-3)
    assert scores["old"] == pytest.approx(-0.810 / (1 / 12.727 + 1 / 87.727) ** 0.5, rel=1e-2)


def test_feed_names_are_boilerplate():
    entries = [entry("Krebs weekly: breach at retailer", h, feed="krebs") for h in range(3)]
    data = fk.compute(fk.FeedInputs(entries, set(), []), fk.FeedKeywordsOptions(), CONTEXT)
    assert "krebs" not in {k["term"] for k in data["keywords"]}


def test_render_is_text_only():
    inputs = fk.FeedInputs(
        corpus() + [entry("<script>window.__xss=1</script> &lt;b&gt;", 1)], set(), []
    )
    data = fk.compute(inputs, fk.FeedKeywordsOptions(), CONTEXT)
    tree = fk.render(data, fk.FeedKeywordsOptions(), View())
    assert "dangerouslySetInnerHTML" not in str(tree)
    assert "<script>window.__xss=1</script> &lt;b&gt;" in str(tree)  # a text child, not markup


def test_phrases_stop_at_punctuation():
    assert fk.terms("Web shells. Hackers upload more", set()) == [
        "web", "shells", "hackers", "upload", "web shells", "hackers upload",
    ]  # fmt: skip
    assert fk.terms("see github.com/x/y or v2026.3.12, 3f9a1c2d and GHSA-abcd-1234", set()) == ["see"]


def test_too_few_mentions_says_so_instead_of_an_empty_treemap():
    entries = [entry("One story about a breach", 1), entry("Another story entirely", 2)]
    data = fk.compute(fk.FeedInputs(entries, set(), []), fk.FeedKeywordsOptions(), CONTEXT)
    assert data["keywords"] == []
    text = str(fk.render(data, fk.FeedKeywordsOptions(), View()))
    assert "nothing trends yet: no keyword in 3+ entries of the last 2" in text
