"""feed_keywords: stories named by their subject, on real headlines; CVEs; legend; facts.

The headlines are real feed text (BleepingComputer, The Hacker News, WeLiveSecurity, Trend
Micro, The Guardian, 2025-2026), as public archives of those feeds keep them.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from socwall.feeds import news
from socwall.feeds.subjects_text import fold, folded
from socwall.widgets import feed_keywords as fk
from socwall.widgets.context import PanelContext, View
from tests.feeds.test_kev import record

NOW = datetime(2025, 7, 23, 12, 0, tzinfo=UTC)
CONTEXT = PanelContext(now=NOW, tz=ZoneInfo("UTC"), source_id="news")


def entry(title: str, feed: str, hours_ago: float = 1, summary: str = "") -> dict:
    return {"title": title, "summary": summary, "feed": feed, "id": f"{feed}:{title}",
            "link": "", "published": (NOW - timedelta(hours=hours_ago)).isoformat()}  # fmt: skip


TOOLSHELL = [
    entry("SharePoint under fire: ToolShell attacks hit organizations worldwide", "welivesecurity",
          summary="The ToolShell bugs are being exploited by cybercriminals and APT groups alike"),
    entry("Proactive Security Insights for SharePoint Attacks (CVE-2025-53770 and CVE-2025-53771)",
          "trendmicro", 2),
    entry("Microsoft releases urgent fix for SharePoint zero-day vulnerability", "guardian", 3,
          summary="Unknown attackers were using the vulnerability to hack global targets."),
]  # fmt: skip
OTHERS = [
    entry("Hackers now exploiting critical Fortinet FortiSIEM flaw in attacks", "bleepingcomputer", 4),
    entry("Black Basta Ransomware Leader Added to EU Most Wanted and INTERPOL Red Notice",
          "thehackernews", 5),
]  # fmt: skip
KEV = [record(cve="CVE-2025-53770", vendor="Microsoft", product="SharePoint", added="2025-07-20")]


def compute(entries, catalog=(), **options):
    opts = fk.FeedKeywordsOptions(**options)
    return fk.compute(fk.FeedInputs(list(entries), list(catalog)), opts, CONTEXT), opts


def test_a_story_in_three_feeds_is_one_tile_of_three_named_by_subject_and_nickname():
    data, _ = compute(TOOLSHELL + OTHERS, KEV)
    first = data["stories"][0]
    assert first["label"] == "SharePoint · ToolShell"
    assert (first["sources"], first["entries"]) == (3, 3)
    assert first["feeds"] == ["guardian", "trendmicro", "welivesecurity"]
    assert first["colour"] == "exploited" and first["exploited"] == ["CVE-2025-53770"]
    labels = [s["label"] for s in data["stories"]]
    assert "FortiSIEM" in labels and "Black Basta" in labels
    assert [s["sources"] for s in data["stories"]] == [3, 1, 1]


def test_a_nickname_and_its_cve_are_one_tile():
    entries = [
        entry("Ransomware Groups Turn to Citrix Bleed 2, BYOVD, and Supply Chain Credentials", "a"),
        entry("Critical Citrix NetScaler memory flaw CVE-2025-5777 actively exploited", "b", 2),
    ]
    (story,) = compute(entries)[0]["stories"]
    assert (story["label"], story["sources"]) == ("NetScaler · Citrix Bleed 2", 2)


def test_attack_and_attacks_are_one_term_and_one_story():
    assert fold("attacks") == fold("attack") == "attack"
    assert folded("Vulnerabilities Hackers iOS virus") == ["vulnerability", "hacker", "ios", "virus"]
    entries = [entry("Akira ransomware attack hits Swedish IT provider", "a"),
               entry("Akira ransomware attacks SonicWall VPNs", "b", 2)]  # fmt: skip
    stories = compute(entries)[0]["stories"]
    assert stories[0]["label"] == "Akira" and stories[0]["sources"] == 2


GENERIC = [
    "Hackers exploit critical flaw in attacks on business systems",
    "Cyberattack compromised millions of records, company warns",
    "Data breach incident exposes information of 1 million customers",
    "Threat actors abuse supply chain to deploy malware",
    "Critical vulnerability warning: attackers breach systems",
]


def test_generic_security_words_never_make_a_tile_however_frequent():
    entries = [entry(title, f"feed{n}", n) for n in range(6) for title in GENERIC]
    data, opts = compute(entries)
    assert data["stories"] == [] and data["entries"] == 30
    text = str(fk.render(data, opts, View()))
    assert "no named subject in these entries" in text


def test_ordinary_words_are_names_only_in_context():
    entries = [entry("Play ransomware claims attack on city", "a"),
               entry("How to play it safe with unsafe defaults", "b")]  # fmt: skip
    labels = [s["label"] for s in compute(entries)[0]["stories"]]
    assert labels == ["Play"]  # 'play' and 'unsafe' (a ransomware name too) in plain use: no


def test_cves_by_sources_then_most_recent_and_none_in_this_window():
    entries = [entry("Fix for CVE-2009-3129 and CVE-2025-53770", "a", 5),
               entry("CVE-2025-53770 exploited", "b", 1), entry("CVE-2019-0604 again", "c", 2),
               entry("CVE-2024-0001 too", "c", 0.5)]  # fmt: skip
    data, opts = compute(entries, KEV)
    assert [c["cve"] for c in data["cves"]] == [
        "CVE-2025-53770", "CVE-2024-0001", "CVE-2019-0604", "CVE-2009-3129",
    ]  # fmt: skip
    assert data["cves"][0]["sources"] == 2 and data["cves"][0]["exploited"]
    assert "exploited, listed 20 Jul" in str(fk.render(data, opts, View()))
    data, opts = compute([entry("Akira ransomware hits a school", "a")])
    assert data["cves"] == [] and "none in this window" in str(fk.render(data, opts, View()))


def test_a_story_about_a_product_we_run_is_an_alarm_fact_and_the_legend_says_so():
    inventory = [{"product": "Microsoft SharePoint Server", "hosts": ["sp-01"]}]
    data, opts = compute(TOOLSHELL + OTHERS, KEV, inventory=inventory, kev="kev")
    first = data["stories"][0]
    assert first["colour"] == "ours" and first["our_product"] == "Microsoft SharePoint Server"
    alarms = [f for f in data["facts"] if f["severity"] == "alarm"]
    assert {f["kind"] for f in alarms} == {"news_about_our_product", "exploited_we_run"}
    assert alarms[0]["row"] == first["key"] and data["highlight"] is True
    text = str(fk.render(data, opts, View()))
    for words in ("about a product we run", "known-exploited CVE", "new today"):
        assert words in text
    assert "too little history to tell" in text  # grey claims 'seen before' only with history
    assert "3 stories in 5 entries of 5 feeds, last 24h" in text


def test_new_today_only_when_the_history_says_so():
    history = [entry(f"Qilin ransomware claims attack number {i}", f"h{i % 5}", 48 + i)
               for i in range(25)]  # fmt: skip
    today = [entry("Interlock ransomware hits a hospital", "a"), entry("Qilin claims more", "a")]
    colours = {s["label"]: s["colour"] for s in compute(history + today)[0]["stories"]}
    assert colours == {"Interlock": "new", "Qilin": "seen"}
    colours = {s["label"]: s["colour"] for s in compute(today)[0]["stories"]}
    assert set(colours.values()) == {"seen"}  # no history: 'new' would be a claim without data


def test_render_is_text_only():
    data, opts = compute(OTHERS + [entry("<script>window.__xss=1</script> &lt;b&gt;", "x")])
    tree = fk.render(data, opts, View())
    assert "dangerouslySetInnerHTML" not in str(tree)
    assert "<script>window.__xss=1</script> &lt;b&gt;" in str(tree)


REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "feeds" / "real"


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/data is not beside the repo")
def test_real_advisory_feeds_tiles_are_the_packages_they_are_about():
    """GitHub advisories of four ecosystems: every tile names the package its entries are
    about (checked on the raw titles: the label's words are in the bracketed package)."""
    at = datetime(2026, 3, 15, 18, tzinfo=UTC)
    entries = []
    for path in sorted(REAL.glob("ghsa_*.rss.xml")):
        entries += news.parse_feed(path.read_bytes(), path.name.split("_")[1], fetched_at=at)[0]
    opts = fk.FeedKeywordsOptions(window="3d")
    data = fk.compute(fk.FeedInputs(entries, []), opts, PanelContext(at, ZoneInfo("UTC"), "news"))
    assert len(data["stories"]) == 20
    by_title = {e["title"]: e for e in entries}
    for story in data["stories"][:10]:
        package = story["headline"].split("]")[0].lower()
        assert story["label"].split()[0].lower() in package or story["label"].lower() in by_title[
            story["headline"]]["title"].lower(), story  # fmt: skip
    labels = {s["label"] for s in data["stories"]}
    assert {"Angular", "OpenClaw", "Gokapi"} <= labels
    assert labels.isdisjoint({"allowed", "check", "dos", "including", "added", "path", "don"})
