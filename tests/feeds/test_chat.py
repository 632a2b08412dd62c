"""The `chat` source: the config, the job (Mastodon polls, live connections reported), each
message stored once in the one record shape, handles masked, statuses in words."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from socwall.dashboard.config import ConfigError, parse_config
from socwall.dashboard.demo.chat_servers import MastodonReplay
from socwall.feeds import chat
from socwall.feeds.chat_message import Message, clean_text, where
from socwall.feeds.chat_sink import KIND, status_name

PAGE = json.loads((Path(__file__).parents[1] / "data" / "chat" / "mastodon_tag_cve.json").read_text())
NOW = datetime(2025, 1, 14, 10, 0, tzinfo=UTC)


@pytest.fixture
def mastodon():
    server = MastodonReplay({"tag:cve": PAGE})
    yield server
    server.close()


def records(store, source_id="chatter"):
    return store.records(source_id, KIND, NOW - timedelta(days=2), NOW + timedelta(days=1))


def test_a_poll_stores_each_status_once_in_the_one_record_shape(mastodon, store):
    config = chat.ChatConfig(type="chat", mastodon=[{"name": "infosec", "instance": mastodon.url, "allow_hosts": ["127.0.0.1"],
                                                     "tags": ["cve"]}])  # fmt: skip
    source = chat.Source(config, "chatter")
    stats = source.ingest(store, NOW)
    assert stats["rows"] == 2 and stats["connections"] == {"infosec": "polled"}
    assert source.ingest(store, NOW)["rows"] == 0
    first = min(records(store), key=lambda r: r["time"])
    assert set(first) == {"id", "source", "via", "channel", "author", "time", "ts", "text", "url", "cut"}
    assert (first["source"], first["via"], first["channel"], first["author"]) == (
        "mastodon", "infosec", "#cve", "bob@127.0.0.1")
    assert first["time"] == first["ts"] == "2025-01-14T08:59:01.312000+00:00"
    assert where(first) == "Mastodon #cve"
    mastodon.statuses["tag:cve"] = []  # the same posts, fetched again from scratch: no double
    store.write_document("chatter", "cursor-infosec", {})
    mastodon.statuses["tag:cve"] = PAGE
    assert source.ingest(store, NOW)["rows"] == 0 and len(records(store)) == 2


def test_masked_authors_are_stable_pseudonyms_and_no_handle_is_stored(mastodon, store):
    config = chat.ChatConfig(type="chat", mask_authors=True, mastodon=[
        {"name": "infosec", "instance": mastodon.url, "allow_hosts": ["127.0.0.1"], "tags": ["cve"]}])  # fmt: skip
    chat.Source(config, "chatter").ingest(store, NOW)
    authors = sorted(r["author"] for r in records(store))
    assert all(a.startswith("anon-") and len(a) == 11 for a in authors) and len(set(authors)) == 2
    raw = json.dumps(records(store))
    assert "alice" not in raw and "bob@" not in raw


def test_a_failing_instance_is_an_error_in_words_and_others_go_on(mastodon, store):
    config = chat.ChatConfig(type="chat", mastodon=[
        {"name": "down", "instance": "http://127.0.0.1:9", "allow_hosts": ["127.0.0.1"], "tags": ["cve"], "timeout": "2s"}])  # fmt: skip
    with pytest.raises(ValueError, match=r"^no chat connection works: Mastodon down: unreachable"):
        chat.Source(config, "chatter").ingest(store, NOW)
    both = chat.ChatConfig(type="chat", mastodon=[
        {"name": "down", "instance": "http://127.0.0.1:9", "allow_hosts": ["127.0.0.1"], "tags": ["cve"], "timeout": "2s"},
        {"name": "up", "instance": mastodon.url, "allow_hosts": ["127.0.0.1"], "tags": ["cve"]}])  # fmt: skip
    stats = chat.Source(both, "chatter").ingest(store, NOW)
    assert stats["rows"] == 2 and stats["warnings"][0].startswith("Mastodon down: unreachable")


def test_a_live_connection_that_stopped_publishing_is_said_not_to_listen(store):
    config = chat.ChatConfig(type="chat", irc=[{"name": "net", "host": "irc.example", "channels": ["#a"]}],
                             mastodon=[{"name": "m", "instance": "http://127.0.0.1:9", "allow_hosts": ["127.0.0.1"], "tags": ["x"], "timeout": "1s"}])  # fmt: skip
    old = (NOW - timedelta(minutes=5)).isoformat()
    store.write_document("chatter", status_name("net"), {"source": "irc", "state": "connected",
                                                          "heartbeat": old, "stored": 0})  # fmt: skip
    with pytest.raises(ValueError) as failed:
        chat.Source(config, "chatter").ingest(store, NOW)
    assert "IRC net: not listening since 2025-01-14 09:55 UTC" in str(failed.value)


def test_message_records_carry_plain_visible_text():
    text, cut = clean_text("a\tb\nc \u202eevil\u202c \x1b[31mred\x00", 100)
    assert (text, cut) == ("a b c evil [31mred", False)
    message = Message("i", "irc", "net", "#soc", "nick", NOW, "t")
    assert message.record()["ts"] == "2025-01-14T10:00:00+00:00"


def test_config_errors_name_the_yaml_key():
    raw = {"sources": {"chatter": {"type": "chat", "irc": [
        {"name": "a", "host": "h", "channels": ["soc"]}, {"name": "a", "host": "h", "channels": ["#x"]}]}},
        "pages": [{"id": "p", "title": "P", "panels": [
            {"id": "c", "widget": "chatter", "title": "C", "source": "chatter", "at": [1, 1]}]}]}  # fmt: skip
    with pytest.raises(ConfigError) as failed:
        parse_config(raw)
    text = "\n".join(failed.value.problems)
    assert "sources.chatter.irc[0].channels" in text and "not IRC channel names: soc" in text
    raw["sources"]["chatter"]["irc"][0]["channels"] = ["#soc"]
    with pytest.raises(ConfigError, match="connection names must differ: a"):
        parse_config(raw)
    raw["sources"]["chatter"] = {"type": "chat"}
    with pytest.raises(ConfigError, match="give at least one connection"):
        parse_config(raw)


class Ticking:
    def __init__(self, now):
        self.at = now

    def now(self):
        return self.at


def test_a_worker_restart_is_an_outage_for_irc_and_none_for_a_transport_that_replays(store):
    from socwall.feeds.chat_sink import Link

    config = chat.ChatConfig(type="chat", irc=[{"name": "net", "host": "h", "channels": ["#a"]}])
    clock = Ticking(NOW)
    for via, replays in (("net", False), ("sky", True)):
        first = Link(store, "chatter", config, via, "irc", clock, replays=replays)
        first.up("connected")
        first.stopped()  # the worker exits at NOW
    clock.at = NOW + timedelta(minutes=7)
    for via, replays in (("net", False), ("sky", True)):
        Link(store, "chatter", config, via, "irc", clock, replays=replays).up("connected again")
    assert store.document("chatter", status_name("net"))["outages"] == [
        {"start": NOW.isoformat(), "end": (NOW + timedelta(minutes=7)).isoformat()}]
    assert store.document("chatter", status_name("sky"))["outages"] == []
    assert store.document("chatter", "coverage") == {"since": NOW.isoformat()}  # the first up
