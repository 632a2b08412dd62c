"""chatter: mentions per subject counted exactly, the usual level only from weeks listened to,
a jump from several people is the alarm, the newest lines as text."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dash import html

from socwall.feeds.chat_message import Message, message_id
from socwall.widgets import chatter
from socwall.widgets.context import PanelContext, View

NOW = datetime(2025, 5, 6, 12, 0, tzinfo=UTC)
CONTEXT = PanelContext(now=NOW, tz=ZoneInfo("Europe/Berlin"), source_id="chat")
CATALOG = [{"cveID": "CVE-2025-0282", "vendorProject": "Ivanti",
            "product": "Connect Secure, Policy Secure, and ZTA Gateways", "dateAdded": "2025-01-08"}]  # fmt: skip


def said(text: str, author: str = "alice", ago: timedelta = timedelta(hours=1),
         source: str = "irc", channel: str = "#soc") -> dict:  # fmt: skip
    when = NOW - ago
    return Message(message_id(text, author, when.isoformat()), source, "net", channel, author,
                   when, text).record()  # fmt: skip


def compute(now, weeks=None, **options):
    inputs = chatter.ChatterInputs(now, weeks if weeks is not None else [None] * 4, CATALOG, {})
    return chatter.compute(inputs, chatter.ChatterOptions(**options), CONTEXT)


def by_label(payload) -> dict:
    return {row["label"]: row for row in payload["subjects"]}


def test_mentions_per_subject_are_counted_once_per_message():
    messages = [said("CVE-2024-3400 on PAN-OS again", "alice"),
                said("PAN-OS GlobalProtect CVE-2024-3400 CVE-2024-3400", "bob"),
                said("Ivanti Connect Secure CVE-2025-0282 exploited", "carol"),
                said("CVE-2025-0282 scans", "dave", source="bluesky", channel="jetstream"),
                said("LockBit ransomware claims a hospital", "erin"),
                said("lunch?", "frank")]  # fmt: skip
    payload = compute(messages)
    rows = by_label(payload)
    assert rows["CVE-2024-3400"]["mentions"] == 2 and rows["CVE-2024-3400"]["authors"] == 2
    ivanti = rows["Ivanti Connect Secure"]  # the catalog's product: its CVE counted under it
    assert ivanti["mentions"] == 2 and ivanti["cves"] == ["CVE-2025-0282"]
    assert [c["where"] for c in ivanti["channels"]] == ["IRC #soc", "Bluesky"]
    assert rows["LockBit"]["mentions"] == 1 and rows["LockBit"]["kind"] == "ransomware"
    assert payload["messages"] == 6 and payload["about"] == 5
    assert "CVE-2025-0282" not in rows  # not twice: once under its product


def test_without_weeks_of_listening_no_usual_level_is_claimed_and_nothing_jumps():
    busy = [said(f"CVE-2024-3400 {n}", f"user{n % 4}") for n in range(12)]
    payload = compute(busy)
    row = by_label(payload)["CVE-2024-3400"]
    assert row["usual"] is None and row["week_ago"] is None and not row["jump"] and row["new"]
    assert payload["facts"] == [{"kind": "chat_busy", "severity": "notice", "row": "CVE-2024-3400",
                                 "text": "CVE-2024-3400: 12 mentions from 4 people in 24h (no usual level yet)",
                                 "at": row["latest"]}]  # fmt: skip
    assert payload["highlight"] is False and payload["weeks"] == 0


def test_a_jump_from_several_people_over_the_usual_level_is_the_alarm():
    week = [said("CVE-2024-3400 old news", "old", ago=timedelta(weeks=1, hours=2))]
    weeks = [week, [], week, week]  # listened every week; one week without a mention is a 0
    now = [said(f"CVE-2024-3400 exploited {n}", f"user{n % 5}") for n in range(9)]
    payload = compute(now, weeks)
    row = by_label(payload)["CVE-2024-3400"]
    assert (row["mentions"], row["usual"], row["week_ago"], row["jump"]) == (9, 1, 1, True)
    assert payload["facts"][0]["severity"] == "alarm"
    assert payload["facts"][0]["text"] == "CVE-2024-3400: 9 mentions from 5 people in 24h, usually 1"
    assert payload["highlight"] is True and payload["subjects"][0]["key"] == "CVE-2024-3400"
    one_person = [said(f"CVE-2024-3400 exploited {n}", "spammer") for n in range(9)]
    assert not by_label(compute(one_person, weeks))["CVE-2024-3400"]["jump"]
    usual_high = [[said(f"CVE-2024-3400 {n}", f"u{n}") for n in range(6)]] * 4
    assert not by_label(compute(now, usual_high))["CVE-2024-3400"]["jump"]  # 9 vs usually 6


def test_weeks_not_listened_to_are_left_out_of_the_usual_level():
    week = [said("CVE-2024-3400", "old")] * 2
    row = by_label(compute([said("CVE-2024-3400")], [None, week, None, []]))["CVE-2024-3400"]
    assert row["week_ago"] is None and row["usual"] == 1  # median of 2 and 0, not of 4 weeks


def test_the_newest_lines_are_newest_first_cut_on_screen_and_rendered_as_text():
    long = "<b>CVE-2021-44228</b> <script>alert(1)</script> " + "x" * 400
    messages = [said("first", ago=timedelta(hours=3)), said(long, ago=timedelta(minutes=5))]
    payload = compute(messages, lines=5)
    assert [line["time"] for line in payload["lines"]] == ["13:55", "11:00"]  # Berlin, newest first
    assert len(payload["lines"][0]["text"]) == 280 and payload["lines"][0]["text"].endswith("…")
    component = chatter.render(payload, chatter.ChatterOptions(), View())
    shown = ["".join(_strings(part)) for part in _find(component, "chatter-text")]
    assert shown[0] == payload["lines"][0]["text"]  # text children: React escapes them, no HTML
    assert not _has_html_property(component)


def test_at_the_desk_cves_link_to_their_search_and_posts_by_http_addresses_only():
    messages = [said("CVE-2024-3400 again", ago=timedelta(minutes=2)),
                {**said("see this", ago=timedelta(minutes=1)), "url": "javascript:alert(1)"},
                {**said("a post", ago=timedelta(minutes=3)), "url": "https://bsky.app/profile/d/post/r"}]  # fmt: skip
    payload = compute(messages, lines=5)
    desk = View(desk=True, links={"cve": "https://nvd.nist.gov/vuln/detail/{cve}"})
    component = chatter.render(payload, chatter.ChatterOptions(), desk)
    links = [(a.children, a.href) for a in _find(component, "entity")]
    assert ("CVE-2024-3400", "https://nvd.nist.gov/vuln/detail/CVE-2024-3400") in links
    assert [href for _, href in links if "bsky" in href or "javascript" in href] == [
        "https://bsky.app/profile/d/post/r"]
    wall = chatter.render(payload, chatter.ChatterOptions(), View())
    assert _find(wall, "entity") == []  # a kiosk links nothing


def test_an_empty_window_says_so():
    component = chatter.render(compute([]), chatter.ChatterOptions(), View())
    assert component.children == "no message in the last 24h on any channel listened to"


def _find(component, class_name: str) -> list:
    found = [component] if class_name in (getattr(component, "className", "") or "").split() else []
    children = getattr(component, "children", None)
    children = children if isinstance(children, list) else [children] if children is not None else []
    return found + [f for child in children if not isinstance(child, str) for f in _find(child, class_name)]


def _strings(component) -> list[str]:
    if isinstance(component, str):
        return [component]
    children = getattr(component, "children", None)
    if children is None:
        return []
    if not isinstance(children, list):
        children = [children]
    return [s for child in children for s in _strings(child)]


def _has_html_property(component) -> bool:
    if isinstance(component, html.Iframe) or "dangerously" in str(getattr(component, "_prop_names", "")):
        return True
    children = getattr(component, "children", None) or []
    children = children if isinstance(children, list) else [children]
    return any(_has_html_property(c) for c in children if not isinstance(c, str))
