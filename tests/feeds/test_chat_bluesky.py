"""Bluesky through a local Jetstream replay of recorded events: the filter, reconnect from the
cursor after a drop, a stall and a restart with nothing lost or doubled, the 36 h gap said, and
bad frames skipped and counted."""

import copy
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from socwall.dashboard.clock import Clock
from socwall.dashboard.demo.chat_servers import JetstreamReplay
from socwall.feeds import chat
from socwall.feeds.chat_bluesky import POST, BlueskyConfig, PostFilter, post_message, subscribe_url
from socwall.feeds.chat_sink import cursor_name, status_name
from tests.feeds.chat_live import Running, stored, wait_until

RECORDED = [json.loads(line) for line in
            (Path(__file__).parents[1] / "data" / "chat" / "jetstream_v1.jsonl").read_text().splitlines()]  # fmt: skip
CVE_POST = RECORDED[4]


def post(n: int, time_us: int, text: str) -> dict:
    """An event in the shape of the recorded CVE post."""
    event = copy.deepcopy(CVE_POST)
    event["time_us"], event["did"] = time_us, f"did:plc:test{n:020d}"
    event["commit"]["rkey"] = f"3mtest{n:07d}"
    event["commit"]["record"]["text"] = text
    event["commit"]["record"].pop("facets")
    return event


def recent(events: list[dict]) -> list[dict]:
    """The events moved to the last minutes (Jetstream keeps 36 h), order and spacing kept."""
    shift = int(datetime.now(UTC).timestamp() * 1e6) - 120_000_000 - events[-1]["time_us"]
    return [{**e, "time_us": e["time_us"] + shift} for e in events]


def sky(url: str, **extra) -> chat.ChatConfig:
    return chat.ChatConfig(type="chat", bluesky=[{"name": "jetstream", "url": url,
                                                  "reconnect": "1s", **extra}])  # fmt: skip


@pytest.fixture
def jetstream():
    servers = []

    def start(events):
        servers.append(JetstreamReplay(events))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def status(store) -> dict:
    return store.document("chatter", status_name("jetstream")) or {}


def test_the_filter_keeps_new_posts_naming_a_cve_a_keyword_or_a_tag():
    keep = PostFilter(BlueskyConfig(name="j", keywords=["RSV"], tags=["threatintel"]))
    found = [post_message(e, BlueskyConfig(name="j"), PostFilter(BlueskyConfig(name="j")), 300)
             for e in RECORDED]  # fmt: skip
    assert [m is not None for m in found] == [False, False, False, False, True]
    message = found[4]
    assert message.text == "Citrix Bleed again? CVE-2023-4966 scans from 3 ASNs #threatintel"
    assert message.url == "https://bsky.app/profile/did:plc:eygmaihciaxprqvxpfvl6flk/post/3mmoojpxq5s2a"
    assert message.author == "did:plc:eygmaihciaxprqvxpfvl6flk"
    assert message.time == datetime(2026, 5, 25, 14, 23, 31, 402137, tzinfo=UTC)  # time_us, not createdAt
    assert post_message(RECORDED[0], BlueskyConfig(name="j", keywords=["rsv"]), keep, 300).text == "Try RSV for a good time !!"
    tagged = post(1, 1, "nothing here")
    tagged["commit"]["record"]["facets"] = CVE_POST["commit"]["record"]["facets"]
    assert post_message(tagged, BlueskyConfig(name="j"), keep, 300) is not None  # the facet's #tag
    assert post_message(post(2, 1, "CVE-2024-3400"), BlueskyConfig(name="j", ignore=["did:plc:test00000000000000000002"]),
                        keep, 300) is None  # a bot of the ignore list
    assert post_message(post(3, 1, "RSVP now"), BlueskyConfig(name="j"), keep, 300) is None  # whole words


def test_subscribe_url_asks_for_posts_and_rewinds_the_cursor_two_seconds():
    url = subscribe_url(BlueskyConfig(name="j", url="wss://example.test/subscribe"), 1_779_719_011_402_137)
    assert url == ("wss://example.test/subscribe?wantedCollections=app.bsky.feed.post"
                   "&maxMessageSizeBytes=65536&cursor=1779719009402137")


def test_a_dropped_stream_resumes_from_the_cursor_without_loss_or_double(jetstream, store):
    events = recent(RECORDED + [post(n, CVE_POST["time_us"] + n * 1000, f"CVE-2025-{1000 + n} seen")
                                for n in range(1, 21)])  # fmt: skip
    server = jetstream(events)
    server.drop_after = 8  # the link dies after 8 events, no close frame
    running = Running(sky(server.url), store)
    try:
        wait_until(lambda: len(stored(store)) == 21, what="21 posts")
        wait_until(lambda: status(store).get("reconnects") == 1, what="one reconnect")
    finally:
        running.close()
    assert len(server.connects) == 2 and "cursor" not in server.connects[0]
    resumed = int(server.connects[1]["cursor"][0])
    cursor = store.document("chatter", cursor_name("jetstream"))["cursor"]
    assert cursor == events[-1]["time_us"]
    sent = [e for e in events if e["kind"] != "commit" or e["commit"]["collection"] == POST]
    assert resumed == sent[7]["time_us"] - 2_000_000  # the 8th event sent was handled; 2 s back
    texts = [r["text"] for r in stored(store)]
    assert len(texts) == len(set(texts)) == 21
    assert status(store)["outages"] == []  # Jetstream replays: nothing lost, no outage


