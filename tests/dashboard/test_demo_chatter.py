"""The demo's chatter: generated talk with the surge before the demo news, and the live part
through the real transports (IRC listener, Mastodon poll, Jetstream client) on stand-ins."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from socwall.dashboard.clock import Clock
from socwall.dashboard.config import parse_config
from socwall.dashboard.demo import chatter as demo
from socwall.dashboard.jobs import run_panel, run_source
from socwall.feeds.chat_sink import KIND
from tests.conftest import free_port
from tests.feeds.chat_live import wait_until

ROOT = Path(__file__).resolve().parents[2]
ANCHOR = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_the_conversation_is_the_same_for_a_seed_and_surges_before_the_demo_news():
    lines = demo.conversation(ANCHOR, 7)
    assert lines == demo.conversation(ANCHOR, 7) and lines != demo.conversation(ANCHOR, 8)
    assert lines[0][0] >= ANCHOR - demo.HISTORY and lines[-1][0] < ANCHOR
    sap = [when for when, _who, text in lines if "NetWeaver" in text or "CVE-2025-31324" in text]
    first_news = ANCHOR - timedelta(hours=17.5)  # the oldest SAP entry of dashboard/demo/news.py
    before = [w for w in sap if first_news - timedelta(days=1) <= w < first_news]
    assert len(before) >= 3 and not [w for w in sap if w < first_news - timedelta(days=1)]


def demo_config(redis_url: str, prefix: str, ports: dict) -> object:
    """The repository's chatter source and page on free ports."""
    shipped = yaml.safe_load((ROOT / "config.yaml").read_text())
    source = shipped["sources"]["chatter"]
    source["irc"][0]["port"] = ports["irc"]
    source["mastodon"][0]["instance"] = f"http://127.0.0.1:{ports['mastodon']}"
    source["bluesky"][0]["url"] = f"ws://127.0.0.1:{ports['jetstream']}/subscribe"
    page = next(p for p in shipped["pages"] if p["id"] == "chatter")
    page["panels"][0]["options"].pop("kev")
    return parse_config({"store": {"url": redis_url, "prefix": prefix},
                         "sources": {"chatter": source}, "pages": [page]})  # fmt: skip


def test_the_live_demo_talks_through_all_three_transports_and_the_surge_is_the_alarm(
        store, redis_url, monkeypatch):  # fmt: skip
    ports = {"irc": free_port(), "mastodon": free_port(), "jetstream": free_port()}
    monkeypatch.setattr(demo, "IRC_PORT", ports["irc"])
    monkeypatch.setattr(demo, "MASTODON_PORT", ports["mastodon"])
    monkeypatch.setattr(demo, "JETSTREAM_PORT", ports["jetstream"])
    config = demo_config(redis_url, store.keys.prefix, ports)
    clock = Clock()
    running = demo.start_demo_chatter(config, store, clock, 7, every=(0.05, 0.1))
    try:
        start = clock.now()

        def live_sources():
            run_source(config, "chatter", store, clock)  # polls the Mastodon stand-in
            found = store.records("chatter", KIND, start, clock.now() + timedelta(minutes=1))
            return {r["source"] for r in found} == {"irc", "mastodon", "bluesky"}

        wait_until(live_sources, timeout=60, what="live lines from IRC, Mastodon and Bluesky")
        status = run_source(config, "chatter", store, clock)
        assert status["status"] == "ok" and status["warnings"] == []
        assert status["connections"] == {"local-irc": "connected", "local-mastodon": "polled",
                                     "jetstream": "connected"}
        run_panel(config, config.panels()[0], store, clock)
        payload = store.panel_data("chatter")
    finally:
        running.close()
    jumps = {row["label"] for row in payload["subjects"] if row["jump"]}
    assert {"SAP NetWeaver", "CVE-2025-31324"} <= jumps  # no kev source: the CVE is its own row
    assert "PAN-OS" not in jumps  # routine talk
    assert payload["weeks"] == 4 and payload["highlight"]
