"""The intel page joins chat: a listed CVE shows its chat sightings, and a story said in chat
before the news is marked, with how much earlier (feed_keywords' `chat` option)."""

from datetime import timedelta

from socwall.feeds.chat_message import Message, message_id
from socwall.widgets import feed_keywords as fk
from socwall.widgets.context import View
from tests.widgets.test_feed_keywords import CONTEXT, KEV, NOW, OTHERS, TOOLSHELL


def said(text: str, author: str, hours_ago: float) -> dict:
    when = NOW - timedelta(hours=hours_ago)
    return Message(message_id(text, author), "irc", "net", "#soc", author, when, text).record()


CHAT = [
    said("ToolShell? SharePoint boxes getting popped", "alice", 9),  # the news: 3 h ago
    said("ToolShell exploit is public, CVE-2025-53770", "bob", 7),
    said("our SharePoint farm is patched, is yours?", "carol", 5),
    said("CVE-2025-53770 CVE-2025-53770 everywhere", "carol", 1),  # one message, one sighting
    said("patched CVE-2025-53771 too", "dave", 0.5),
    said("SharePoint upgrade weekend, ugh", "erin", 30),  # the week before: 1 in 7 days
]


LISTENING = (NOW - timedelta(days=30)).isoformat()


def compute(chat, since=LISTENING, **options):
    opts = fk.FeedKeywordsOptions(chat="chatter", **options)
    return fk.compute(fk.FeedInputs(TOOLSHELL + OTHERS, KEV, chat, since), opts, CONTEXT), opts


def test_listed_cves_show_their_chat_sightings_in_the_window():
    data, _ = compute(CHAT)
    sightings = {c["cve"]: c["chat"] for c in data["cves"]}
    assert sightings == {"CVE-2025-53770": 2, "CVE-2025-53771": 1}


def test_a_story_said_in_chat_before_the_news_is_marked_with_how_much_earlier():
    data, opts = compute(CHAT)
    toolshell = data["stories"][0]
    assert toolshell["label"] == "SharePoint · ToolShell"
    assert toolshell["chat_first"] == 6.0  # 3 messages from 3 people the day before the news
    # (9 h to 3 h ago), 3 times a usual day (1 in the week before): 6 h before the first entry
    assert toolshell["chat"] == 5  # chat messages of the window naming it or its CVEs
    fact = [f for f in data["facts"] if f["kind"] == "chat_before_news"]
    text = "SharePoint · ToolShell: said in chat 6 h before the news"
    assert fact == [{"kind": "chat_before_news", "severity": "notice", "row": toolshell["key"],
                     "at": toolshell["latest"], "text": text}]  # fmt: skip
    figure = fk.render(data, opts, View()).children[0].children[1].figure
    assert figure["data"][0]["text"][0] == "3 sources<br>in chat 6 h earlier"


def test_routine_talk_two_people_or_no_listening_before_is_no_trend():
    routine = CHAT + [said(f"SharePoint patching {n}", f"u{n}", 30 + 12 * n) for n in range(14)]
    assert "chat_first" not in compute(routine)[0]["stories"][0]  # 2 a day usually: 3 is no rise
    two = [said(f"ToolShell {n}", "alice" if n % 2 else "bob", 9 - n) for n in range(4)]
    assert "chat_first" not in compute(two)[0]["stories"][0]  # two people are no trend yet
    listening_since_yesterday = (NOW - timedelta(hours=20)).isoformat()
    assert "chat_first" not in compute(CHAT, listening_since_yesterday)[0]["stories"][0]


def test_without_a_chat_source_nothing_changes():
    plain = fk.compute(fk.FeedInputs(TOOLSHELL + OTHERS, KEV), fk.FeedKeywordsOptions(), CONTEXT)
    assert all("chat" not in c for c in plain["cves"])
    assert not [f for f in plain["facts"] if f["kind"] == "chat_before_news"]


def test_the_chat_option_must_name_a_chat_source():
    class Source:
        def __init__(self, kind):
            self.type = kind

    opts = fk.FeedKeywordsOptions(chat="news")
    assert fk.check_sources(opts, {"news": Source("news")}) == [
        ("chat", "'news' is a news source, not a chat source")]
    assert fk.check_sources(fk.FeedKeywordsOptions(chat="x"), {}) == [
        ("chat", "unknown source 'x' (sources: none are defined)")]