def test_a_stalled_stream_is_dropped_after_idle_timeout_and_resumed(jetstream, store):
    events = recent([post(n, 1_000_000_000 + n * 1000, f"CVE-2024-{2000 + n}") for n in range(10)])
    server = jetstream(events)
    server.stall_after = 4  # pings answered, nothing sent
    running = Running(sky(server.url, idle_timeout="1s"), store)
    try:
        wait_until(lambda: len(stored(store)) == 10, what="10 posts")
    finally:
        running.close()
    assert len(server.connects) == 2
    assert status(store)["reconnects"] == 1
    assert len({r["id"] for r in stored(store)}) == 10


def test_a_restart_resumes_from_the_saved_cursor_and_stores_nothing_twice(jetstream, store):
    events = recent([post(n, 1_000_000_000 + n * 1000, f"CVE-2023-{3000 + n}") for n in range(12)])
    server = jetstream(events[:6])
    running = Running(sky(server.url), store)
    wait_until(lambda: len(stored(store)) == 6, what="6 posts")
    running.close()  # the worker stops (a reload, a new leader)
    server.add(*events[6:])
    running = Running(sky(server.url), store)
    try:
        wait_until(lambda: len(stored(store)) == 12, what="12 posts")
        wait_until(lambda: status(store).get("state") == "connected", what="connected")
    finally:
        running.close()
    assert int(server.connects[1]["cursor"][0]) == events[5]["time_us"] - 2_000_000
    assert sorted(r["text"] for r in stored(store)) == sorted(e["commit"]["record"]["text"] for e in events)


def test_a_cursor_older_than_jetstream_keeps_is_reported_as_a_gap(jetstream, store):
    now = datetime.now(UTC)
    old = int((now - timedelta(hours=50)).timestamp() * 1e6)
    store.write_document("chatter", cursor_name("jetstream"), {"cursor": old})
    server = jetstream(recent([post(1, 1, "CVE-2022-0001")]))
    running = Running(sky(server.url), store)
    try:
        wait_until(lambda: len(stored(store)) == 1, what="1 post")
    finally:
        running.close()
    [gap] = status(store)["gaps"]
    assert gap["why"] == "longer away than Jetstream keeps (36 h)"
    assert datetime.fromisoformat(gap["start"]) == datetime.fromtimestamp(old / 1e6, UTC)
    assert abs(datetime.fromisoformat(gap["end"]) - (now - timedelta(hours=36))) < timedelta(seconds=30)


def test_bad_frames_are_skipped_and_counted_and_a_64kb_post_is_cut(jetstream, store):
    big = post(1, 2, "CVE-2021-44228 " + "x" * 65536)
    events = recent([post(0, 1, "CVE-2021-0001 first"), big, post(2, 3, "CVE-2021-0002 last")])
    server = jetstream(events)
    server.raw = ["not json", b"\x00\xff binary", json.dumps({"kind": "commit"}),
                  b'{"time_us": 5, "text": "caf\xe9"}']  # fmt: skip
    running = Running(sky(server.url), store)
    try:
        wait_until(lambda: len(stored(store)) == 3, what="3 posts")
        wait_until(lambda: status(store).get("skipped", {}).get("cut to 1000 characters"), what="counts")
    finally:
        running.close()
    texts = [r["text"] for r in stored(store)]
    assert texts[0] == "CVE-2021-0001 first" and texts[2] == "CVE-2021-0002 last"
    assert texts[1].startswith("CVE-2021-44228 xxx") and len(texts[1]) == 1000
    assert stored(store)[1]["cut"] is True
    assert status(store)["skipped"] == {"unreadable (not JSON, or no time)": 4, "cut to 1000 characters": 1}


def test_a_frame_over_one_mib_skips_a_second_past_it_and_says_so(jetstream, store):
    events = recent([post(0, 1_000_000, "CVE-2021-0001 before"),
                     post(1, 1_000_100, "CVE-2021-0002 " + "y" * (1 << 21)),
                     post(2, 3_000_000, "CVE-2021-0003 after")])  # fmt: skip
    server = jetstream(events)
    running = Running(sky(server.url), store)
    try:
        wait_until(lambda: len(stored(store)) == 2, what="2 posts")
    finally:
        running.close()
    assert [r["text"] for r in stored(store)] == ["CVE-2021-0001 before", "CVE-2021-0003 after"]
    assert status(store)["skipped"] == {"frame over 1 MiB": 1}
    assert [g["why"] for g in status(store)["gaps"]] == ["1 s skipped past a message the stream cannot deliver"]


def test_a_flood_is_capped_and_counted(jetstream, store):
    events = recent([post(n, 1_000_000 + n, f"CVE-2020-{10000 + n}") for n in range(3000)])
    server = jetstream(events)
    config = chat.ChatConfig(type="chat", max_rate=50, bluesky=[{"name": "jetstream", "url": server.url}])
    running = Running(config, store)
    flood = "over 50 a minute (flood)"
    try:
        wait_until(lambda: status(store).get("stored", 0) + status(store).get("skipped", {}).get(flood, 0) == 3000,
                   what="all handled")
    finally:
        running.close()
    assert 50 <= len(stored(store)) <= 55


def test_stop_ends_the_thread_promptly_even_while_connecting_to_nothing(store):
    from tests.conftest import free_port

    config = sky(f"ws://127.0.0.1:{free_port()}/subscribe")
    stop = threading.Event()
    [(_name, run)] = chat.live(config, "chatter", store, Clock())
    thread = threading.Thread(target=run, args=(stop,), daemon=True)
    thread.start()
    wait_until(lambda: status(store).get("state") == "reconnecting", what="refused, retrying")
    assert status(store)["error"].startswith("cannot connect to ws://127.0.0.1:")
    stop.set()
    thread.join(3)
    assert not thread.is_alive() and status(store)["state"] == "stopped"
